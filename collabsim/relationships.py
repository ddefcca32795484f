"""Relationship state in numpy arrays, one row per pair of organisations that know each other.

Pairs are stored once, with ``i < j``; directed quantities (trust, damage, evidence)
have two rows: row 0 is ``i``'s view of ``j``, row 1 is ``j``'s view of ``i``. Arrays
grow by a quarter when full; a month is a few compiled passes over the known pairs
(``kernels``), never a Python loop. Pairs are found through a sorted index of pair keys
(binary search, compiled below). Pairs are never deleted: a breakdown sends a pair back to level 0 (aware) with its
trust and damage intact, because organisations remember.
"""

from __future__ import annotations

import numpy as np

from ._jit import hot, jit

LEVEL_NAMES: tuple[str, ...] = ("aware", "networking", "coordination", "cooperation", "collaboration")
"""The five levels (004, after Himmelman): 0 aware ... 4 collaboration."""

NEVER = -1

MAX_MONTHS = 32_000
"""Longest run the int16 month and count columns hold (about 2,700 years)."""


class RelationshipTable:
    """Growable arrays of pair state.

    Attributes (views of the first ``size`` rows):
        i, j: organisation indices, ``i < j``.
        trust, damage: shape (2, size); row 0 is i's view of j, row 1 j's view of i.
        pos_evidence, neg_evidence: beta-rule evidence, shape (2, size); only kept when
            the table is made ``with_evidence`` (the beta rule), else ``None``.
        base_trust: shape (2, size), first-contact trust (what survives staff turnover).
        level, months_at_level, successes, failures, broken: per pair counts
            (``months_at_level`` in calendar months, for durability).
        work_at_level: months of joint work at the current level (what climbing needs).
        purpose: the level the pair's purpose needs (004); it climbs no further unless a
            funder pushes it.
        rivalry: in [0, 1], set when one partner lost a scarce grant round the other won
            (002: turf wars); fades each month.
        historic: the pair existed before the run started (``start = "history"`` or an
            observed community); its first contact and climb are not observed.
        forced: the pair's last escalation was forced by a funder.
        first_contact, work_month, collab_month: month of first contact, of first joint
            work (reaching networking) and of first reaching collaboration (``NEVER``
            if not yet).
        same_sector, harmed, mismatch: fixed facts about the pair (same sector; sectors
            with a history of harm; different decision styles), set by the model when
            the pair is added so a month does not look them up again.

    Months and counts are int16: a run is limited to ``MAX_MONTHS`` months. Pairs are
    never deleted, so every row past ``size`` is still zero until it is added.
    """

    _SCALAR = {
        "i": np.int32,
        "j": np.int32,
        "level": np.int8,
        "months_at_level": np.int16,
        "work_at_level": np.int16,
        "purpose": np.int8,
        "rivalry": np.float64,
        "historic": np.bool_,
        "successes": np.int16,
        "failures": np.int16,
        "broken": np.int16,
        "forced": np.bool_,
        "first_contact": np.int16,
        "collab_month": np.int16,
        "work_month": np.int16,
        "same_sector": np.bool_,
        "harmed": np.bool_,
        "mismatch": np.bool_,
    }
    _DIRECTED = ("trust", "damage", "base_trust")
    _EVIDENCE = ("pos_evidence", "neg_evidence")
    GROWTH = 1.25
    """Capacity grows by a quarter when full: few idle rows, and a copy only now and then."""

    def __init__(self, n_organisations: int, capacity: int = 64, *, with_evidence: bool = False) -> None:
        self.n = int(n_organisations)
        self.size = 0
        self._cap = max(16, int(capacity))
        self._store: dict[str, np.ndarray] = {}
        # organisation indices in 16 bits and pair keys in 32 when they fit (they do for
        # every community the registry allows): less memory per pair
        self._org_dtype = np.int16 if self.n <= np.iinfo(np.int16).max else np.int32
        self._key_dtype = np.int32 if self.n * self.n <= np.iinfo(np.int32).max else np.int64
        for name, dtype in self._SCALAR.items():
            self._store[name] = np.zeros(self._cap, dtype=self._org_dtype if name in ("i", "j") else dtype)
        directed = self._DIRECTED + (self._EVIDENCE if with_evidence else ())
        for name in directed:
            self._store[name] = np.zeros((2, self._cap), dtype=float)
        if not with_evidence:
            self.pos_evidence = self.neg_evidence = None
        # the pair index, as long as the table: its first ``size`` entries are in use
        self._keys = np.zeros(self._cap, dtype=self._key_dtype)
        self._key_rows = np.zeros(self._cap, dtype=np.int32)
        self._adjacency: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._refresh_views()

    def _refresh_views(self) -> None:
        """Expose the first ``size`` rows of every array as attributes (views, no copies)."""
        self.__dict__.update({name: arr[..., : self.size] for name, arr in self._store.items()})

    def __len__(self) -> int:
        return self.size

    # --- lookup --------------------------------------------------------------------
    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Row of each pair (a, b), or -1 where the two do not know each other."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        out = np.empty(a.shape, dtype=np.int64)
        find_rows(self._sorted_keys, self._sorted_rows, self.n, a.ravel(), b.ravel(), out.reshape(-1))
        return out

    # --- growth --------------------------------------------------------------------
    def add(
        self,
        a: np.ndarray,
        b: np.ndarray,
        month: int,
        trust: np.ndarray,
        damage: np.ndarray,
    ) -> np.ndarray:
        """Add new pairs (a, b) with directed starting trust and damage.

        ``trust`` and ``damage`` have shape (2, k): row 0 is a's view of b. Pairs that
        already exist, self-pairs and duplicates within the call are skipped (the first
        of duplicates is kept). Returns the rows of the pairs actually added.
        """
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        self._reserve(self.size + a.size)  # room for every candidate: rows past size stay zero
        st = self._store
        added = insert_pairs(
            a, b, np.ascontiguousarray(trust, dtype=float).reshape(2, -1), np.ascontiguousarray(damage, dtype=float).reshape(2, -1),
            self.size, self._cap, self.n, month, st["i"], st["j"], st["trust"].reshape(-1), st["base_trust"].reshape(-1),
            st["damage"].reshape(-1), st["first_contact"], st["collab_month"], st["work_month"],
            self._keys, self._key_rows,
        )
        if added == 0:
            return np.zeros(0, dtype=np.int64)
        rows = np.arange(self.size, self.size + added)
        self.set_size(self.size + added)
        return rows

    def set_size(self, size: int) -> None:
        """The compiled engine added pairs (in place, within capacity): show the new rows."""
        if size != self.size:
            self.size = int(size)
            self._refresh_views()
            self._adjacency = None

    @property
    def _sorted_keys(self) -> np.ndarray:
        return self._keys[: self.size]

    @property
    def _sorted_rows(self) -> np.ndarray:
        return self._key_rows[: self.size]

    def _reserve(self, needed: int) -> None:
        if needed <= self._cap:
            return
        cap = self._cap
        while cap < needed:
            cap = int(cap * self.GROWTH) + 1
        # drop the views first, then grow one array at a time: at most one old array
        # and its copy are alive together, never the whole table twice
        for name in self._store:
            self.__dict__.pop(name, None)
        for name in list(self._store):
            arr = self._store.pop(name)
            grown = np.zeros(arr.shape[:-1] + (cap,), dtype=arr.dtype)
            grown[..., : self.size] = arr[..., : self.size]
            del arr
            self._store[name] = grown
        for name in ("_keys", "_key_rows"):
            arr = getattr(self, name)
            grown = np.zeros(cap, dtype=arr.dtype)
            grown[: self.size] = arr[: self.size]
            setattr(self, name, grown)
        self._cap = cap
        self._refresh_views()

    # --- adjacency -----------------------------------------------------------------
    def adjacency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR view of who knows whom: ``(offsets, partner, row)``.

        The partners of organisation ``o`` are ``partner[offsets[o]:offsets[o+1]]``
        and ``row`` gives the pair's row: first the pairs where ``o`` is ``i``, then
        those where it is ``j``, each in row order. Cached until pairs are added.
        """
        if self._adjacency is None:
            self._adjacency = build_adjacency(self.i, self.j, self.n)
        return self._adjacency

    @property
    def index(self) -> tuple[np.ndarray, np.ndarray]:
        """The pair index ``(sorted_keys, sorted_rows)`` that compiled lookups search."""
        return self._keys[: self.size], self._key_rows[: self.size]

    def flat(self, name: str) -> np.ndarray:
        """The whole (2 * capacity) store of a directed array, flat: row ``d * cap + r``."""
        return self._store[name].reshape(-1)

    @property
    def capacity(self) -> int:
        """Rows allocated (``size`` of them in use)."""
        return self._cap

    def min_trust(self) -> np.ndarray:
        """The weaker of the two directions: what a joint commitment can rest on."""
        return np.minimum(self.trust[0], self.trust[1])


# --- compiled helpers: the pair index and who-knows-whom ---------------------------------
# Pair (a, b) has key min(a, b) * n + max(a, b); ``sorted_keys`` holds the keys in order
# and ``sorted_rows`` the row of each.


@hot
def find_row(sorted_keys, sorted_rows, n, a, b):  # pragma: no cover - compiled
    """Row of pair (a, b), or -1: a binary search of the sorted keys."""
    key = np.int64(min(a, b)) * n + np.int64(max(a, b))  # 64-bit even for 16-bit indices
    pos = np.searchsorted(sorted_keys, key)
    if pos < sorted_keys.size and sorted_keys[pos] == key:
        return np.int64(sorted_rows[pos])
    return np.int64(-1)


@jit
def find_rows(sorted_keys, sorted_rows, n, a, b, out):  # pragma: no cover - compiled
    """``find_row`` for many pairs, into ``out``."""
    for k in range(a.size):
        out[k] = find_row(sorted_keys, sorted_rows, n, a[k], b[k])


@jit
def plan_additions(sorted_keys, sorted_rows, n, a, b, keep):  # pragma: no cover - compiled
    """Which of the pairs (a, b) are new: not a self-pair, not known, first in the batch."""
    m = a.size
    keys = np.empty(m, dtype=np.int64)
    for k in range(m):
        keys[k] = min(a[k], b[k]) * n + max(a[k], b[k])
    order = np.argsort(keys, kind="mergesort")
    added = 0
    for q in range(m):
        k = order[q]
        first = q == 0 or keys[order[q - 1]] != keys[k]
        keep[k] = first and a[k] != b[k] and find_row(sorted_keys, sorted_rows, n, a[k], b[k]) < 0
        if keep[k]:
            added += 1
    return added


@jit
def write_new_pairs(keep, a, b, trust, damage, start, cap, n, month, i, j, trust_store, base_store, damage_store, first_contact, collab_month, work_month, keys):  # pragma: no cover - compiled
    """Write the kept pairs from row ``start`` on, with ``i < j`` (directed views swapped to match).

    Rows past ``size`` are all zero, so only the non-zero starting values are written.
    """
    r = start
    q = 0
    for k in range(a.size):
        if not keep[k]:
            continue
        swap = a[k] > b[k]
        lo, hi = (b[k], a[k]) if swap else (a[k], b[k])
        i[r], j[r] = lo, hi
        first, second = (1, 0) if swap else (0, 1)
        trust_store[r], trust_store[cap + r] = trust[first, k], trust[second, k]
        base_store[r], base_store[cap + r] = trust[first, k], trust[second, k]
        damage_store[r], damage_store[cap + r] = damage[first, k], damage[second, k]
        first_contact[r] = month
        collab_month[r] = -1
        work_month[r] = -1
        keys[q] = lo * n + hi
        r += 1
        q += 1


@jit
def insert_pairs(a, b, trust, damage, start, cap, n, month, i, j, trust_store, base_store, damage_store, first_contact, collab_month, work_month, keys, key_rows):  # pragma: no cover
    """``plan_additions``, ``write_new_pairs`` and ``merge_index`` in one call, in place:
    the index ``keys``/``key_rows`` (as long as the table, ``start`` entries in use) gets
    the new pairs merged in. Returns how many pairs were new."""
    keep = np.empty(a.size, dtype=np.bool_)
    added = plan_additions(keys[:start], key_rows[:start], n, a, b, keep)
    if added == 0:
        return added
    new_keys = np.empty(added, dtype=np.int64)
    write_new_pairs(keep, a, b, trust, damage, start, cap, n, month, i, j, trust_store, base_store, damage_store, first_contact, collab_month, work_month, new_keys)
    merge_index(keys, key_rows, start, new_keys, start)
    return added


@jit
def merge_index(keys, key_rows, size, new_keys, first_row):  # pragma: no cover - compiled
    """Merge new (distinct, unknown) keys, of rows ``first_row``, ``first_row + 1`` ..., into
    the sorted index's first ``size`` entries, in place, from the back."""
    order = np.argsort(new_keys, kind="mergesort")
    p = size - 1
    q = new_keys.size - 1
    t = size + new_keys.size - 1
    while q >= 0:
        if p >= 0 and keys[p] > new_keys[order[q]]:
            keys[t], key_rows[t] = keys[p], key_rows[p]
            p -= 1
        else:
            keys[t], key_rows[t] = new_keys[order[q]], first_row + order[q]
            q -= 1
        t -= 1


@jit
def build_adjacency(i, j, n):  # pragma: no cover - compiled
    """CSR adjacency by a counting sort: ``(offsets, partner, row)``."""
    k = i.size
    offsets = np.zeros(n + 1, dtype=np.int64)
    for r in range(k):
        offsets[i[r] + 1] += 1
        offsets[j[r] + 1] += 1
    for o in range(n):
        offsets[o + 1] += offsets[o]
    fill = offsets[:n].copy()
    partner = np.empty(2 * k, dtype=i.dtype)
    rows = np.empty(2 * k, dtype=np.int32)
    for r in range(k):
        e = fill[i[r]]
        fill[i[r]] += 1
        partner[e], rows[e] = j[r], r
    for r in range(k):
        e = fill[j[r]]
        fill[j[r]] += 1
        partner[e], rows[e] = i[r], r
    return offsets, partner, rows
