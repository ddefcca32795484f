"""CollaborationModel: organisations building trust and climbing relationship levels.

One step is one month. The schedule (``step``) is written out in the order of the ODD
document (``docs/ODD.md``, "Process overview and scheduling"):

1. the backbone chooses whom its staff serve; a crisis strikes if one is due;
2. capacity is refreshed (base, grants, capacity built by collaboration, crisis);
3. meet: new contacts through referrals, strangers, backbone introductions and the forum;
4. work together at each pair's level; outcomes (success, honest failure, broken
   commitment); trust updates with the selected rule; forum and backbone meetings;
5. staff turnover;
6. escalate one level, fall back, or break down;
7. funder: end of money, grant round, mandate pressure (premature escalations);
8. hearing about others: distrust passes along, celebrated successes are seen;
9. bookkeeping and data collection.

A month, and a whole run, is one compiled call of ``engine.run_months``; this class is the Mesa shell over the engine's arrays: it sets
the community up, keeps room in the relationship table, records the metrics, events and
interventions. Relationship state lives in ``RelationshipTable`` arrays; each rule lives
in its own module (``trust``, ``levels``, ``outcomes``, ``funder``, ``backbone``,
``meetings``, ``referral``, ``crisis``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from . import capacity, crisis, engine, kernels, levels, streams, structure, trust, warmup
from .agents import Organisation, OrganisationArrays
from .backbone import Backbone
from .funder import Funder
from .metrics import CUMULATIVE, METRIC_NAMES, MonthlyCollector, model_reporters
from .parameters import DEFAULTS, PARAMETERS, ParameterError, check_consistency, validate
from .relationships import MAX_MONTHS, NEVER, RelationshipTable
from .scenarios import SECTORS, check_funders, get_scenario
from .seeding import SeedLike, resolve_seed
from .structure import COST, STAKE

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

class CollaborationModel(mesa.Model):
    """Trust, time and funders in a community of organisations (see ``docs/ODD.md``).

    Args:
        scenario: a name from ``collabsim.SCENARIOS``; its presets apply first.
        seed: seed of the model's random generator: an integer, a numpy ``Generator`` or
            ``SeedSequence`` (an integer seed is drawn from it) or ``None`` (one is drawn);
            the integer used is recorded in ``params["seed"]`` and repeats the run.
        rng: the same, under Mesa 3's name (give one of ``seed`` and ``rng``).
        community: a folder with ``organisations.csv`` and ``relationships.csv`` (an
            observed community, ``collabsim.community``), or a loaded ``Community``: the
            run starts with exactly those organisations and relationships.
        **parameters: any parameter of ``collabsim.PARAMETERS``; overrides the scenario.

    The model stops itself: ``running`` turns False at the ``months`` parameter, so Mesa's
    ``run_model`` and ``batch_run`` run exactly that long.

    Raises:
        ParameterError: for an unknown scenario or parameter, or a bad value.
    """

    def __init__(self, scenario: str = "default", seed: SeedLike = None, *, rng: SeedLike = None, community: Any = None, **parameters: Any) -> None:
        sc = get_scenario(scenario)
        params = dict(DEFAULTS)
        params.update(validate(sc.parameters))
        params.update(validate(parameters))
        check_consistency(params)
        extra_funders = check_funders(sc)
        if community is not None and not hasattr(community, "sector"):
            from .community import load_community

            community = load_community(community)
        if community is not None:
            if "n_organisations" in parameters and parameters["n_organisations"] != community.n:
                raise ParameterError(
                    f"n_organisations={parameters['n_organisations']} but the community in {community.path} has {community.n} organisations; leave n_organisations out"
                )
            params["n_organisations"] = community.n
        params["seed"] = resolve_seed(seed, rng)
        warmup.ensure_compiled()  # once per process: a cold cache is compiled on every core
        super().__init__(rng=params["seed"])
        self.preset = sc
        self.params = params
        self.community = community
        self.ladder = structure.ladder(params)
        self.weights = structure.weights(params)
        self.n = int(params["n_organisations"])
        self.month = 0
        self.record_events = False
        self.events: list[tuple[int, str, np.ndarray]] = []
        self.interventions: list[tuple[int, str]] = []
        self._rule = kernels.RULE_CODES[params["trust_rule"]]
        self._purpose_shares = np.array(
            [1.0, 1.0, params["purpose_coordination"], params["purpose_cooperation"], params["purpose_collaboration"]]
        )
        self._rule_p = kernels.rule_parameters(params)
        self._setup_organisations()
        self.rel = RelationshipTable(self.n, capacity=engine.table_capacity(self.n), with_evidence=params["trust_rule"] == "beta")
        self._served = np.zeros(self.n, dtype=bool)
        self.funders = [Funder(self)] + [Funder(self, rules) for rules in extra_funders]
        self.funder = self.funders[0]
        self.backbone = Backbone(self, params["backbone_capacity"]) if params["backbone"] else None
        self.shock = 0.0
        self._setup_engine()
        self._start_relationships()
        self.metrics: dict[str, float] = {}
        self._start_observing()
        self.running = self.month < params["months"]

    # ------------------------------------------------------------------ set-up
    def _setup_organisations(self) -> None:
        if self.community is not None:
            sector = self.community.sector.astype(np.int64)
        else:
            shares = np.array([self.preset.sector_shares.get(s, 0.0) for s in SECTORS], dtype=float)
            counts = _largest_remainder(shares / shares.sum(), self.n)
            sector = self.rng.permutation(np.repeat(np.arange(len(SECTORS)), counts))
        self.orgs = OrganisationArrays(self.rng, sector, self.params)
        if self.community is not None:
            self._apply_community_attributes()
        harmed = np.zeros((len(SECTORS), len(SECTORS)), dtype=bool)
        for a, b in self.preset.harmed_pairs:
            ia, ib = SECTORS.index(a), SECTORS.index(b)
            harmed[ia, ib] = harmed[ib, ia] = True
        self._harmed = harmed
        self.harmed_sectors = harmed
        forum = np.array([s in self.preset.forum_sectors for s in SECTORS])
        self.forum_member = forum[self.orgs.sector]
        self.organisations = self._organisation_agents()

    def _organisation_agents(self) -> list[Organisation]:
        """One Mesa agent per organisation: the handles users, interventions and the page hold."""
        return [Organisation(self, k) for k in range(self.n)]

    def _start_observing(self) -> None:
        """The data collector, with month 0's row."""
        self.datacollector = MonthlyCollector(model_reporters=model_reporters())
        self._record()

    def _apply_community_attributes(self) -> None:
        """An observed community's own attributes replace the drawn ones where given."""
        attrs, o = self.community.attributes, self.orgs
        if "collaborative_skill" in attrs:
            o.skill = np.asarray(attrs["collaborative_skill"], dtype=float).copy()
        if "reliability" in attrs:
            o.reliability = np.asarray(attrs["reliability"], dtype=float).copy()
        if "capacity" in attrs:
            o.base_capacity = np.asarray(attrs["capacity"], dtype=float).copy()
            o.budget = o.base_capacity.copy()
        if "hierarchical" in attrs:
            o.hierarchical = np.asarray(attrs["hierarchical"], dtype=bool).copy()

    def _start_relationships(self) -> None:
        """The community at month 0: observed, with a history, or fresh (ODD 5)."""
        if self.community is not None:
            c = self.community
            t = np.vstack([c.trust_ab, c.trust_ba])
            r = np.vstack([c.damage_ab, c.damage_ba])
            if self.params["trust_rule"] == "two_layer":  # the ceiling holds from month 0 (ODD 7.4)
                t = np.minimum(t, 1.0 - r)
            self._add_historic(c.a.astype(np.int64), c.b.astype(np.int64), c.level.astype(np.int64), t, r)
            return
        if self.n < 2:
            return
        a = np.repeat(np.arange(self.n), int(self.params["history_ties"]))
        b = (a + 1 + self.rng.integers(0, self.n - 1, size=a.size)) % self.n
        if self.params["start"] == "fresh":
            self.add_pairs(a, b)
            return
        self._start_with_history(a, b)

    def _start_with_history(self, a: np.ndarray, b: np.ndarray) -> None:
        """Relationships already spread over the levels, so onsets are not synchronous.

        The rule (ODD 5): each tie drawn as at a fresh start gets a level L with chance
        proportional to ``history_level_ratio ** L`` (004: networking is the starting
        point, few ties reach collaboration), capped by the pair's purpose and by the
        ceiling a history of harm leaves (a level whose trust need exceeds ``1 - R`` is
        out of reach). Each direction's trust is uniform between the level's need and the
        next level's (below the ceiling), so trust holds the level; the pair has done a
        uniform share of the months of joint work its level needs.
        """
        rng = self.rng
        k = a.size
        u_level, u_trust, u_months = rng.random(k), rng.random((2, k)), rng.random(k)
        weights = float(self.params["history_level_ratio"]) ** np.arange(levels.TOP + 1)
        cdf = np.cumsum(weights) / weights.sum()
        self._ensure_room(k)
        S, _, P, K, O, R, _, _ = self._engine_state()
        engine.start_with_history(S, P, K, O, R, a, b, u_level, u_trust, u_months, cdf)
        self.rel.set_size(int(S[engine.SIZE]))
        self._sync_table()

    def _add_historic(self, a: np.ndarray, b: np.ndarray, level: np.ndarray, t: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Add an observed community's relationships at their levels (a drawn history is
        ``engine.start_with_history``)."""
        rel = self.rel
        keep = (a != b)
        a, b, level, t, r = a[keep], b[keep], level[keep], t[:, keep], r[:, keep]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        swap = a > b
        t = np.where(swap, t[::-1], t)
        r = np.where(swap, r[::-1], r)
        # the first of duplicate pairs is kept (as ``RelationshipTable.add`` does)
        key = lo * self.n + hi
        _, first = np.unique(key, return_index=True)
        first.sort()
        lo, hi, level, t, r = lo[first], hi[first], level[first], t[:, first], r[:, first]
        rows = self.add_pairs(lo, hi, t, r)
        if rows.size == 0:
            return rows
        lvl = level.astype(np.int64)  # observed: not capped by a drawn purpose
        rel.level[rows] = lvl
        rel.historic[rows] = True
        rel.work_month[rows] = np.where(lvl >= levels.NETWORKING, 0, NEVER)
        return rows

    # ------------------------------------------------------------------ helpers
    def first_contact_state(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Trust and damage at first contact: low trust, and damage where sectors share harm.

        The rule is ``kernels.first_contact_one``.
        """
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        t, h = np.empty(a.size), np.empty(a.size)
        p = self.params
        kernels.first_contact_many(float(p["history_of_harm"]), self._harmed, self.orgs.sector, float(p["initial_trust"]), a, b, t, h)
        return t, h

    def add_pairs(self, a: np.ndarray, b: np.ndarray, start_trust: np.ndarray | None = None, start_damage: np.ndarray | None = None) -> np.ndarray:
        """Record first contact between a and b; returns the new rows."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        if start_trust is None:
            t0, r0 = self.first_contact_state(a, b)
            start_trust, start_damage = np.vstack([t0, t0]), np.vstack([r0, r0])
        rel, o = self.rel, self.orgs
        rows = rel.add(a, b, self.month, start_trust, start_damage)
        if rows.size == 0:
            return rows
        kernels.pair_facts(
            int(rows[0]), int(rows[-1]) + 1, rel.i, rel.j, o.sector, o.hierarchical, self._harmed,
            np.uint64(self.params["seed"]), self._purpose_shares, rel.same_sector, rel.harmed, rel.mismatch, rel.purpose,
        )
        if self.params["trust_rule"] == "beta":
            rel.pos_evidence[:, rows], rel.neg_evidence[:, rows] = trust.beta_evidence_for(rel.trust[:, rows])
        self._sync_table()
        return rows

    def style_mismatch(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Whether each pair's decision styles differ (002); all pairs by default."""
        return self.rel.mismatch[rows]

    def update_trust(self, rows: np.ndarray, dirs: np.ndarray, signal: np.ndarray, decay_mult: np.ndarray | float = 1.0) -> None:
        """Apply the selected trust rule to the distinct directed views ``(dirs, rows)``.

        The rules' scalar forms run in one compiled pass (``kernels``), in place.
        """
        if rows.size == 0:
            return
        rel = self.rel
        rows = np.asarray(rows, dtype=np.int64)
        kernels.apply_rule(
            self._rule, rel.flat("trust"), rel.flat("damage"), *self._evidence(), rel.capacity,
            np.asarray(dirs, dtype=np.int64), rows, np.asarray(signal, dtype=float), rel.level,
            np.atleast_1d(np.asarray(decay_mult, dtype=float)), self._rule_p,
        )

    def _evidence(self) -> tuple[np.ndarray, np.ndarray]:
        """The beta rule's flat evidence stores (empty for the other rules)."""
        if self.rel.pos_evidence is None:
            return _EMPTY_F, _EMPTY_F
        return self.rel.flat("pos_evidence"), self.rel.flat("neg_evidence")

    def apply_experience(self, rows: np.ndarray, s_ij: np.ndarray, s_ji: np.ndarray, decay_mult: np.ndarray | float = 1.0) -> None:
        """Both partners of each pair in ``rows`` learn from one shared experience."""
        rows = np.asarray(rows)
        k = rows.size
        if k == 0:
            return
        both = np.concatenate([rows, rows])
        dirs = np.repeat(np.array([0, 1]), k)
        sig = np.concatenate([np.broadcast_to(s_ij, k), np.broadcast_to(s_ji, k)])
        dm = np.concatenate([np.broadcast_to(decay_mult, k), np.broadcast_to(decay_mult, k)])
        self.update_trust(both, dirs, sig, dm)

    def log_event(self, kind: str, rows: np.ndarray) -> None:
        """Keep an event for the explain panel (only when ``record_events`` is on)."""
        if self.record_events and np.size(rows):
            self.events.append((self.month, kind, np.array(rows, copy=True)))

    # ------------------------------------------------------------------ the engine
    def _setup_engine(self) -> None:
        """The engine's state (``engine``): arrays the Mesa model reads and sets in place."""
        p, n = self.params, self.n
        self._S = np.array([0, 0, -1, n, int(p["seed"]), self._rule, 0], dtype=np.int64)
        self._C = np.zeros(len(CUMULATIVE))
        self._P = np.array([_engine_value(p[name]) for name in engine.P_NAMES])
        self._K = (self.ladder, self.weights, self._rule_p, self._purpose_shares, self._harmed, capacity.step_costs(self.ladder[COST]))
        self._F = np.vstack([f._rules for f in self.funders])
        for k, f in enumerate(self.funders):
            f.attach(k, self._F[k])
        self._fgrant = np.zeros((len(self.funders), n))
        self._fawarded = np.zeros(len(self.funders), dtype=np.int64)
        self._fheld = np.zeros((len(self.funders), 0), dtype=bool)
        self.orgs.spare = self.orgs.budget.copy()
        self.choices = np.zeros((0, 0), dtype=np.int8)  # classroom: allow_choices()
        self._month_arrays = {name: np.zeros(0, dtype=dtype) for name, dtype in _MONTH_ARRAYS}
        self._state = None
        self._sync_table()

    def _sync_table(self) -> None:
        """Month arrays and held partnerships follow the table's capacity; the engine sees its size."""
        cap = self.rel.capacity
        if self._fheld.shape[1] != cap:
            self._state = None
            self._fheld = _grown(self._fheld, cap)
            for name in list(self._month_arrays):  # one at a time: an old array goes once copied
                self._month_arrays[name] = _grown(self._month_arrays.pop(name), cap)
        self._S[engine.SIZE] = self.rel.size
        self._S[engine.CAP] = cap

    def _engine_state(self) -> tuple:
        """``(S, C, P, K, O, R, M, Fd)`` for the engine (rebuilt when the table grows)."""
        if self._state is None:
            rel, o, st = self.rel, self.orgs, self.rel._store
            pos, neg = self._evidence()
            R = tuple(st[name] for name in _TABLE_COLUMNS) + (rel.flat("trust"), rel.flat("damage"), rel.flat("base_trust"), pos, neg, rel._keys, rel._key_rows)
            O = (o.sector, o.skill, o.reliability, o.hierarchical, o.mandate, o.base_capacity, o.grant, o.capacity_gain, o.budget, o.grants_won, self.forum_member, self._served, o.spare, self.choices)
            M = tuple(self._month_arrays[name] for name, _ in _MONTH_ARRAYS)
            self._state = (self._S, self._C, self._P, self._K, O, R, M, (self._F, self._fgrant, self._fheld, self._fawarded))
        return self._state

    def allow_choices(self) -> np.ndarray:
        """Classroom mode: the (n, n) matrix of students' choices the engine reads
        (``kernels.CHOICE_*`` at ``[own, partner]``; 0: the model decides)."""
        if self.choices.shape[0] != self.n:
            self.choices = np.zeros((self.n, self.n), dtype=np.int8)
            self._state = None
        return self.choices

    @property
    def changed(self) -> np.ndarray:
        """Pairs that changed level this month (the whole table's capacity)."""
        return self._month_arrays["changed"]

    @property
    def _outcome(self) -> "_MonthOutcome":
        """What happened to each pair this month (the engine's month arrays)."""
        return _MonthOutcome(self._month_arrays)

    @property
    def counters(self) -> dict[str, float]:
        """Totals since month 0 (``metrics.CUMULATIVE``); read-only copies of the engine's."""
        return {name: (float(v) if name == "collective_impact" else int(v)) for name, v in zip(CUMULATIVE, self._C)}

    @property
    def first_collaboration_month(self) -> int | None:
        first = int(self._S[engine.FIRST_COLLAB])
        return None if first < 0 else first

    def _ensure_room(self, pairs: int | None = None) -> None:
        """Free rows for ``pairs`` new pairs (default: a month's most, ``engine.room_needed``):
        the engine never grows the table itself."""
        needed = self.rel.size + (engine.room_needed(self.n) if pairs is None else int(pairs))
        if needed > self.rel.capacity:
            self._state = None  # the engine's hold on the old stores: each goes once it is copied
            self.rel._reserve(needed)
            self._sync_table()

    def _advance(self, months: int, out: np.ndarray) -> None:
        """``months`` months through the engine, metrics rows into ``out``; one compiled call
        per stretch the table has room for (one month at a time when events are recorded)."""
        done = 0
        while done < months:
            self._ensure_room()
            chunk = 1 if self.record_events else months - done
            done += engine.run_months(*self._engine_state(), chunk, out[done:])
            self.rel.set_size(int(self._S[engine.SIZE]))
            self.month = int(self._S[engine.MONTH])
            if self.record_events:
                self._log_month_events()
        self.shock = crisis.intensity(self.month, self.params["shock_month"], self.params["shock_size"], self.params["crisis_duration"])

    def _log_month_events(self) -> None:
        events = self._month_arrays["events"][: self.rel.size]
        if events.any():
            for bit, kind in engine.EVENT_KINDS:
                self.log_event(kind, np.flatnonzero(events & bit))

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """Advance one month (ODD section 3): one call of the compiled engine."""
        if self.month >= MAX_MONTHS:
            raise ParameterError(f"a run is limited to {MAX_MONTHS} months, and this one has reached it")
        out = np.empty((1, len(engine.ROW_NAMES)))
        self._advance(1, out)
        self._record(out[0])
        if self.month >= self.params["months"]:
            self.running = False  # Mesa's run_model and batch_run stop here

    def run(self, months: int | None = None) -> "CollaborationModel":
        """Advance ``months`` months (default: the ``months`` parameter) in one compiled call."""
        months = self.params["months"] if months is None else PARAMETERS["months"].check(months)
        if self.month + months > MAX_MONTHS:
            raise ParameterError(f"a run is limited to {MAX_MONTHS} months, and this one would pass it")
        if months:
            rows = self.run_rows(months)
            self.steps += months  # what Mesa's step() would have counted
            if hasattr(self.datacollector, "_collection_steps"):  # Mesa 3.5 keeps a model time too
                self.time = self.time + months
            self.metrics = _metrics_dict(rows[-1])
            self.datacollector.collect_rows(self, _columns(rows))
        self.running = self.month < self.params["months"]
        return self

    def run_rows(self, months: int, out: np.ndarray | None = None) -> np.ndarray:
        """The engine alone: ``months`` months, their metrics as rows (``engine.ROW_NAMES``),
        into ``out`` if given (``months`` rows); the data collector is not touched (``run``
        records them, ``run.run_metrics`` keeps them)."""
        if out is None:
            out = np.empty((months, len(engine.ROW_NAMES)))
        self._advance(months, out)
        return out

    def metrics_row(self) -> np.ndarray:
        """This month's metrics as a row (``engine.ROW_NAMES``)."""
        row = np.empty(len(engine.ROW_NAMES))
        engine.metrics_row(*self._engine_state()[:6], row)
        return row

    def _record(self, row: np.ndarray | None = None) -> None:
        self.metrics = _metrics_dict(self.metrics_row() if row is None else row)
        self.datacollector.collect(self)

    def replace_staff(self, orgs: np.ndarray) -> None:
        """New boundary spanners at ``orgs``: trust above first contact partly resets (``engine.replace_staff``)."""
        orgs = np.atleast_1d(np.asarray(orgs, dtype=np.int64))
        if orgs.size == 0:
            return
        gone = np.zeros(self.n, dtype=bool)
        gone[orgs] = True
        touched = np.empty(self.rel.size, dtype=np.int64)
        key = np.uint64(streams.month_key(int(self.params["seed"]), streams.REPLACED_SKILL, len(self.interventions)))
        S, _, P, _, O, R, M, _ = self._engine_state()
        m = engine.replace_staff(S, P, O, R, M, gone, key, touched)
        self.log_event("turnover", touched[:m])


    # ------------------------------------------------------------------ interventions
    def set_backbone(self, on: bool, capacity: int | None = None) -> None:
        """Add or remove the backbone while the model runs."""
        if capacity is not None:
            self.params["backbone_capacity"] = PARAMETERS["backbone_capacity"].check(capacity)
            self._P[engine.BACKBONE_CAPACITY] = self.params["backbone_capacity"]
        if on and self.backbone is None:
            self.backbone = Backbone(self, self.params["backbone_capacity"])
        elif not on and self.backbone is not None:
            self.backbone.remove()
            self.backbone = None
        self.params["backbone"] = bool(on)
        self._P[engine.BACKBONE] = float(bool(on))
        self.interventions.append((self.month, "backbone added" if on else "backbone removed"))

    def start_mandate(self, pressure: float = 0.6, deadline_months: int = 24, required_level: int = 4) -> None:
        """A funder starts requiring collaboration now, with a deadline."""
        pressure = PARAMETERS["funder_pressure"].check(pressure)
        deadline_months = PARAMETERS["funder_deadline_months"].check(deadline_months)
        required_level = PARAMETERS["funder_required_level"].check(required_level)
        self.funder.start_mandate(self.month, pressure, deadline_months, required_level)
        self.interventions.append((self.month, f"funder mandate: {levels.LEVEL_NAMES[required_level]} within {deadline_months} months"))

    def inject_broken_commitment(self, a: int, b: int) -> None:
        """Organisation ``b`` breaks a commitment to ``a`` (a setback for a's trust in b)."""
        a, b = int(a), int(b)
        if not (0 <= a < self.n and 0 <= b < self.n) or a == b:
            raise ParameterError(f"organisations must be two different indices in [0, {self.n - 1}], got {a} and {b}")
        row = self.rel.find(np.array([a]), np.array([b]))
        if row[0] < 0:
            row = self.add_pairs(np.array([a]), np.array([b]))
        r = int(row[0])
        lvl = int(self.rel.level[r])
        victim_dir = 0 if self.rel.i[r] == a else 1
        rows = np.array([r])
        self.update_trust(rows, np.array([victim_dir]), np.array([-self.ladder[STAKE, lvl]]))
        self.rel.broken[r] += 1
        self.rel.failures[r] += 1
        self._C[engine.C_BROKEN] += 1
        S, C, P, K, O, R, M, _ = self._engine_state()
        if self.params["referral_weight"] > 0:  # the victim tells its partners (Burt & Knez 1995)
            engine.spread(S, K, R, np.array([a]), np.array([b]), rows, np.array([lvl]), -float(self.params["referral_weight"]))
        key = np.uint64(streams.month_key(int(self.params["seed"]), streams.INJECTED_BREAKDOWN, len(self.interventions)))
        broke = streams.uniform(key, a, b) < levels.breakdown_chance(np.array([lvl]), self.rel.trust[victim_dir, rows])[0]
        self.interventions.append((self.month, f"organisation {b} broke a commitment to {a}"))
        self.log_event("broken", rows)
        if broke:
            self.changed[:] = False
            engine.break_down(S, C, R, M, r)
            self.log_event("breakdown", rows)

    def replace_staff_at(self, org: int) -> None:
        """Intervention: organisation ``org`` loses its boundary spanner."""
        org = int(org)
        if not 0 <= org < self.n:
            raise ParameterError(f"organisation must be in [0, {self.n - 1}], got {org}")
        self.replace_staff(np.array([org]))
        self.interventions.append((self.month, f"staff replaced at organisation {org}"))

    # ------------------------------------------------------------------ results
    def summary(self) -> dict[str, Any]:
        """Per-run results: time to collaboration and the final values of every metric."""
        rel = self.rel
        reached = rel.collab_month >= 0
        first = int(rel.collab_month[reached].min()) if reached.any() else None
        reached &= ~rel.historic  # a climb begun before the run is not observed from first contact
        durations = (rel.collab_month[reached] - rel.first_contact[reached]).astype(int).tolist()
        out: dict[str, Any] = {
            "scenario": self.preset.name,
            "seed": self.params["seed"],
            "months": self.month,
            "months_to_first_collaboration": first,
            "months_to_collaboration": sorted(durations),
            "median_months_to_collaboration": float(np.median(durations)) if durations else None,
        }
        out.update({k: _plain(self.metrics[k]) for k in METRIC_NAMES})
        return out

    def relationships(self) -> pd.DataFrame:
        """One row per known pair, with directed trust and damage and the pair's record."""
        rel = self.rel
        sec = np.array(SECTORS)
        return pd.DataFrame(
            {
                "i": rel.i.astype(int),
                "j": rel.j.astype(int),
                "sector_i": sec[self.orgs.sector[rel.i]],
                "sector_j": sec[self.orgs.sector[rel.j]],
                "trust_ij": rel.trust[0].copy(),
                "trust_ji": rel.trust[1].copy(),
                "damage_ij": rel.damage[0].copy(),
                "damage_ji": rel.damage[1].copy(),
                "level": rel.level.astype(int),
                "months_at_level": rel.months_at_level.astype(int),
                "successes": rel.successes.astype(int),
                "failures": rel.failures.astype(int),
                "broken_commitments": rel.broken.astype(int),
                "forced": rel.forced.copy(),
                "first_contact": rel.first_contact.astype(int),
                "work_month": rel.work_month.astype(int),
                "collaboration_month": rel.collab_month.astype(int),
                "work_at_level": rel.work_at_level.astype(int),
                "purpose": rel.purpose.astype(int),
                "rivalry": rel.rivalry.copy(),
                "historic": rel.historic.copy(),
            }
        )

    def to_networkx(self, min_level: int = 0) -> "nx.Graph":
        """The relationship network this month, for networkx's measures.

        Nodes are the organisations ``0 .. n-1`` (attributes ``sector``, ``skill``,
        ``hierarchical``); one undirected edge per known pair at ``min_level`` or above
        (0 = aware: every pair that has met). Edge attributes: ``level`` (0-4) and
        ``level_name``; trust and damage both ways, named from the edge's ``i`` and ``j``
        attributes (``trust_ij`` is i's trust in j); ``trust_min`` (the weaker direction,
        what climbing needs) and ``months_at_level``.
        """
        import networkx as nx

        rel, o = self.rel, self.orgs
        graph = nx.Graph(month=self.month, scenario=self.preset.name, seed=self.params["seed"])
        for k in range(self.n):
            graph.add_node(k, sector=SECTORS[o.sector[k]], skill=float(o.skill[k]), hierarchical=bool(o.hierarchical[k]))
        for r in np.flatnonzero(rel.level >= min_level):
            i, j, lvl = int(rel.i[r]), int(rel.j[r]), int(rel.level[r])
            t_ij, t_ji = float(rel.trust[0, r]), float(rel.trust[1, r])
            graph.add_edge(
                i, j, i=i, j=j, level=lvl, level_name=levels.LEVEL_NAMES[lvl], trust_ij=t_ij, trust_ji=t_ji,
                trust_min=min(t_ij, t_ji), damage_ij=float(rel.damage[0, r]), damage_ji=float(rel.damage[1, r]),
                months_at_level=int(rel.months_at_level[r]),
            )
        return graph


