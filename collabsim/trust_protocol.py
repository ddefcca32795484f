"""Pant & Yu's experimental protocol for a two-layer trust rule, replayed (arXiv:2510.24909).

The paper's Table 1 summarises three behaviours of its trust rule over a grid of
parameter settings. This module replays that protocol on any two-layer rule of
``trust.RULES`` (through its vectorised form, i.e. the compiled scalar form the model
runs), so the rules can be docked to the published figures (tests/test_trust_paper.py)
and the figures in docs/trust_rules.md are generated, not typed.

The protocol, as in the authors' validation suite (``TR2_validation_suite.py``,
``_measure_hysteresis_detailed``, ``_measure_cumulative_damage``,
``_measure_dependency_effect``):

- **hysteresis recovery**: trust 0.85, no damage; one violation ``tanh(-3)`` at
  interdependence D = 0.5, then 35 periods of cooperation ``tanh(2)`` at D = 0.5. The
  figure is the highest trust reached (after the violation) over 0.85.
- **cumulative-damage amplification**: from trust 0.8 and no damage, D = 0.5: the trust
  lost to four violations ``tanh(-1)`` in a row (damage carried from one to the next)
  over the trust lost to one violation ``tanh(-4)``.
- **dependency amplification**: from trust 0.8 and damage 0.1 (ceiling 0.9), one
  violation ``tanh(-2)``: the trust lost at D = 0.8 over the trust lost at D = 0.2.

The coarse grid is 3^7 = 2,187 settings: three levels of each of seven parameters
(``GRID``, the suite's ``--granularity coarse`` of the version that produced the paper's
results). Two of them, reciprocity ``rho`` and signal sensitivity ``kappa``, are not read
by the protocol (its signals are given as ``tanh`` values), so each figure appears nine
times; the summaries are those of the 3^5 grid of the rule's five parameters. Table 1
reports the median and the range (minimum, maximum) of hysteresis recovery and of
cumulative-damage amplification, and the mean of dependency amplification.
"""

from __future__ import annotations

import itertools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import trust

GRID: dict[str, tuple[float, ...]] = {
    "trust_gain": (0.05, 0.10, 0.15),  # lambda+
    "trust_loss": (0.15, 0.30, 0.45),  # lambda-
    "damage_severity": (0.50, 0.60, 0.70),  # mu_R
    "damage_decay": (0.01, 0.03, 0.05),  # delta_R
    "interdependence_weight": (0.30, 0.50, 0.70),  # xi
    "reciprocity": (0.10, 0.20, 0.30),  # rho: not read by the trust rule
    "signal_sensitivity": (0.5, 1.0, 1.5),  # kappa: not read (the signals are given)
}
"""The paper's coarse grid: three levels of each of seven parameters (3^7 settings)."""

RULE_PARAMETERS = ("trust_gain", "trust_loss", "damage_severity", "damage_decay", "interdependence_weight")
"""The grid's parameters that the two-layer rules read, by their keyword names."""

PAPER_TABLE_1 = {
    "hysteresis_recovery": (1.11, 0.79, 1.17),
    "cumulative_amplification": (1.97, 1.51, 2.50),
    "dependency_amplification": 1.27,
}
"""Pant & Yu's Table 1 as published: (median, minimum, maximum), and a mean."""

START_TRUST = 0.85
RECOVERY_PERIODS = 35


@dataclass(frozen=True)
class Summary:
    """One behaviour's figures over the grid."""

    median: float
    mean: float
    low: float
    high: float


def grid() -> dict[str, np.ndarray]:
    """The grid's settings as one array per parameter (2,187 entries each)."""
    rows = np.array(list(itertools.product(*GRID.values())))
    return {name: rows[:, k] for k, name in enumerate(GRID)}


def _rule_keywords(settings: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: settings[name] for name in RULE_PARAMETERS}


def hysteresis_recovery(rule: str, settings: dict[str, np.ndarray]) -> np.ndarray:
    """Highest trust over 35 periods of cooperation after one violation, over the start."""
    step, kw = trust.RULES[rule], _rule_keywords(settings)
    t, r = step(np.full(len(settings["trust_gain"]), START_TRUST), 0.0, np.tanh(-3.0), 0.5, **kw)
    best = t
    for _ in range(RECOVERY_PERIODS):
        t, r = step(t, r, np.tanh(2.0), 0.5, **kw)
        best = np.maximum(best, t)
    return best / START_TRUST


