"""Exceptions the command line turns into exit codes without a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input (a design, a parameter, an output directory): exit code 2, nothing written."""


class DesignError(UserError):
    """A sweep design that cannot be run; the message names the file and the key."""


class SweepError(Exception):
    """A sweep that could not finish (a lock held, a failed run, a full disk): exit code 1."""


class LockedError(SweepError):
    """Another collabsim process holds the output directory's lock."""


class RunFailed(SweepError):
    """A model run raised an exception (in a worker); the message names the run."""
