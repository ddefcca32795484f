"""Statistics for collabsim studies: censored times, paired effects, multiplicity, precision.

The model's answers compare arms run on the same seeds and read times to events that many runs
never reach by the last month; these functions are the right tool for each kind of outcome:

* ``kaplan_meier`` (with ``.median()``) and ``paired_censored_test`` for times to an event;
* ``paired_difference`` and ``interaction`` for other outcomes, per seed;
* ``adjust_pvalues`` (Holm or Benjamini–Hochberg) for several tests in one answer;
* ``replicates_for_halfwidth`` for how many seeds a comparison needs.

Bad input raises ``ValueError`` naming the argument and the value.
"""

from __future__ import annotations

from .multiplicity import METHODS, adjust_pvalues
from .paired import Effect, interaction, paired_difference
from .precision import replicates_for_halfwidth
from .survival import KaplanMeier, Median, PairedCensoredResult, kaplan_meier, paired_censored_test

__all__ = [
    "METHODS",
    "Effect",
    "KaplanMeier",
    "Median",
    "PairedCensoredResult",
    "adjust_pvalues",
    "interaction",
    "kaplan_meier",
    "paired_censored_test",
    "paired_difference",
    "replicates_for_halfwidth",
]
