"""Trust rules: how one experience of joint work changes one organisation's trust in another.

Each rule's equation is written once, as a scalar function that numba compiles
(``two_layer_one``, ``two_layer_damped_one``, ``smoothing_one``, ``beta_one``): the
compiled monthly passes (``kernels.learn``) call it for each directed relationship. The
public rule of the same name without ``_one`` is its vectorised form, derived from it
(``_jit.elementwise``): a pure function of numpy arrays or scalars that returns new
float arrays and never modifies its inputs, so each rule can be tested alone against
the equations of its publication and swapped by name (``RULES``), and the tests test the
very code the model runs.

The outcome signal ``s`` lies in [-1, 1]: positive for a success (its size is the
stake of the work that succeeded), negative for a setback (a broken commitment is
``-stake``; an honest failure a fraction of that), zero for a neutral contact.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._jit import column, elementwise, jit

ArrayLike = np.ndarray | float


# --- scalar forms: the equations, called by the compiled monthly passes (``kernels``) ---


@jit
def _setback_and_damage(t, r, s, d, loss, severity, decay, xi):  # pragma: no cover - compiled
    """The two-layer rules' shared part: the trust lost to a setback, and the new damage."""
    lo = loss * min(s, 0.0) * t * (1.0 + xi * d)
    if s < 0.0:
        new_r = r + severity * abs(s) * (1.0 - r)
    else:
        new_r = r - decay * r
    return lo, min(max(new_r, 0.0), 1.0)


@jit
def two_layer_one(t, r, s, d, gain, loss, severity, decay, xi):  # pragma: no cover - compiled
    """``two_layer`` for one directed relationship: returns ``(trust, damage)``."""
    lo, new_r = _setback_and_damage(t, r, s, d, loss, severity, decay, xi)
    g = gain * max(s, 0.0) * max(0.0, (1.0 - r) - t)
    return min(max(t + g + lo, 0.0), 1.0), new_r


@jit
def two_layer_damped_one(t, r, s, d, gain, loss, severity, decay, xi):  # pragma: no cover - compiled
    """``two_layer_damped`` for one directed relationship: returns ``(trust, damage)``."""
    lo, new_r = _setback_and_damage(t, r, s, d, loss, severity, decay, xi)
    g = gain * max(s, 0.0) * (1.0 - t) * (1.0 - r)
    return min(max(t + g + lo, 0.0), 1.0), new_r


@jit
def smoothing_one(t, s, rate):  # pragma: no cover - compiled
    """``smoothing`` for one directed relationship."""
    experience = 1.0 if s > 0.0 else 0.0
    return min(max(t + rate * abs(s) * (experience - t), 0.0), 1.0)


@jit
def beta_one(r, s, signal, forgetting):  # pragma: no cover - compiled
    """``beta`` for one directed relationship: returns ``(trust, positive, negative)``."""
    new_r = forgetting * r + max(signal, 0.0)
    new_s = forgetting * s + max(-signal, 0.0)
    return (new_r + 1.0) / (new_r + new_s + 2.0), new_r, new_s


@jit
def beta_evidence_one(trust):  # pragma: no cover - compiled
    """``beta_evidence_for`` for one relationship: returns ``(positive, negative)``."""
    t = min(max(trust, 1e-6), 1 - 1e-6)
    # (r + 1) / (n + 2) = t  =>  r = t (n + 2) - 1, s = n - r; choose the smallest n >= 1
    # that keeps r >= 0 and s >= 0.
    n = max(1.0, max(1.0 / t - 2.0, 1.0 / (1.0 - t) - 2.0))
    r = t * (n + 2.0) - 1.0
    return max(r, 0.0), max(n - r, 0.0)


# --- compiled loops over the columns of a stacked argument array (``_jit.elementwise``) --
# One per rule, so each is compiled once and cached on disk.


@jit
def _two_layer_each(x, out):  # pragma: no cover - compiled
    for k in range(x.shape[1]):
        out[0, k], out[1, k] = two_layer_one(*column(x, k, 9))


@jit
def _two_layer_damped_each(x, out):  # pragma: no cover - compiled
    for k in range(x.shape[1]):
        out[0, k], out[1, k] = two_layer_damped_one(*column(x, k, 9))


@jit
def _smoothing_each(x, out):  # pragma: no cover - compiled
    for k in range(x.shape[1]):
        out[0, k] = smoothing_one(*column(x, k, 3))


@jit
def _beta_each(x, out):  # pragma: no cover - compiled
    for k in range(x.shape[1]):
        out[0, k], out[1, k], out[2, k] = beta_one(*column(x, k, 4))


@jit
def _beta_evidence_each(x, out):  # pragma: no cover - compiled
    for k in range(x.shape[1]):
        out[0, k], out[1, k] = beta_evidence_one(x[0, k])


_two_layer = elementwise(_two_layer_each, 2)
_two_layer_damped = elementwise(_two_layer_damped_each, 2)
_smoothing = elementwise(_smoothing_each, 1)
_beta = elementwise(_beta_each, 3)
_beta_evidence = elementwise(_beta_evidence_each, 2)


