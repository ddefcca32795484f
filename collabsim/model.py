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

Relationship state lives in ``RelationshipTable`` arrays; each rule lives in its own
module (``trust``, ``levels``, ``outcomes``, ``funder``, ``backbone``, ``meetings``,
``referral``, ``crisis``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from . import capacity, crisis, kernels, levels, meetings, structure, trust
from .agents import Organisation, OrganisationArrays, draw_skill
from .backbone import Backbone
from .funder import Funder
from .levels import COLLABORATION
from .metrics import METRIC_NAMES, MonthlyCollector, compute_metrics, model_reporters
from .parameters import DEFAULTS, PARAMETERS, ParameterError, check_consistency, validate
from .relationships import MAX_MONTHS, NEVER, RelationshipTable
from .scenarios import SECTORS, check_funders, get_scenario
from .seeding import SeedLike, resolve_seed
from .structure import COST, MONTHS, MONTHS_MISMATCH, NEED, STAKE

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
        self.counters: dict[str, float] = dict.fromkeys(
            (
                "premature_escalations",
                "forced_escalations",
                "breakdowns",
                "collaborations_formed",
                "failures",
                "broken_commitments",
                "successes",
                "joint_work_months",
                "fallbacks",
                "collective_impact",
                "grants_won",
                "rivalries",
            ),
            0,
        )
        self.counters["collective_impact"] = 0.0
        self.first_collaboration_month: int | None = None
        self._rule = kernels.RULE_CODES[params["trust_rule"]]
        self._purpose_shares = np.array(
            [1.0, 1.0, params["purpose_coordination"], params["purpose_cooperation"], params["purpose_collaboration"]]
        )
        self._rule_p = kernels.rule_parameters(params)
        self._setup_organisations()
        self.rel = RelationshipTable(self.n, capacity=max(64, 4 * self.n), with_evidence=params["trust_rule"] == "beta")
        self.changed = np.zeros(self.rel.capacity, dtype=bool)
        self._outcome = _MonthOutcome(self.rel.capacity)
        self._start_relationships()
        self.funders = [Funder(self)] + [Funder(self, rules) for rules in extra_funders]
        self.funder = self.funders[0]
        self.backbone = Backbone(self, params["backbone_capacity"]) if params["backbone"] else None
        self.metrics: dict[str, float] = {}
        self.datacollector = MonthlyCollector(model_reporters=model_reporters())
        self._record()
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
        self.organisations = [Organisation(self, k) for k in range(self.n)]

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
        t0, r0 = self.first_contact_state(a, b)
        ratio = float(self.params["history_level_ratio"])
        weights = ratio ** np.arange(levels.TOP + 1)
        cdf = np.cumsum(weights) / weights.sum()
        lvl = np.minimum(np.searchsorted(cdf, u_level, side="right"), levels.TOP)
        ceiling = 1.0 - r0
        need = self.ladder[NEED]
        while True:  # the deepest level the ceiling lets the pair hold
            too_high = need[lvl] > ceiling
            if not too_high.any():
                break
            lvl = np.where(too_high, lvl - 1, lvl)
        low = np.where(lvl == levels.AWARE, np.minimum(t0, ceiling), need[lvl])
        high = np.minimum(np.where(lvl < levels.TOP, need[np.minimum(lvl + 1, levels.TOP)], 1.0), ceiling)
        high = np.maximum(high, low)
        t = low + u_trust * (high - low)
        rows = self._add_historic(a, b, lvl, t, np.vstack([r0, r0]), u_months)
        del rows

    def _add_historic(self, a: np.ndarray, b: np.ndarray, level: np.ndarray, t: np.ndarray, r: np.ndarray, u_months: np.ndarray | None = None) -> np.ndarray:
        """Add relationships that existed before the run, at their levels (capped by purpose
        unless observed)."""
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
        u = None if u_months is None else u_months[keep][first]
        rows = self.add_pairs(lo, hi, t, r)
        if rows.size == 0:
            return rows
        lvl = level.astype(np.int64)
        if self.community is None:
            lvl = np.minimum(lvl, rel.purpose[rows])
        rel.level[rows] = lvl
        rel.historic[rows] = True
        rel.work_month[rows] = np.where(lvl >= levels.NETWORKING, 0, NEVER)
        if u is not None:
            needed = np.where(rel.mismatch[rows], self.ladder[MONTHS_MISMATCH][lvl], self.ladder[MONTHS][lvl])
            needed = np.where(lvl == levels.TOP, self.params["durable_months"], needed)
            done = np.floor(u * needed).astype(np.int64)
            rel.work_at_level[rows] = done
            rel.months_at_level[rows] = done
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
        if rel.capacity > self.changed.size:  # the table grew: month arrays follow
            self.changed = np.concatenate([self.changed, np.zeros(rel.capacity - self.changed.size, dtype=bool)])
            self._outcome.grow(rel.capacity)
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

    def set_level(self, rows: np.ndarray, new_level: np.ndarray, *, forced: bool) -> None:
        """Move pairs to a new level (one step) and keep the records that go with it."""
        rel = self.rel
        old = rel.level[rows]
        rel.level[rows] = new_level
        rel.months_at_level[rows] = 0
        rel.work_at_level[rows] = 0
        rel.forced[rows] = forced if np.any(new_level > old) else rel.forced[rows]
        self.changed[rows] = True
        started = rows[(new_level >= levels.NETWORKING) & (rel.work_month[rows] == NEVER)]
        rel.work_month[started] = self.month
        reached = rows[(new_level == COLLABORATION) & (old < COLLABORATION)]
        if reached.size:
            self.counters["collaborations_formed"] += int(reached.size)
            first = reached[rel.collab_month[reached] == NEVER]
            rel.collab_month[first] = self.month
            if self.first_collaboration_month is None:
                self.first_collaboration_month = self.month

    def break_down(self, rows: np.ndarray) -> None:
        """End relationships: back to aware, with trust and damage remembered."""
        if rows.size == 0:
            return
        self.rel.level[rows] = levels.AWARE
        self.rel.months_at_level[rows] = 0
        self.rel.work_at_level[rows] = 0
        self.rel.forced[rows] = False
        self.changed[rows] = True
        self.counters["breakdowns"] += int(rows.size)
        self.log_event("breakdown", rows)

    def log_event(self, kind: str, rows: np.ndarray) -> None:
        """Keep an event for the explain panel (only when ``record_events`` is on)."""
        if self.record_events and np.size(rows):
            self.events.append((self.month, kind, np.array(rows, copy=True)))

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """Advance one month (see the module docstring for the schedule)."""
        if self.month >= MAX_MONTHS:
            raise ParameterError(f"a run is limited to {MAX_MONTHS} months, and this one has reached it")
        self.month += 1
        self.changed[:] = False
        self._outcome.reset()
        self.shock = crisis.intensity(self.month, self.params["shock_month"], self.params["shock_size"], self.params["crisis_duration"])
        if self.backbone is not None:
            self.backbone.step()
        self._refresh_capacity()
        self._meet()
        self._work()
        self._turnover()
        self._escalate()
        for funder in self.funders:
            funder.step()
        self._hear()
        self._end_of_month()
        self._record()
        if self.month >= self.params["months"]:
            self.running = False  # Mesa's run_model and batch_run stop here

    def run(self, months: int | None = None) -> "CollaborationModel":
        """Advance ``months`` months (default: the ``months`` parameter)."""
        months = self.params["months"] if months is None else PARAMETERS["months"].check(months)
        for _ in range(months):
            self.step()
        return self

    def _refresh_capacity(self) -> None:
        """Refresh budgets and allocate them to ties by priority (``capacity.allocate``)."""
        o, rel, p = self.orgs, self.rel, self.params
        hit = p["crisis_capacity_hit"] * self.shock
        o.grant = self.funders[0].grant if len(self.funders) == 1 else np.sum([f.grant for f in self.funders], axis=0)
        o.budget = o.base_capacity * (1.0 - hit) + o.grant + o.capacity_gain
        available = o.budget
        if p["regular_meetings"]:
            available = np.maximum(0.0, o.budget - p["meeting_cost"] * self.forum_member)
        self._works, self._climb_room, self._spare = capacity.allocate_pairs(rel.i, rel.j, rel.level, rel.flat("trust"), rel.capacity, available, self.ladder[COST])

    def _meet(self) -> None:
        """New contacts: referrals (trust passes along), strangers, backbone, forum.

        The draws happen here, in a fixed order; ``kernels.first_contacts`` turns them into
        the month's new pairs and their starting trust.
        """
        if self.n < 2:
            return
        p, rng, rel = self.params, self.rng, self.rel
        rate = min(1.0, p["contact_rate"] * (1.0 + p["crisis_outreach"] * self.shock))
        seeking = np.flatnonzero((self._spare >= self.ladder[COST, 1]) & (rng.random(self.n) < rate))
        seekers = strangers = partners = _EMPTY
        u_referral = _EMPTY_U
        if seeking.size:
            # referral_weight is also the share of searches that go through a partner (Gulati & Gargiulo 1999)
            via_referral = rng.random(seeking.size) < p["referral_weight"]
            seekers = seeking[via_referral]
            if seekers.size and rel.size:
                u_referral = rng.random((3, seekers.size))
            else:
                seekers = _EMPTY
            strangers = seeking[~via_referral]
            if strangers.size:
                partners = (strangers + 1 + rng.integers(0, self.n - 1, size=strangers.size)) % self.n
        introduced = vouched = _EMPTY
        if self.backbone is not None:
            introduced, vouched = self.backbone.introductions()
        members = met = _EMPTY
        if p["regular_meetings"]:
            members, met = meetings.forum_introductions(rng, np.flatnonzero(self.forum_member), self.orgs.sector)
        if seekers.size + strangers.size + introduced.size + members.size == 0:
            return
        offsets, partner, adj_rows = rel.adjacency()
        a, b, start_trust, start_damage = kernels.first_contacts(
            float(p["history_of_harm"]), self._harmed, self.orgs.sector, float(p["initial_trust"]), float(p["referral_weight"]),
            float(p["introduction_trust"]), offsets, partner, adj_rows, rel.i, rel.flat("trust"), rel.flat("damage"), rel.capacity,
            *rel.index, rel.n, seekers, u_referral, strangers, partners,
            np.asarray(introduced, dtype=np.int64), np.asarray(vouched, dtype=np.int64),
            np.asarray(members, dtype=np.int64), np.asarray(met, dtype=np.int64),
        )
        if a.size:
            self.add_pairs(a, b, start_trust, start_damage)

    def _repair(self, rows: np.ndarray) -> np.ndarray:
        """How much faster damage heals for ``rows`` (``kernels.repair_one``)."""
        out = np.empty(np.size(rows))
        kernels.repair_many(np.asarray(rows, dtype=np.int64), self.rel.i, self.rel.j, self.orgs.skill, self._served(), float(self.params["backbone_repair_boost"]), out)
        return out

    def _served(self) -> np.ndarray:
        """Who the backbone's staff serve this month (no one without a backbone)."""
        return self.backbone.served if self.backbone is not None else np.zeros(self.n, dtype=bool)

    def _work(self) -> None:
        """A month of joint work: who works, outcomes, learning (``kernels.joint_work``)."""
        rel, p, o, out = self.rel, self.params, self.orgs, self._outcome
        o.capacity_gain = np.zeros(self.n)
        k = rel.size
        if k == 0:
            return
        # five uniform draws per pair, drawn in this order: chance contact, then success,
        # culprit and broken commitment, then the crisis's disruption (drawn every month)
        contact = self.rng.random(k) < p["chance_contact"]
        u_work = self.rng.random((3, k))
        if self.shock and self.month == p["shock_month"]:
            self._disrupt(self.rng.random(k))
        else:
            _skip_draws(self.rng, k)
        collaborated = np.zeros(self.n, dtype=np.int64)
        value = u_work[0]  # the pass overwrites each success draw after reading it
        n_worked, n_success, n_joint, n_broken = kernels.joint_work(
            self._works, contact, u_work, rel.i, rel.j, rel.level, rel.flat("trust"), rel.flat("damage"), *self._evidence(),
            self._rule, self._rule_p, rel.capacity, o.mandate, rel.mismatch, rel.same_sector,
            o.reliability, o.skill, self._served(), self.forum_member, rel.rivalry, self.ladder, self.weights,
            float(p["style_mismatch_penalty"]), p["crisis_shared_support"] * self.shock,
            float(p["meeting_support"]) if p["regular_meetings"] else 0.0, float(p["backbone_repair_boost"]),
            float(p["honest_failure_severity"]), float(p["celebration_boost"]) if p["celebrate_successes"] else 0.0,
            1.0 + p["crisis_shared_value"] * self.shock,
            out.worked, out.success, out.broken, out.culprit_is_i, out.level,
            rel.successes, rel.failures, rel.broken, rel.work_at_level, collaborated, value,
        )
        if n_worked:
            self.counters["successes"] += n_success
            self.counters["joint_work_months"] += n_joint
            self.counters["failures"] += n_worked - n_success
            self.counters["broken_commitments"] += n_broken
            self.counters["collective_impact"] += float(np.add.reduce(value[:n_worked]))
            o.capacity_gain = p["capacity_from_collaboration"] * collaborated
            if self.record_events:
                self.log_event("broken", np.flatnonzero(out.broken[:k]))
        if self.params["regular_meetings"] or self.backbone is not None:
            self._meetings()

    def _disrupt(self, u: np.ndarray) -> None:
        """First month of a crisis: some working pairs' joint work fails honestly."""
        rel = self.rel
        hit = np.flatnonzero((rel.level >= 1) & (u < self.params["crisis_disruption"] * self.shock))
        if hit.size:
            s = -self.params["honest_failure_severity"] * self.ladder[STAKE][rel.level[hit]]
            self.apply_experience(hit, s, s)
            rel.failures[hit] += 1
            self.counters["failures"] += int(hit.size)

    def _meetings(self) -> None:
        """Forum and backbone meetings: low stakes; good ones heal, poor ones are a small setback (000, 001)."""
        rel, o, p = self.rel, self.orgs, self.params
        attend = np.zeros(rel.size, dtype=bool)
        if self.params["regular_meetings"]:
            fm = self.forum_member
            attend |= fm[rel.i] & fm[rel.j] & (o.sector[rel.i] != o.sector[rel.j])
        if self.backbone is not None:
            sv = self.backbone.served
            attend |= sv[rel.i] & sv[rel.j] & (rel.level <= levels.NETWORKING)
        rows = np.flatnonzero(attend)
        if rows.size == 0:
            return
        skill = (o.skill[rel.i[rows]] + o.skill[rel.j[rows]]) / 2.0
        served = self._served()
        facilitated = served[rel.i[rows]] | served[rel.j[rows]]
        chance = meetings.good_meeting_chance(skill, rel.min_trust()[rows], facilitated, p)
        s = meetings.meeting_signals(self.rng.random(rows.size), chance, p)
        self.apply_experience(rows, s, s, self._repair(rows))
        good = s > 0
        out = self._outcome
        # a good meeting is a positive experience an aware pair can start networking on
        aware = rows[good & (rel.level[rows] == levels.AWARE)]
        out.worked[aware] = True
        out.success[aware] = True

    def _turnover(self) -> None:
        """Staff turnover: trust that lived in people leaves with them (Zaheer et al. 1998)."""
        p = self.params
        if p["staff_turnover"] <= 0:
            return
        leaving = self.rng.random(self.n) < p["staff_turnover"]
        if leaving.any():
            self.replace_staff(np.flatnonzero(leaving))

    def replace_staff(self, orgs: np.ndarray) -> None:
        """New boundary spanners at ``orgs``: trust above first contact partly resets."""
        rel, p = self.rel, self.params
        orgs = np.atleast_1d(np.asarray(orgs, dtype=np.int64))
        if orgs.size == 0:
            return
        self.orgs.skill[orgs] = draw_skill(self.rng, p["collaborative_skill"], orgs.size, p["skill_concentration"])
        gone = np.zeros(self.n, dtype=bool)
        gone[orgs] = True
        rows = np.empty(rel.size, dtype=np.int64)
        m = kernels.staff_leave(gone, rel.i, rel.j, rel.flat("trust"), rel.flat("base_trust"), rel.capacity, 1.0 - p["turnover_trust_loss"], rows)
        if m == 0:
            return
        rows = rows[:m]
        if p["trust_rule"] == "beta":
            # the newcomer has not seen the old evidence: restart it at the trust that remains
            pos, neg = trust.beta_evidence_for(rel.trust[:, rows])
            rel.pos_evidence[:, rows] = pos
            rel.neg_evidence[:, rows] = neg
        self.log_event("turnover", rows)

    def _escalate(self) -> None:
        """Break down, fall back or climb: at most one change per pair per month (``levels.escalate_pass``)."""
        rel, p, out = self.rel, self.params, self._outcome
        if rel.size == 0:
            return
        br = np.flatnonzero(out.broken & ~self.changed)
        u = self.rng.random(br.size) if br.size else np.zeros(0)
        event = np.zeros(rel.size, dtype=np.int8)
        ended, fell, climbed, formed = levels.escalate_pass(
            br, u, rel.level, rel.flat("trust"), rel.capacity, rel.months_at_level, rel.work_at_level, rel.mismatch, rel.purpose,
            self.ladder, float(p["fallback_margin"]),
            self._climb_room, out.success, out.worked, out.culprit_is_i, self.changed, rel.forced, rel.work_month,
            rel.collab_month, self.month, event,
        )
        self.counters["breakdowns"] += ended
        self.counters["fallbacks"] += fell
        if formed:
            self.counters["collaborations_formed"] += formed
            if self.first_collaboration_month is None:
                self.first_collaboration_month = self.month
        if self.record_events:
            for code, kind in ((levels.BREAKDOWN, "breakdown"), (levels.FALLBACK, "fallback"), (levels.CLIMB, "climb")):
                self.log_event(kind, np.flatnonzero(event == code))

    def _hear(self) -> None:
        """Third parties hear: distrust of a partner who broke a commitment, celebrated successes.

        Everything one listener hears about one subject in a month is added up into one
        signal (clipped to [-1, 1]) and applied once, so hearing is cumulative. Stakes are
        those of the level the work was done at, before any breakdown this month.
        """
        rel, p, out = self.rel, self.params, self._outcome
        br = np.flatnonzero(out.broken)
        if br.size:
            self._spread_distrust(br, out.culprit_is_i[br], out.level[br])
        if p["celebrate_successes"]:
            ok = np.flatnonzero(out.success & out.worked & (out.level >= 1))
            if ok.size:
                teller = np.concatenate([rel.i[ok], rel.j[ok]])
                subject = np.concatenate([rel.j[ok], rel.i[ok]])
                self._heard(teller, subject, np.concatenate([ok, ok]), np.concatenate([out.level[ok], out.level[ok]]), float(p["celebration_reach"]))

    def _spread_distrust(self, rows: np.ndarray, culprit_is_i: np.ndarray, level: np.ndarray) -> None:
        """Victims tell their partners who broke a commitment (Burt & Knez 1995)."""
        w = self.params["referral_weight"]
        if w <= 0 or rows.size == 0:
            return
        i, j = self.rel.i[rows], self.rel.j[rows]
        self._heard(np.where(culprit_is_i, j, i), np.where(culprit_is_i, i, j), rows, level, -w)

    def _heard(self, teller: np.ndarray, subject: np.ndarray, event_rows: np.ndarray, event_level: np.ndarray, reach: float) -> None:
        """Listeners learn from what ``teller`` says about ``subject`` (``kernels.hear``)."""
        rel = self.rel
        offsets, partner, adj_rows = rel.adjacency()
        kernels.hear(
            self._rule, rel.flat("trust"), rel.flat("damage"), *self._evidence(), rel.capacity, rel.level, rel.i,
            offsets, partner, adj_rows, *rel.index, rel.n,
            np.asarray(teller, dtype=np.int64), np.asarray(subject, dtype=np.int64), np.asarray(event_rows, dtype=np.int64),
            np.asarray(event_level, dtype=np.int64), float(reach), self._rule_p, self.ladder,
        )

    def _end_of_month(self) -> None:
        """Calendar months at level age; rivalry from lost grant rounds fades."""
        kernels.age_pairs(self.rel.months_at_level, self.changed)
        fade = self.params["rivalry_fade"]
        if fade > 0 and self.counters["rivalries"]:
            self.rel.rivalry *= 1.0 - fade

    def _record(self) -> None:
        self.metrics = compute_metrics(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ interventions
    def set_backbone(self, on: bool, capacity: int | None = None) -> None:
        """Add or remove the backbone while the model runs."""
        if capacity is not None:
            self.params["backbone_capacity"] = PARAMETERS["backbone_capacity"].check(capacity)
        if on and self.backbone is None:
            self.backbone = Backbone(self, self.params["backbone_capacity"])
        elif not on and self.backbone is not None:
            self.backbone.remove()
            self.backbone = None
        self.params["backbone"] = bool(on)
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
        self.counters["broken_commitments"] += 1
        culprit_is_i = np.array([victim_dir == 1])
        self._spread_distrust(rows, culprit_is_i, np.array([lvl]))
        if self.rng.random() < levels.breakdown_chance(np.array([lvl]), self.rel.trust[victim_dir, rows])[0]:
            self.changed[:] = False
            self.break_down(rows)
        self.interventions.append((self.month, f"organisation {b} broke a commitment to {a}"))
        self.log_event("broken", np.array([r]))

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


_EMPTY = np.zeros(0, dtype=np.int64)
_SKIP_CHUNK = 8192


def _skip_draws(rng: np.random.Generator, k: int) -> None:
    """Draw and drop ``k`` uniforms in small chunks: the stream moves on, no big array."""
    if k <= _SKIP_CHUNK:
        rng.random(k)
        return
    buffer = np.empty(_SKIP_CHUNK)
    for start in range(0, k, _SKIP_CHUNK):
        rng.random(out=buffer[: min(_SKIP_CHUNK, k - start)])
_EMPTY_F = np.zeros(0)
_EMPTY_U = np.zeros((3, 0))


class _MonthOutcome:
    """What happened to each pair this month (read by escalation and hearing).

    Arrays span the table's capacity (rows past ``size`` stay False), so pairs met
    during the month need no copying; ``reset`` clears them at the start of a month.
    """

    __slots__ = ("worked", "success", "broken", "culprit_is_i", "level")

    def __init__(self, capacity: int) -> None:
        self.worked = np.zeros(capacity, dtype=bool)
        self.success = np.zeros(capacity, dtype=bool)
        self.broken = np.zeros(capacity, dtype=bool)
        self.culprit_is_i = np.zeros(capacity, dtype=bool)
        self.level = np.zeros(capacity, dtype=np.int8)  # the level the month's work was done at

    def reset(self) -> None:
        for name in self.__slots__:
            getattr(self, name)[:] = 0

    def grow(self, capacity: int) -> None:
        for name in self.__slots__:
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, np.zeros(capacity - old.size, dtype=old.dtype)]))


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

