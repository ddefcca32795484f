"""Time-to-event outcomes with censoring: Kaplan–Meier curves, medians and a paired test.

Why not means: a run that never reaches collaboration by the last month does not have a
"months to collaboration" of 120; it has one *greater than* 120. Averaging only the runs that got
there (or counting the others as 120) biases every such figure, the more so the more runs are
censored. The Kaplan–Meier estimator uses censored runs for as long as they are observed.

Conventions (those of the usual survival software): ``observed=False`` at time ``c`` means "no
event up to and including ``c``", so at a tied time events come before censorings and a run
censored at ``c`` is still at risk at ``c``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ._checks import as_flags, as_numbers, confidence, same_length


@dataclass(frozen=True)
class Median:
    """Median time with its confidence interval; ``math.inf`` where it is not reached."""

    estimate: float
    lower: float
    upper: float

    @property
    def reached(self) -> bool:
        return math.isfinite(self.estimate)

    def __str__(self) -> str:
        if not self.reached:
            return "not reached"
        return f"{_num(self.estimate)} [{_num(self.lower)}, {_num(self.upper)}]"


def _num(value: float) -> str:
    return "not reached" if not math.isfinite(value) else f"{value:g}"


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier survival curve with a pointwise confidence band.

    ``time`` holds every distinct observed time (events and censorings), so the step function
    runs to the end of follow-up; ``survival[i]`` is S(t) just after ``time[i]``; ``lower`` and
    ``upper`` are the pointwise band (Greenwood variance, log(-log) transform), ``at_risk`` and
    ``event_count`` the numbers behind each step.
    """

    time: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    event_count: np.ndarray
    n: int
    events: int
    conf: float

    @property
    def censored_share(self) -> float:
        """Share of subjects whose event was not observed (shown on every figure)."""
        return 1.0 - self.events / self.n

    def at(self, t: Any) -> np.ndarray:
        """Survival, lower and upper at times ``t`` (rows), right-continuous steps; S = 1 before the first time."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        idx = np.searchsorted(self.time, t, side="right") - 1
        out = np.ones((t.size, 3))
        ok = idx >= 0
        out[ok, 0] = self.survival[idx[ok]]
        out[ok, 1] = self.lower[idx[ok]]
        out[ok, 2] = self.upper[idx[ok]]
        return out

    def quantile(self, p: float) -> Median:
        """Time by which a share ``p`` of subjects had the event, with its CI.

        The estimate is the first time S(t) <= 1 - p. The CI inverts the pointwise band
        (Brookmeyer and Crowley 1982, as R's ``survfit`` does): its lower limit is the first time
        the band's lower edge falls to 1 - p, its upper limit the first time the upper edge does
        (the times at which 1 - p leaves the band).
        A limit the curve never reaches is ``math.inf`` ("not reached").
        """
        if not 0 < p < 1:
            raise ValueError(f"p: expected a share strictly between 0 and 1, got {p!r}")
        level = 1.0 - p + 1e-12  # S exactly at the level counts as reached, despite rounding
        return Median(self._first(self.survival, level), self._first(self.lower, level), self._first(self.upper, level))

    def median(self) -> Median:
        return self.quantile(0.5)

    def restricted_mean(self, horizon: float) -> float:
        """Restricted mean survival time: the area under S from 0 to ``horizon``.

        The expected time without the event within the first ``horizon`` months, a mean that
        censoring does not bias as long as the curve is estimated up to ``horizon`` (Royston and
        Parmar 2013). With every run stopped at the horizon it equals the mean of min(T, horizon).
        """
        h = float(horizon)
        if not (math.isfinite(h) and h >= 0):
            raise ValueError(f"horizon: expected a finite number of months >= 0, got {horizon!r}")
        edges = np.concatenate([[0.0], self.time[self.time < h], [h]])
        heights = np.concatenate([[1.0], self.survival[self.time < h]])
        return float(np.sum(heights * np.diff(edges)))

    def _first(self, curve: np.ndarray, level: float) -> float:
        hit = np.flatnonzero(curve <= level)
        return float(self.time[hit[0]]) if hit.size else math.inf


def kaplan_meier(times: Any, observed: Any, conf: float = 0.95) -> KaplanMeier:
    """Kaplan–Meier estimate of S(t) = P(T > t) with a pointwise ``conf`` band.

    The band uses Greenwood's variance on the log(-log S) scale (Kalbfleisch and Prentice), which
    stays inside [0, 1] and behaves better in the tails than the plain ("linear") band. It is
    computed here rather than by ``scipy.stats.ecdf`` so that the result does not depend on the
    SciPy version; the tests check it against ``ecdf(...).sf.confidence_interval(method="log-log")``.
    Where S = 1 the band is [1, 1]; where S = 0 (the last subject at risk had the event) the
    variance is undefined: the lower edge is 0 and the upper edge keeps its last defined value
    (R's ``survfit`` does the same); when S falls to 0 at the first time, the upper edge is the
    exact binomial bound for no survivors of all n (otherwise a median of 1 month in every run
    would read "1 [1, not reached]").
    """
    t = as_numbers("times", times, minimum=1, nonnegative=True)
    d = as_flags("observed", observed, t.size, "times")
    level = confidence(conf)
    order = np.argsort(t, kind="stable")
    t, d = t[order], d[order]
    uniq, first = np.unique(t, return_index=True)
    at_risk = t.size - first
    events = np.add.reduceat(d.astype(int), first)
    factor = 1.0 - events / at_risk
    survival = np.cumprod(factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(np.where(events > 0, events / (at_risk * (at_risk - events)), 0.0))
        z = stats.norm.ppf(0.5 + level / 2)
        se = np.sqrt(greenwood) / np.abs(np.log(survival))
        lower = survival ** np.exp(z * se)
        upper = survival ** np.exp(-z * se)
    one = survival >= 1.0
    lower[one] = upper[one] = 1.0
    zero = survival <= 0.0
    if zero.any():
        lower[zero] = 0.0
        k = int(np.argmax(zero))
        # every subject had the event at the first time: no earlier band to carry forward, so the
        # upper edge is the exact (Clopper-Pearson) bound for no survivors among all n at risk
        upper[zero] = upper[k - 1] if k > 0 else 1.0 - ((1.0 - level) / 2.0) ** (1.0 / at_risk[0])
    return KaplanMeier(uniq, survival, lower, upper, at_risk, events, int(t.size), int(d.sum()), level)


@dataclass(frozen=True)
class PairedCensoredResult:
    """Which arm's event came first, seed by seed, and the exact sign test on it.

    ``prob_b_first`` (with its Clopper–Pearson interval) is the effect size: the share of
    informative seeds in which arm b had the event first; 0.5 means no difference.
    """

    n: int
    n_informative: int
    a_first: int
    b_first: int
    ties: int
    both_censored: int
    prob_b_first: float
    lower: float
    upper: float
    pvalue: float


def paired_censored_test(time_a: Any, obs_a: Any, time_b: Any, obs_b: Any, conf: float = 0.95) -> PairedCensoredResult:
    """Compare two arms run on the same seeds (common random numbers) when times are censored.

    For each seed the pair is *informative* when it is known which arm had the event first:
    both observed at different times, or one observed at or before the other's censoring time.
    Ties and pairs censored in both arms (after the cut below: this includes a pair where one
    arm's event falls after the other's censoring) are uninformative and dropped. The test is the exact two-sided sign (binomial)
    test of "b first" among informative pairs against 1/2.

    Why it is valid: under the null hypothesis the two arms are exchangeable within a seed, so
    (T_a, T_b) has the same distribution as (T_b, T_a). Each pair is first cut at its common
    horizon c = the smaller of the censoring times present in it (an event after c is treated as
    censored at c); the classification is then symmetric in a and b, so given that a pair is
    informative, "b first" has probability exactly 1/2, independently across seeds. With
    administrative censoring (every run stops at the same month) the cut changes nothing. The
    test makes no assumption of proportional hazards, unlike a stratified log-rank or Cox test;
    its price is that it ignores how much earlier.
    """
    ta = as_numbers("time_a", time_a, minimum=1, nonnegative=True)
    da = as_flags("obs_a", obs_a, ta.size, "time_a")
    tb = as_numbers("time_b", time_b, nonnegative=True)
    same_length("time_b", tb, ta.size, "time_a")
    db = as_flags("obs_b", obs_b, ta.size, "time_a")
    level = confidence(conf)
    horizon = np.minimum(np.where(da, np.inf, ta), np.where(db, np.inf, tb))
    # cut at the common horizon: an event after it is censored at it
    da = da & (ta <= horizon)
    db = db & (tb <= horizon)
    ta = np.minimum(ta, horizon)
    tb = np.minimum(tb, horizon)
    a_first = (da & db & (ta < tb)) | (da & ~db & (ta <= tb))
    b_first = (da & db & (tb < ta)) | (db & ~da & (tb <= ta))
    ties = da & db & (ta == tb)
    both = ~da & ~db
    informative = a_first | b_first
    n_inf, nb = int(informative.sum()), int(b_first.sum())
    if n_inf:
        test = stats.binomtest(nb, n_inf, 0.5)
        ci = test.proportion_ci(confidence_level=level, method="exact")
        share, low, high, p = nb / n_inf, float(ci.low), float(ci.high), float(test.pvalue)
    else:  # no pair says anything: no evidence either way
        share, low, high, p = math.nan, 0.0, 1.0, 1.0
    return PairedCensoredResult(
        int(ta.size), n_inf, int(a_first.sum()), nb, int(ties.sum()), int(both.sum()),
        share, low, high, p,
    )
