"""Before a Dask sweep runs anything: every worker must run the client's collabsim.

A worker with another collabsim version, or the same version with edited model code, would
store results of a different model under this design's fingerprint, silently. So the client
asks each connected worker for its version and model-code hash (``store.model_code``) and
refuses to start, naming the worker and both hashes, when one differs. Workers that join
after this check are not asked (start the workers first, then the sweep).
"""

from __future__ import annotations

from typing import Any

from .errors import SweepError


def identity() -> dict[str, str]:
    """What a process would run: collabsim's version and the SHA-256 of its model code."""
    from .. import __version__
    from .store import model_code

    return {"collabsim": __version__, "model_code": model_code()}


def check_workers(client: Any) -> int:
    """Raise SweepError unless every connected worker reports this process's ``identity()``; return how many were checked."""
    ours = identity()
    try:
        found = client.run(identity, on_error="return")
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"could not ask the Dask workers which collabsim they run: {exc}") from None
    for worker, theirs in sorted(found.items()):
        if isinstance(theirs, BaseException):
            raise SweepError(
                f"Dask worker {worker} could not report its collabsim version and model code "
                f"({type(theirs).__name__}: {theirs}); install the client's collabsim {ours['collabsim']} on every worker. Nothing was run."
            )
        if theirs != ours:
            raise SweepError(
                f"Dask worker {worker} runs collabsim {theirs.get('collabsim')} with model code {theirs.get('model_code')}, "
                f"but this client runs collabsim {ours['collabsim']} with model code {ours['model_code']}: "
                "install the same collabsim (the same source) on every worker. Nothing was run."
            )
    from ..logs import LOGGER

    LOGGER.debug(f"{len(found)} Dask worker(s) run collabsim {ours['collabsim']} with model code {ours['model_code']}")
    return len(found)