def cumulative_amplification(rule: str, settings: dict[str, np.ndarray]) -> np.ndarray:
    """Trust lost to four violations ``tanh(-1)`` over trust lost to one ``tanh(-4)``."""
    step, kw = trust.RULES[rule], _rule_keywords(settings)
    start = np.full(len(settings["trust_gain"]), 0.8)
    one, _ = step(start, 0.0, np.tanh(-4.0), 0.5, **kw)
    t, r, lost = start, 0.0, 0.0
    for _ in range(4):
        new_t, r = step(t, r, np.tanh(-1.0), 0.5, **kw)
        lost, t = lost + (t - new_t), new_t
    return lost / (start - one)


def dependency_amplification(rule: str, settings: dict[str, np.ndarray]) -> np.ndarray:
    """Trust lost to one violation ``tanh(-2)`` at D = 0.8 over the loss at D = 0.2."""
    step, kw = trust.RULES[rule], _rule_keywords(settings)
    start = np.full(len(settings["trust_gain"]), 0.8)
    high, _ = step(start, 0.1, np.tanh(-2.0), 0.8, **kw)
    low, _ = step(start, 0.1, np.tanh(-2.0), 0.2, **kw)
    return (start - high) / (start - low)


MEASURES = {
    "hysteresis_recovery": hysteresis_recovery,
    "cumulative_amplification": cumulative_amplification,
    "dependency_amplification": dependency_amplification,
}
"""The three behaviours of Table 1, by name."""


def replay(rule: str) -> dict[str, Summary]:
    """Every behaviour of Table 1 for ``rule`` (a two-layer rule of ``trust.RULES``)."""
    settings = grid()
    out = {}
    for name, measure in MEASURES.items():
        v = measure(rule, settings)
        out[name] = Summary(float(np.median(v)), float(np.mean(v)), float(v.min()), float(v.max()))
    return out


def _median_range(s: Summary) -> str:
    return f"{s.median:.2f} [{s.low:.2f}, {s.high:.2f}]"


def table_markdown(rules: tuple[str, ...] = ("two_layer", "two_layer_damped")) -> str:
    """Table 1 replayed for ``rules``, next to the published figures, as markdown."""
    figures = {rule: replay(rule) for rule in rules}
    published = PAPER_TABLE_1
    lines = [
        "| behaviour (Table 1) | published | " + " | ".join(f"`{r}`" for r in rules) + " |",
        "| --- | --- | " + " | ".join("---" for _ in rules) + " |",
    ]
    for name, label in (("hysteresis_recovery", "hysteresis recovery, median [min, max]"),
                        ("cumulative_amplification", "cumulative-damage amplification, median [min, max]")):
        med, low, high = published[name]
        cells = [_median_range(figures[r][name]) for r in rules]
        lines.append(f"| {label} | {med:.2f} [{low:.2f}, {high:.2f}] | " + " | ".join(cells) + " |")
    cells = [f"{figures[r]['dependency_amplification'].mean:.2f}" for r in rules]
    lines.append(f"| dependency amplification, mean | {published['dependency_amplification']:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


MARKER = "trust_table"
DOC = Path(__file__).resolve().parent.parent / "docs" / "trust_rules.md"


def _block(text: str) -> re.Match[str] | None:
    return re.search(rf"(<!-- BEGIN GENERATED: {MARKER} -->\n)(.*?)(<!-- END GENERATED: {MARKER} -->)", text, re.DOTALL)


def documented_table(path: Path = DOC) -> str | None:
    """The table between the ``trust_table`` markers of ``path`` (None without markers)."""
    m = _block(path.read_text(encoding="utf-8"))
    return m.group(2) if m else None


def main(argv: list[str] | None = None) -> int:
    """``python -m collabsim.trust_protocol [--write [PATH]]``: print the table, or write it into the doc."""
    args = list(sys.argv[1:] if argv is None else argv)
    table = table_markdown()
    if not args:
        print(table, end="")
        return 0
    if args[0] != "--write" or len(args) > 2:
        print("usage: python -m collabsim.trust_protocol [--write [PATH]]", file=sys.stderr)
        return 2
    path = Path(args[1]) if len(args) == 2 else DOC
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m = _block(text)
    if m is None:
        print(f"error: {path} has no '<!-- BEGIN GENERATED: {MARKER} -->' ... '<!-- END GENERATED: {MARKER} -->' markers", file=sys.stderr)
        return 2
    path.write_text(text[: m.start(2)] + table + text[m.end(2):], encoding="utf-8")
    print(f"{path}: wrote the replayed Table 1")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