_EMPTY_F = np.zeros(0)

_TABLE_COLUMNS = (
    "i", "j", "level", "months_at_level", "work_at_level", "purpose", "rivalry", "historic", "successes", "failures",
    "broken", "forced", "first_contact", "collab_month", "work_month", "same_sector", "harmed", "mismatch",
)
"""The relationship table's per-pair stores, in the order of the engine's ``R``."""

_MONTH_ARRAYS = (
    ("changed", np.bool_), ("worked", np.bool_), ("success", np.bool_), ("broken", np.bool_), ("culprit_is_i", np.bool_),
    ("level", np.int8), ("events", np.int8), ("works", np.bool_), ("climb_room", np.bool_), ("escalation", np.int8),
)
"""What happened to each pair this month, in the order of the engine's ``M``."""

_FLOAT_METRICS = frozenset({"mean_trust", "trust_sd", "mean_damage", "mean_capacity", "collective_impact"})


class _MonthOutcome:
    """What happened to each pair this month (the engine's arrays, over the table's capacity)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        for name in ("worked", "success", "broken", "culprit_is_i", "level"):
            setattr(self, name, arrays[name])


def _grown(arr: np.ndarray, cap: int) -> np.ndarray:
    """``arr`` with its last axis zero-padded to ``cap``."""
    out = np.zeros(arr.shape[:-1] + (cap,), dtype=arr.dtype)
    out[..., : arr.shape[-1]] = arr
    return out


def _engine_value(x: Any) -> float:
    """A parameter as the engine's ``P`` holds it: ``None`` is -1, booleans 0 or 1."""
    return -1.0 if x is None else float(x)


