"""Sweep designs: a TOML file (read with the standard library's ``tomllib``) turned into a
list of design points and a list of replicate seeds.

A design has a base scenario, ``months``, ``replicates``, ``root_seed``, fixed overrides in
``[set]`` and at most one way of choosing points:

* ``[vary]``: lists of values, full factorial (the first key varies slowest);
* ``[sample]``: ``method = "lhs" | "sobol"``, ``n`` points, ``[sample.ranges]`` bounds,
  drawn with ``scipy.stats.qmc`` seeded from ``root_seed``;
* ``[[points]]``: explicit points, one table each.

Replicate seeds come from ``numpy.random.SeedSequence(root_seed)`` and every point uses
the same seeds (common random numbers), so differences between points are not noise
from different random streams. Run ``r`` of point ``p`` has ``run_id = p * replicates + r``.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..parameters import DEFAULTS, PARAMETERS, ParameterError, unknown_name_message
from ..scenarios import SCENARIOS, scenario_parameters
from .errors import DesignError

TOP_LEVEL_KEYS = ("scenario", "community", "months", "replicates", "root_seed", "description", "collect", "set", "vary", "sample", "points")
SAMPLE_METHODS = ("lhs", "sobol")
RESERVED = {
    "seed": "replicate seeds come from root_seed (one seed per replicate, the same for every point)",
    "months": "set the run length with the top-level key months",
}
MAX_SEED = 2**63 - 1
MAX_RUNS = 10_000_000


@dataclass
class Design:
    """A validated sweep design.

    Attributes:
        path: the design file (for messages and the manifest).
        scenario: base preset.
        months: months per run.
        replicates: runs per point.
        root_seed: seed of the replicate seeds and of the sample.
        fixed: validated ``[set]`` overrides.
        varied: names of the parameters that differ between points (stored as columns).
        points: one dict per point, ``{name: value}`` for every name in ``varied``.
        seeds: one seed per replicate (the same for every point).
        kind: ``"single"``, ``"vary"``, ``"sample"``, ``"points"`` or a sensitivity method.
        ranges: ``[sample.ranges]`` bounds, when given.
        sample_n: ``[sample] n``, when given.
        description: free text from the file.
        community: folder of an observed community (``collabsim.community``) every run
            starts from, or ``None``; ``community_sha256`` fingerprints its two files.
    """

    path: str
    scenario: str
    months: int
    replicates: int
    root_seed: int
    fixed: dict[str, Any] = field(default_factory=dict)
    varied: list[str] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    kind: str = "single"
    ranges: dict[str, list[float]] = field(default_factory=dict)
    sample_n: int | None = None
    sample_method: str | None = None
    description: str = ""
    community: str | None = None
    community_sha256: str | None = None
    collect: str | int = "every"

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replicates

    def run_spec(self, run_id: int) -> tuple[int, int, int, dict[str, Any]]:
        """``(point, replicate, seed, parameters)`` of one run."""
        point, rep = divmod(run_id, self.replicates)
        params = {**self.fixed, **self.points[point]}
        if self.community is not None:
            params["community"] = self.community
        return point, rep, self.seeds[rep], params

    def to_dict(self) -> dict[str, Any]:
        """Everything that determines the results (the manifest's ``design``)."""
        return {
            "scenario": self.scenario,
            "months": self.months,
            "replicates": self.replicates,
            "root_seed": self.root_seed,
            "kind": self.kind,
            "set": self.fixed,
            "varied": self.varied,
            "points": self.points,
            "seeds": self.seeds,
            "ranges": self.ranges,
            "sample_n": self.sample_n,
            "sample_method": self.sample_method,
            **({"community": self.community, "community_sha256": self.community_sha256} if self.community else {}),
            # stored months (rows.py); absent when every month is stored, as before it existed
            **({"collect": self.collect} if self.collect != "every" else {}),
        }

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of ``to_dict()``: equal designs, equal fingerprints."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def base_values(self) -> dict[str, Any]:
        """Registry defaults, then the scenario's presets, then ``[set]``."""
        return {**DEFAULTS, **scenario_parameters(self.scenario), **self.fixed}


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seed of each replicate: child ``(0, r)`` of ``SeedSequence(root_seed)``, 63 bits.

    Replicate ``r``'s seed does not depend on how many replicates there are, so adding
    replicates to a design extends it without changing the existing ones.
    """
    seeds = []
    for r in range(replicates):
        word = np.random.SeedSequence(root_seed, spawn_key=(0, r)).generate_state(1, dtype=np.uint64)[0]
        seeds.append(int(word >> np.uint64(1)))
    return seeds


def sample_generator(root_seed: int) -> np.random.Generator:
    """The generator that draws a design's sample (child ``(1,)`` of ``root_seed``)."""
    return np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(1,)))


