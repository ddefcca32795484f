"""collabsim: an agent-based model of trust and inter-organisational collaboration.

Organisations meet, work together, build (or lose) trust, and climb from networking to
coordination, cooperation and collaboration, one step at a time, under funders, a
backbone organisation and their own history. See ``docs/ODD.md``.
"""

from ._version import __version__
from .model import CollaborationModel
from .parameters import PARAMETERS, Parameter, ParameterError
from .relationships import LEVEL_NAMES
from .run import RunResult, run_model
from .scenarios import SCENARIOS, SECTORS, Scenario

__all__ = [
    "CollaborationModel",
    "PARAMETERS",
    "Parameter",
    "ParameterError",
    "SCENARIOS",
    "SECTORS",
    "Scenario",
    "LEVEL_NAMES",
    "RunResult",
    "run_model",
    "__version__",
]
