"""Optional parts of collabsim and the one-line error when one is not installed.

``pip install collabsim`` gives the model, the CLI's runs, sweeps, reports and sensitivity
analyses. Two parts need more (``pyproject.toml``'s extras): the browser page (``viz``) and
Dask clusters (``dask``). A command that needs a missing extra says which extra and the pip
command, in one line, and exits with 2, before importing anything of it: an
``ImportError`` traceback from deep inside Solara tells a user nothing.
"""

from __future__ import annotations

import importlib.util

from .sweep.errors import UserError

EXTRAS: dict[str, tuple[str, ...]] = {
    "viz": ("solara", "ipyvuetify", "ipyvue", "mesa.visualization"),
    "dask": ("distributed",),
}
"""Modules each extra provides that collabsim imports."""


class MissingExtra(UserError):
    """A command needs an extra that is not installed (exit code 2)."""


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    missing = []
    for name in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package missing, or a broken module
            found = False
        if not found:
            missing.append(name)
    return missing


def require(extra: str, feature: str) -> None:
    """Raise MissingExtra (one line: the extra and its pip command) unless ``extra`` is installed."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtra(
            f"{feature} needs the '{extra}' extra, which is not installed (no module {missing[0]!r}): "
            f"pip install 'collabsim[{extra}]'"
        )
