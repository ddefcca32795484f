"""Sweep engine: designs (TOML), a crash-safe Parquet store, local or Dask execution,
reports and global sensitivity analysis. The ``collabsim`` command (``collabsim.cli``)
is the user interface; these modules are usable from Python as well.
"""

from .design import Design, DesignError, load_design

__all__ = ["Design", "DesignError", "load_design"]