def sample_seed(root_seed: int) -> int:
    """A 32-bit integer seed for samplers that take one (SALib), derived from ``root_seed``."""
    return int(np.random.SeedSequence(root_seed, spawn_key=(2,)).generate_state(1)[0])


def _qmc_engine(cls: Any, d: int, rng: np.random.Generator) -> Any:
    """Build a ``scipy.stats.qmc`` engine with ``rng=`` (SciPy >= 1.15) or ``seed=``."""
    if "rng" in inspect.signature(cls).parameters:
        return cls(d, rng=rng)
    return cls(d, seed=rng)  # pragma: no cover - SciPy < 1.15


class _Reader:
    """Validation helpers that prefix every message with the file and the key."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> DesignError:
        return DesignError(f"{self.path}: {key}: {message}" if key else f"{self.path}: {message}")

    def integer(self, data: dict, key: str, low: int, high: int, default: int | None = None) -> int:
        if key not in data:
            if default is None:
                raise self.fail(key, f"missing; give an integer in [{low}, {high}]")
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be an integer in [{low}, {high}], got {value!r}")
        if not low <= value <= high:
            raise self.fail(key, f"must be an integer in [{low}, {high}], got {value!r}")
        return value

    def parameter(self, section: str, name: str, value: Any) -> Any:
        key = f"[{section}] {name}"
        if name in RESERVED:
            raise self.fail(key, f"cannot be set here: {RESERVED[name]}")
        if name not in PARAMETERS:
            raise self.fail(key, unknown_name_message(name, PARAMETERS))
        if isinstance(value, (list, dict)):
            raise self.fail(key, f"must be a single value ({PARAMETERS[name].range_text()}), got {value!r}")
        try:
            return PARAMETERS[name].check(value)
        except ParameterError as exc:
            raise self.fail(key, str(exc)) from None

    def table(self, data: dict, key: str) -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table ([{key}]), got {value!r}")
        return value


def load_design(path: str | Path, purpose: str = "sweep") -> Design:
    """Read and validate a design file; raise DesignError naming the file and the key.

    Args:
        path: the TOML file.
        purpose: ``"sweep"`` (points from ``[vary]``, ``[sample]`` or ``[[points]]``) or
            ``"sensitivity"`` (``[sample.ranges]`` and ``[sample] n`` required; the
            points come later from SALib, see ``collabsim.sweep.sensitivity``).
    """
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise DesignError(f"{shown}: no such design file") from None
    except OSError as exc:
        raise DesignError(f"{shown}: cannot read the design file ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DesignError(f"{shown}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DesignError(f"{shown}: TOML syntax error: {exc}") from None
    return design_from_dict(data, shown, purpose)


def design_from_dict(data: dict[str, Any], path: str = "<design>", purpose: str = "sweep") -> Design:
    """Validate a parsed design (see ``load_design``)."""
    r = _Reader(path)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            hint = unknown_name_message(key, TOP_LEVEL_KEYS, "key")
            raise r.fail(key, hint)

    scenario = data.get("scenario", "default")
    if not isinstance(scenario, str) or scenario not in SCENARIOS:
        raise r.fail("scenario", unknown_name_message(str(scenario), SCENARIOS, "scenario"))
    description = data.get("description", "")
    if not isinstance(description, str):
        raise r.fail("description", f"must be a string, got {description!r}")

    base = {**DEFAULTS, **scenario_parameters(scenario)}
    months_param = PARAMETERS["months"]
    months = r.integer(data, "months", int(months_param.low), int(months_param.high), int(base["months"]))
    replicates = r.integer(data, "replicates", 1, 100_000, 1)
    root_seed = r.integer(data, "root_seed", 0, MAX_SEED, 0)

    fixed = {name: r.parameter("set", name, value) for name, value in r.table(data, "set").items()}

    ways = [key for key in ("vary", "sample", "points") if key in data]
    if len(ways) > 1:
        raise r.fail(ways[1], f"a design chooses its points one way; it has {' and '.join(ways)}: keep one of [vary], [sample] or [[points]]")

    design = Design(shown_path(path), scenario, months, replicates, root_seed, fixed, description=description)
    if "collect" in data:
        from .rows import parse_collect

        design.collect = parse_collect(data["collect"], f"{shown_path(path)}: key 'collect'")
    design.seeds = replicate_seeds(root_seed, replicates)
    if "community" in data:
        design.community, design.community_sha256 = _read_community(r, data["community"], path)
        if "n_organisations" in fixed:
            raise r.fail("set", "n_organisations cannot be set with a community: the community's files give it")

    if purpose == "sensitivity":
        if "sample" not in data:
            raise r.fail("sample", "missing; a sensitivity design names its parameters and bounds in [sample.ranges] and the base sample size in [sample] n")
        _read_ranges(r, data["sample"], design, need_method=False)
        return design
    if "vary" in data:
        _read_vary(r, data, design)
    elif "sample" in data:
        _read_ranges(r, data["sample"], design, need_method=True)
        _draw_sample(design)
    elif "points" in data:
        _read_points(r, data, design)
    else:
        design.kind = "single"
        design.points = [{}]
    if design.n_runs > MAX_RUNS:
        raise r.fail("replicates", f"the design has {design.n_runs} runs; at most {MAX_RUNS} are allowed")
    return design


def _read_community(r: "_Reader", value: Any, path: str | Path) -> tuple[str, str]:
    """The community folder (relative paths from the design file's folder), checked by
    loading it; returns the folder and a SHA-256 of its two files."""
    from ..community import CommunityError, load_community

    if not isinstance(value, str) or not value.strip():
        raise r.fail("community", f"must be the path of a folder with organisations.csv and relationships.csv, got {value!r}")
    folder = Path(value).expanduser()
    if not folder.is_absolute() and str(path) != "<design>":
        folder = Path(path).resolve().parent / folder
    try:
        load_community(folder)
    except CommunityError as exc:
        raise r.fail("community", str(exc)) from None
    h = hashlib.sha256()
    for name in ("organisations.csv", "relationships.csv"):
        h.update((folder / name).read_bytes())
    return str(folder), h.hexdigest()


def shown_path(path: str) -> str:
    return str(path)


def _read_vary(r: _Reader, data: dict, design: Design) -> None:
    vary = r.table(data, "vary")
    if not vary:
        raise r.fail("vary", "is empty; give at least one parameter with a list of values")
    lists: dict[str, list[Any]] = {}
    for name, values in vary.items():
        key = f"[vary] {name}"
        if not isinstance(values, list):
            raise r.fail(key, f"must be a list of values, for example {name} = [{_example(name)}], got {values!r}")
        if not values:
            raise r.fail(key, f"is an empty list (empty range); give at least one value in {PARAMETERS[name].range_text() if name in PARAMETERS else 'its range'}")
        lists[name] = [r.parameter("vary", name, v) for v in values]
        if name in design.fixed:
            raise r.fail(key, "is also fixed in [set]; keep it in one place")
    design.kind = "vary"
    design.varied = list(lists)
    design.points = [dict(zip(lists, combo)) for combo in itertools.product(*lists.values())]


def _example(name: str) -> str:
    p = PARAMETERS.get(name)
    if p is None:
        return "..."
    return ", ".join(json.dumps(v) for v in (p.default,) if v is not None) or "..."


def _read_ranges(r: _Reader, sample: Any, design: Design, need_method: bool) -> None:
    if not isinstance(sample, dict):
        raise r.fail("sample", f"must be a table ([sample]), got {sample!r}")
    allowed = ("method", "n", "ranges")
    for key in sample:
        if key not in allowed:
            raise r.fail(f"[sample] {key}", unknown_name_message(key, allowed, "key"))
    if need_method:
        method = sample.get("method")
        if method not in SAMPLE_METHODS:
            raise r.fail("[sample] method", f"must be one of {', '.join(repr(m) for m in SAMPLE_METHODS)}, got {method!r}")
        design.sample_method = method
    design.sample_n = r.integer(sample, "n", 1, 1_000_000) if "n" in sample else None
    if design.sample_n is None:
        raise r.fail("[sample] n", "missing; give the number of sample points (an integer >= 1)")
    if need_method and design.sample_method == "sobol" and design.sample_n & (design.sample_n - 1):
        raise r.fail("[sample] n", f"must be a power of 2 for method = 'sobol' (the balance of Sobol' points needs it), got {design.sample_n}")
    ranges = sample.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        raise r.fail("[sample.ranges]", "missing or empty; give bounds such as trust_gain = [0.02, 0.3]")
    for name, bounds in ranges.items():
        key = f"[sample.ranges] {name}"
        if name in RESERVED:
            raise r.fail(key, f"cannot be set here: {RESERVED[name]}")
        if name not in PARAMETERS:
            raise r.fail(key, unknown_name_message(name, PARAMETERS))
        param = PARAMETERS[name]
        if param.kind not in ("float", "int"):
            raise r.fail(key, f"only numeric parameters can be sampled; {name} is {param.range_text()}")
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)):
            raise r.fail(key, f"must be [low, high] with two numbers in {param.range_text()}, got {bounds!r}")
        low, high = (r.parameter("sample.ranges", name, b) for b in bounds)
        if not low < high:
            raise r.fail(key, f"is an empty range [{low}, {high}]: low must be below high, both in {param.range_text()}")
        if name in design.fixed:
            raise r.fail(key, "is also fixed in [set]; keep it in one place")
        design.ranges[name] = [low, high]
    design.varied = list(design.ranges)
    design.kind = "sample"


def _draw_sample(design: Design) -> None:
    from scipy.stats import qmc

    d = len(design.ranges)
    rng = sample_generator(design.root_seed)
    if design.sample_method == "lhs":
        unit = _qmc_engine(qmc.LatinHypercube, d, rng).random(design.sample_n)
    else:
        m = int(design.sample_n).bit_length() - 1
        unit = _qmc_engine(qmc.Sobol, d, rng).random_base2(m)
    lows = [b[0] for b in design.ranges.values()]
    highs = [b[1] for b in design.ranges.values()]
    values = qmc.scale(unit, lows, highs)
    design.points = [point_from_row(design.varied, row) for row in values]


def point_from_row(names: list[str], row: Any) -> dict[str, Any]:
    """A point from one row of a unit-scaled sample (integers rounded, then checked)."""
    point = {}
    for name, x in zip(names, row):
        param = PARAMETERS[name]
        value = int(np.rint(x)) if param.kind == "int" else float(x)
        point[name] = param.check(value)
    return point


def _read_points(r: _Reader, data: dict, design: Design) -> None:
    points = data["points"]
    if not isinstance(points, list) or not points or not all(isinstance(p, dict) for p in points):
        raise r.fail("points", "must be one or more [[points]] tables, each with name = value lines")
    checked = []
    for index, point in enumerate(points, 1):
        if not point:
            raise r.fail(f"[[points]] #{index}", "is empty; give at least one name = value")
        row = {}
        for name, value in point.items():
            row[name] = r.parameter(f"points #{index}", name, value)
            if name in design.fixed:
                raise r.fail(f"[[points]] #{index} {name}", "is also fixed in [set]; keep it in one place")
        checked.append(row)
    names = list(dict.fromkeys(name for p in checked for name in p))
    base = design.base_values()
    design.kind = "points"
    design.varied = names
    design.points = [{name: p.get(name, base[name]) for name in names} for p in checked]
