"""A fingerprint of the model's output over a fixed set of runs (issue 13).

Every scenario under every trust rule, on both paths a run can take: the sweep path
(``run.run_metrics``, what a study stores) and the Mesa path (``CollaborationModel``, one
``run()`` per stretch between interventions: a backbone added and removed, a funder's
mandate, broken commitments, staff replaced), plus the default run at its default size
(40 organisations, 120 months) with and without turnover and a crisis, and a run that
starts with a history. The digest covers every metric of every month (as the bytes of its
float64 or int64 column), the pair table at the end, the summary and the organisations'
skills. ``tests/test_engine.py`` holds the digest of the current model: a change of
engine, streams or bookkeeping meant to leave the model alone must leave it unchanged.

A change meant to change the model's output (a new rule, a fixed bug) changes it: print
the new one with ``python tests/output_digest.py`` and commit it with that change, saying
why in the commit message.
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

import collabsim
from collabsim.run import run_metrics

RULES = ("two_layer", "two_layer_damped", "smoothing", "beta")
SMALL = dict(n_organisations=14, months=30)
INTERVENTION_MONTHS = (4, 7, 9, 11, 15)


def _intervene(model: collabsim.CollaborationModel, month: int) -> None:
    if month == 4:
        model.set_backbone(True, capacity=5)
    elif month == 7:
        model.start_mandate(pressure=0.8, deadline_months=12, required_level=3)
    elif month == 9:
        model.inject_broken_commitment(0, 1)
        model.inject_broken_commitment(int(model.rel.i[0]), int(model.rel.j[0]))
    elif month == 11:
        model.replace_staff_at(2)
    elif month == 15:
        model.set_backbone(False)


def _update_columns(h: "hashlib._Hash", columns: dict[str, np.ndarray]) -> None:
    for name, values in columns.items():
        a = np.ascontiguousarray(values)
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        # numbers by their bytes; text (sector names) by its characters, not its pointers
        h.update(a.tobytes() if a.dtype.kind in "biuf" else "\x1f".join(map(str, a.tolist())).encode())


def _update_model(h: "hashlib._Hash", model: collabsim.CollaborationModel) -> None:
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    _update_columns(h, {name: frame[name].to_numpy() for name in frame.columns})
    rel = model.relationships()
    _update_columns(h, {name: rel[name].to_numpy() for name in rel.columns})
    h.update(json.dumps(model.summary(), sort_keys=True, default=repr).encode())
    h.update(model.orgs.skill.tobytes())


def sweep_runs() -> list[tuple[str, int, dict]]:
    """(scenario, seed, parameters) of the sweep path's runs."""
    runs = [(scenario, 11, dict(trust_rule=rule, **SMALL)) for scenario in sorted(collabsim.SCENARIOS) for rule in RULES]
    runs += [
        ("default", 3, {}),
        ("default", 4, dict(staff_turnover=0.05, shock_month=30)),
        ("default", 5, dict(start="history", trust_rule="beta")),
        ("two_funders", 6, dict(n_organisations=60, months=90)),
    ]
    return runs


def output_digest() -> str:
    """The sha256 of every output of the fixed runs (sweep path, then Mesa path)."""
    h = hashlib.sha256()
    for scenario, seed, params in sweep_runs():
        h.update(f"sweep {scenario} {seed} {sorted(params.items())}".encode())
        _update_columns(h, run_metrics(scenario, seed=seed, **params))
    for scenario in sorted(collabsim.SCENARIOS):
        for rule in RULES:
            h.update(f"mesa {scenario} {rule}".encode())
            model = collabsim.CollaborationModel(scenario, seed=5, trust_rule=rule, **SMALL)
            last = 0
            for month in INTERVENTION_MONTHS:
                model.run(month - last)
                _intervene(model, month)
                last = month
            model.run(SMALL["months"] - last)
            _update_model(h, model)
    for seed, params in ((3, {}), (4, dict(staff_turnover=0.05, shock_month=30))):
        h.update(f"mesa default {seed}".encode())
        _update_model(h, collabsim.CollaborationModel("default", seed=seed, **params).run())
    return h.hexdigest()


if __name__ == "__main__":
    print(output_digest())
    sys.exit(0)
