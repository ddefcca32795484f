"""Random numbers keyed by what they decide: common random numbers by construction.

Every random number of a month is a hash of ``(seed, mechanism, month, who)`` (SplitMix64
finalisers): ``who`` is an organisation, or a pair ``(i, j)`` of organisations, never a
position in an array or in a stream of earlier draws. Two runs with the same seed that
differ in one parameter therefore give the same organisation or pair the same draw for
the same mechanism in the same month, wherever the runs' histories agree: a paired
comparison sees the effect of the parameter, not a reshuffled stream (common random
numbers, issue 14). Adding draws to one mechanism never moves another's.

The arithmetic is unsigned 64-bit with wrap-around, the same compiled and interpreted
(``NUMBA_DISABLE_JIT=1``): ``mul64`` and ``add64`` wrap explicitly in Python, where
numpy would warn about the overflow, and compile to plain machine arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from numba.extending import overload

from ._jit import jit

# One stream per mechanism (ODD 2.8). Funders' streams are FUNDER + 2 * f (scarcity) and
# FUNDER + 2 * f + 1 (mandate pressure) for the run's f-th funder.
SERVE, SEEK, VIA_REFERRAL, REFERRER, NEWCOMER, FOLLOW, STRANGER, INTRODUCE, INTRODUCED_TO, FORUM_PARTNER = range(10)
CONTACT, SUCCESS, CULPRIT, BROKEN, DISRUPT, MEETING, TURNOVER, SKILL, BREAKDOWN = range(10, 19)
INJECTED_BREAKDOWN, REPLACED_SKILL = 19, 20
FUNDER = 32

_MASK = (1 << 64) - 1


def mul64(a, b):
    """``a * b`` modulo 2**64 (interpreted form)."""
    return np.uint64((int(a) * int(b)) & _MASK)


def add64(a, b):
    """``a + b`` modulo 2**64 (interpreted form)."""
    return np.uint64((int(a) + int(b)) & _MASK)


@overload(mul64, jit_options={"error_model": "numpy"})
def _mul64_compiled(a, b):  # pragma: no cover - compiled
    def impl(a, b):
        return np.uint64(a) * np.uint64(b)

    return impl


@overload(add64, jit_options={"error_model": "numpy"})
def _add64_compiled(a, b):  # pragma: no cover - compiled
    def impl(a, b):
        return np.uint64(a) + np.uint64(b)

    return impl


@jit
def mix(z):  # pragma: no cover - compiled
    """SplitMix64's finaliser: every output bit depends on every input bit."""
    z = mul64(z ^ (z >> np.uint64(30)), np.uint64(0xBF58476D1CE4E5B9))
    z = mul64(z ^ (z >> np.uint64(27)), np.uint64(0x94D049BB133111EB))
    return z ^ (z >> np.uint64(31))


@jit
def month_key(seed, stream, month):  # pragma: no cover - compiled
    """The key of one mechanism's draws in one month of the run seeded ``seed``."""
    z = mix(add64(np.uint64(seed), mul64(np.uint64(0x9E3779B97F4A7C15), np.uint64(stream + 1))))
    return mix(add64(z, mul64(np.uint64(0xD1B54A32D192ED03), np.uint64(month + 1))))


@jit
def uniform(key, a, b):  # pragma: no cover - compiled
    """The uniform number in [0, 1) of ``key`` (a ``month_key``) for ``(a, b)``: an
    organisation ``a`` (``b`` = 0, or the number of an attempt) or a pair ``a < b``."""
    z = mix(add64(key, mul64(np.uint64(0x9E3779B97F4A7C15), np.uint64(a + 1))))
    z = mix(add64(z, mul64(np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(b + 1))))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def gamma_one(key, who, shape):  # pragma: no cover - compiled
    """A Gamma(shape, 1) number for ``who`` (Marsaglia & Tsang 2000), from the uniforms of
    ``key`` for ``(who, 0), (who, 1), ...`` (Box-Muller normals; shape < 1 boosted)."""
    k = 0
    boost = 1.0
    if shape < 1.0:
        boost = uniform(key, who, k) ** (1.0 / shape)
        k += 1
        shape = shape + 1.0
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        u1, u2, u3 = uniform(key, who, k), uniform(key, who, k + 1), uniform(key, who, k + 2)
        k += 3
        x = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        if math.log(1.0 - u3) < 0.5 * x * x + d - d * v + d * math.log(v):
            return boost * d * v


@jit
def beta_around_one(key, who, mean, concentration):  # pragma: no cover - compiled
    """A Beta number with mean ``mean`` (``agents.draw_skill``'s distribution) for ``who``;
    a degenerate mean gives the constant. Two gammas from two halves of ``who``'s draws."""
    if mean <= 0.0 or mean >= 1.0:
        return mean
    x = gamma_one(key, 2 * who, mean * concentration)
    y = gamma_one(key, 2 * who + 1, (1.0 - mean) * concentration)
    return x / (x + y)


__all__ = ["month_key", "uniform", "gamma_one", "beta_around_one", "mix"]
