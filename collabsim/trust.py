"""Trust rules: how one experience of joint work changes one organisation's trust in another.

Each rule is a pure, vectorised function of numpy arrays (or scalars): it returns new
arrays and never modifies its inputs, so it can be tested alone against the equations
of its publication and swapped by name (``RULES``). The model applies the selected
rule to every directed relationship that had an experience this month.

The outcome signal ``s`` lies in [-1, 1]: positive for a success (its size is the
stake of the work that succeeded), negative for a setback (a broken commitment is
``-stake``; an honest failure a fraction of that), zero for a neutral contact.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._jit import jit

ArrayLike = np.ndarray | float


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
    """Asymmetric two-layer trust (Pant & Yu 2025, arXiv:2510.24909).

    Trust ``T`` grows slowly toward a ceiling ``1 - R`` set by the record of damage
    ``R``, and falls fast, the more so the more the partners depend on each other
    (``D``). Setbacks also add damage, which heals slowly in months without one, so a
    broken commitment caps trust for a long time while an honest failure (a small
    signal) leaves little mark::

        s > 0:  T' = T + gain * s * max(0, (1 - R) - T)
        s < 0:  T' = T + loss * s * T * (1 + xi * D)
        s < 0:  R' = R + severity * |s| * (1 - R)
        s >= 0: R' = R - decay * R

    Returns:
        ``(trust, damage)`` as new float arrays, clipped to [0, 1].
    """
    t = np.asarray(trust, dtype=float)
    r = np.asarray(damage, dtype=float)
    s = np.asarray(signal, dtype=float)
    d = np.asarray(interdependence, dtype=float)
    gain = trust_gain * np.maximum(s, 0.0) * np.maximum(0.0, (1.0 - r) - t)
    loss = trust_loss * np.minimum(s, 0.0) * t * (1.0 + interdependence_weight * d)
    new_t = np.minimum(np.maximum(t + gain + loss, 0.0), 1.0)
    setback = s < 0
    new_r = np.where(
        setback,
        r + damage_severity * np.abs(s) * (1.0 - r),
        r - damage_decay * r,
    )
    return new_t, np.minimum(np.maximum(new_r, 0.0), 1.0)


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
    t = np.asarray(trust, dtype=float)
    s = np.asarray(signal, dtype=float)
    experience = (s > 0).astype(float)
    return np.clip(t + smoothing_rate * np.abs(s) * (experience - t), 0.0, 1.0)


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
    sig = np.asarray(signal, dtype=float)
    r = beta_forgetting * np.asarray(positive, dtype=float) + np.clip(sig, 0.0, None)
    s = beta_forgetting * np.asarray(negative, dtype=float) + np.clip(-sig, 0.0, None)
    return (r + 1.0) / (r + s + 2.0), r, s


def beta_evidence_for(trust: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Evidence counts ``(r, s)`` whose beta expectation is ``trust`` with r + s = 1.

    Used to start a relationship's evidence at its first-contact trust:
    ``(r + 1) / (r + s + 2) = T`` with ``r + s = 1`` gives ``r = 3T - 1``; trust outside
    [1/3, 2/3] needs more evidence, so the total is scaled to keep both counts >= 0.
    """
    t = np.clip(np.asarray(trust, dtype=float), 1e-6, 1 - 1e-6)
    # (r + 1) / (n + 2) = t  =>  r = t (n + 2) - 1, s = n - r; choose the smallest n >= 1
    # that keeps r >= 0 and s >= 0.
    n = np.maximum(1.0, np.maximum(1.0 / t - 2.0, 1.0 / (1.0 - t) - 2.0))
    r = t * (n + 2.0) - 1.0
    return np.clip(r, 0.0, None), np.clip(n - r, 0.0, None)


# --- scalar forms, called by the compiled monthly passes (``kernels``) ------------------
# Each is the rule above for one directed relationship, with the operations in the same
# order, so the compiled month and the vectorised rule agree bit for bit
# (tests/test_trust.py checks it on random inputs).


@jit
def two_layer_one(t, r, s, d, gain, loss, severity, decay, xi):  # pragma: no cover - compiled
    """``two_layer`` for one directed relationship: returns ``(trust, damage)``."""
    g = gain * max(s, 0.0) * max(0.0, (1.0 - r) - t)
    lo = loss * min(s, 0.0) * t * (1.0 + xi * d)
    new_t = min(max(t + g + lo, 0.0), 1.0)
    if s < 0.0:
        new_r = r + severity * abs(s) * (1.0 - r)
    else:
        new_r = r - decay * r
    return new_t, min(max(new_r, 0.0), 1.0)


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


RULES: dict[str, Callable[..., object]] = {
    "two_layer": two_layer,
    "smoothing": smoothing,
    "beta": beta,
}
"""Trust rules by the name ``trust_rule`` takes."""
