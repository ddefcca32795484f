"""Letting finished models go on every supported Mesa.

Mesa up to 3.4 numbers agents with a class-level ``mesa.Agent._ids``: a ``defaultdict``
keyed by the model itself (mesa issue 3179). That dictionary lives as long as the
process, so every model that ever built an agent stays alive with all its arrays: about
150 KB per default run, 360 MB per worker over a 6,000-run sweep. Mesa 3.5 (pull request
3180) numbers agents in ``Model.register_agent`` and has no ``Agent._ids``, so its models
are freed like any other object.

collabsim does not patch Mesa. Where a model's life ends (``run.run_model`` and
``run.run_metrics``, which every sweep worker runs, and the browser page's Reset),
``release_model`` removes that model's entry from ``Agent._ids`` if the installed Mesa
has one; on Mesa 3.5 it does nothing. After ``release_model`` the model must not create
agents: on Mesa 3.3 their ``unique_id`` would start again from 1.
"""

from __future__ import annotations

import weakref
from collections.abc import MutableMapping
from typing import Any

import mesa


def _id_registry() -> MutableMapping[Any, Any] | None:
    """Mesa's class-level per-model agent counters, if this Mesa keeps them (Mesa < 3.5)."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, MutableMapping) and not isinstance(ids, weakref.WeakKeyDictionary):
        return ids
    return None


KEEPS_MODELS_ALIVE = _id_registry() is not None
"""True when the installed Mesa holds every model that built an agent until the process ends."""


def release_model(model: Any) -> None:
    """Drop the installed Mesa's process-wide reference to a finished ``model``.

    Call it once the model will create no more agents (its run is over). On a Mesa that
    keeps no such reference it does nothing.
    """
    ids = _id_registry()
    if ids is not None:
        ids.pop(model, None)


def replace_model(holder: Any, model: Any) -> None:
    """Record ``model`` as ``holder``'s current model and release the one it replaces.

    For the browser page: a tab's settings object is the holder, and Reset builds the
    tab's next model; the previous one is finished.
    """
    ref = getattr(holder, "_collabsim_current_model", None)
    previous = ref() if ref is not None else None
    if previous is not None and previous is not model:
        release_model(previous)
    holder._collabsim_current_model = weakref.ref(model)