# --- the public, vectorised rules ------------------------------------------------------


def two_layer(
    trust: ArrayLike,
    damage: ArrayLike,
    signal: ArrayLike,
    interdependence: ArrayLike,
    *,
    trust_gain: ArrayLike = 0.10,
    trust_loss: ArrayLike = 0.30,
    damage_severity: ArrayLike = 0.6,
    damage_decay: ArrayLike = 0.03,
    interdependence_weight: ArrayLike = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Asymmetric two-layer trust with a hard ceiling (Pant & Yu 2025, arXiv:2510.24909).

    Trust ``T`` grows slowly toward a ceiling ``1 - R`` set by the record of damage
    ``R``, and falls fast, the more so the more the partners depend on each other
    (``D``). Setbacks also add damage, which heals slowly in months without one, so a
    broken commitment caps trust for a long time while an honest failure (a small
    signal) leaves little mark::

        s > 0:  T' = T + gain * s * max(0, (1 - R) - T)
        s < 0:  T' = T + loss * s * T * (1 + xi * D)
        s < 0:  R' = R + severity * |s| * (1 - R)
        s >= 0: R' = R - decay * R

    Growth is the authors' reference code and DESIGN.md's rule: it stops at the ceiling.
    The paper's Eq. 7 is ``two_layer_damped`` (docs/trust_rules.md).

    Returns:
        ``(trust, damage)`` as new float arrays, clipped to [0, 1].
    """
    return _two_layer(trust, damage, signal, interdependence, trust_gain, trust_loss, damage_severity, damage_decay, interdependence_weight)


def two_layer_damped(
    trust: ArrayLike,
    damage: ArrayLike,
    signal: ArrayLike,
    interdependence: ArrayLike,
    *,
    trust_gain: ArrayLike = 0.10,
    trust_loss: ArrayLike = 0.30,
    damage_severity: ArrayLike = 0.6,
    damage_decay: ArrayLike = 0.03,
    interdependence_weight: ArrayLike = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Asymmetric two-layer trust with damped growth: the paper's Eq. 7 (Pant & Yu 2025).

    As ``two_layer``, except that growth is damped by trust and by damage instead of
    stopping at the ceiling ``1 - R``; trust may pass that ceiling::

        s > 0:  T' = T + gain * s * (1 - T) * (1 - R)

    Setbacks and damage are those of ``two_layer``. The paper's Table 1 was computed
    with this rule (docs/trust_rules.md).

    Returns:
        ``(trust, damage)`` as new float arrays, clipped to [0, 1].
    """
    return _two_layer_damped(trust, damage, signal, interdependence, trust_gain, trust_loss, damage_severity, damage_decay, interdependence_weight)


def smoothing(
    trust: ArrayLike,
    signal: ArrayLike,
    *,
    smoothing_rate: ArrayLike = 0.10,
) -> np.ndarray:
    """Linear trust dynamics by exponential smoothing (Jonker & Treur 1999).

    Trust moves a share of the way toward the experience: ``E = 1`` for a positive
    experience, ``E = 0`` for a negative one, as in Jonker & Treur's positive and
    negative experiences. The share is ``gamma`` scaled by the size of the signal, so
    a small stake moves trust less than a large one and any setback lowers trust::

        T' = T + gamma * |s| * (E - T),   E = 1 if s > 0 else 0

    The rule is symmetric: gains and losses are equally fast, which is the contrast
    the two-layer rule was written to fix. It has no damage layer.
    """
    return _smoothing(trust, signal, smoothing_rate)


def beta(
    positive: ArrayLike,
    negative: ArrayLike,
    signal: ArrayLike,
    *,
    beta_forgetting: ArrayLike = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beta reputation with forgetting (Josang & Ismail 2002).

    Evidence of good (``r``) and bad (``s``) behaviour is discounted by the forgetting
    factor ``lambda`` and the new experience is added; trust is the expected value of
    the beta distribution::

        r' = lambda * r + max(signal, 0)
        s' = lambda * s + max(-signal, 0)
        T  = (r' + 1) / (r' + s' + 2)

    Returns:
        ``(trust, positive, negative)`` as new arrays.
    """
    return _beta(positive, negative, signal, beta_forgetting)


def beta_evidence_for(trust: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Evidence counts ``(r, s)`` whose beta expectation is ``trust`` with r + s = 1.

    Used to start a relationship's evidence at its first-contact trust:
    ``(r + 1) / (r + s + 2) = T`` with ``r + s = 1`` gives ``r = 3T - 1``; trust outside
    [1/3, 2/3] needs more evidence, so the total is scaled to keep both counts >= 0.
    """
    return _beta_evidence(trust)


RULES: dict[str, Callable[..., object]] = {
    "two_layer": two_layer,
    "two_layer_damped": two_layer_damped,
    "smoothing": smoothing,
    "beta": beta,
}
"""Trust rules by the name ``trust_rule`` takes."""