def _metrics_dict(row: np.ndarray) -> dict[str, float]:
    """One engine metrics row as the metrics dict, in ``METRIC_NAMES`` order, counts as ints."""
    values = dict(zip(engine.ROW_NAMES, row.tolist()))
    return {name: (values[name] if name in _FLOAT_METRICS else int(values[name])) for name in METRIC_NAMES}


def _columns(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Engine metrics rows as one array per metric (``METRIC_NAMES`` order), counts as int64.

    Two copies (the float metrics, the counts), each column a contiguous row of one: a
    copy per column was a third of the sweep path's bookkeeping after the run."""
    floats = dict(zip(_FLOAT_NAMES, rows.T[_FLOAT_ROWS]))
    counts = dict(zip(_COUNT_NAMES, rows.T[_COUNT_ROWS].astype(np.int64)))
    return {name: floats[name] if name in floats else counts[name] for name in METRIC_NAMES}


_FLOAT_NAMES = [name for name in METRIC_NAMES if name in _FLOAT_METRICS]
_COUNT_NAMES = [name for name in METRIC_NAMES if name not in _FLOAT_METRICS]
_FLOAT_ROWS = np.array([engine.ROW_NAMES.index(name) for name in _FLOAT_NAMES], dtype=np.intp)
_COUNT_ROWS = np.array([engine.ROW_NAMES.index(name) for name in _COUNT_NAMES], dtype=np.intp)


def _largest_remainder(shares: np.ndarray, n: int) -> np.ndarray:
    """Whole numbers of organisations per sector that add up to n."""
    raw = shares * n
    counts = np.floor(raw).astype(int)
    rest = n - counts.sum()
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts


def _plain(x: Any) -> Any:
    if isinstance(x, (np.floating, float)):
        return None if np.isnan(x) else float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x

