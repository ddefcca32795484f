"""The one place the version is written: ``pyproject.toml`` reads it (setuptools' ``attr:``),
``collabsim.__version__`` re-exports it; ``CITATION.cff`` and ``CHANGELOG.md`` are checked
against it by ``tests/test_packaging.py``."""

__version__ = "0.1.0"
