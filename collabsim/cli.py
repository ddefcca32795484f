"""The ``collabsim`` command: run, sweep, export, report, replicates, sensitivity, params, metrics, scenarios, viz.

Exit codes: 0 done, 2 bad input (one clear message, nothing written), 1 anything else.
Run ``collabsim COMMAND --help`` for each command's options and examples; ``docs/cli.md``
has the full guide (designs, storage, Dask clusters).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import shlex
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Sequence

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

MAIN_EPILOG = """\
examples:
  collabsim scenarios
  collabsim params --group trust
  collabsim metrics                       # every output column: meaning, unit, monthly or cumulative
  collabsim run --scenario police_community --set history_of_harm=0.8 --seed 1 --out out/run1
  collabsim sweep experiments/examples/trust_gain_x_pressure.toml --out out/sweep1
  collabsim report out/sweep1
  collabsim replicates out/sweep1 --metric durable_collaborations --halfwidth 1
  collabsim export out/sweep1 --format csv --shape wide
  collabsim sensitivity experiments/examples/sensitivity_small.toml --method morris --out out/sa1
  collabsim sweep design.toml --out out/sweep1 --scheduler tcp://127.0.0.1:8786
  collabsim viz --port 8765

exit codes: 0 done, 2 bad input (nothing written), 1 anything else.
See docs/cli.md for design files, storage and Dask clusters."""

RUN_EPILOG = """\
examples:
  collabsim run --seed 1 --out out/default-1
  collabsim run --scenario funder_mandate --months 60 --set funder_pressure=0.9 --set backbone=true --out out/fm
  collabsim run --scenario police_community --seed 42          # summary only, no files

--out DIR receives metrics.csv (one row per month), relationships.csv (the pairs at the
end), summary.json and manifest.json (every parameter, the seed, versions, the command)."""

SWEEP_EPILOG = """\
examples:
  collabsim sweep experiments/examples/trust_gain_x_pressure.toml --out out/tg
  collabsim sweep design.toml --out out/tg --workers 2            # same command again resumes
  collabsim sweep design.toml --out out/tg --scheduler tcp://127.0.0.1:8786
  collabsim sweep other.toml --out out/tg --force-new              # replace a different design

The results are a Parquet dataset: pandas.read_parquet("out/tg/runs"), one row per run and
month (sort by run_id, month). A design file looks like:

  scenario = "default"
  months = 60
  replicates = 20
  root_seed = 12345
  [set]
  n_organisations = 30
  [vary]
  trust_gain = [0.05, 0.10, 0.20]
  funder_pressure = [0.0, 0.5]"""

EXPORT_EPILOG = """\
examples:
  collabsim export out/tg                                  # out/tg/export/runs_long.csv
  collabsim export out/tg --shape wide --format parquet    # one row per run: METRIC_mMONTH columns
  collabsim export out/tg --out tg.csv

Long: one row per run and stored month (see 'collabsim sweep --collect'), like
BehaviorSpace's table output. Wide: one row per run. Both carry run_id, point,
replicate, seed, scenario and every parameter the run used."""

REPORT_EPILOG = """\
examples:
  collabsim report out/tg
  collabsim report out/tg --metrics mean_trust pairs_collaboration
  collabsim report out/tg --reference funder_pressure=0.5 --adjust bh

Writes under DIR/report/: by_month.csv and final.csv (mean, sd and 95% CI over replicates
per design point), effects.csv, and PNG figures (time series with bands, one- and
two-parameter effect plots, heat maps for two-parameter grids); contrasts.csv,
interactions.csv and contrasts.md: paired differences against each factor's reference level
(or, for [[points]], against a reference point) with 95% CI, d_z and raw and adjusted p
(Holm, or BH with --adjust bh, over every test of the report); survival.csv: Kaplan-Meier
medians of first_collaboration_month (censored at the last month), never its mean."""

REPLICATES_EPILOG = """\
examples:
  collabsim replicates out/pilot --metric durable_collaborations --halfwidth 1
  collabsim replicates out/pilot --metric mean_trust --halfwidth 0.01 --format csv > need.csv

For each paired contrast of 'collabsim report' (same seeds, other factors held), the
smallest n with t(n-1) * sd / sqrt(n) <= H, sd being the SD of the pilot's per-seed
differences. Run the pilot with the design you will use, at 10-20 replicates."""

SENSITIVITY_EPILOG = """\
examples:
  collabsim sensitivity experiments/examples/sensitivity_small.toml --method morris --out out/sa
  collabsim sensitivity design.toml --method sobol --out out/sobol --metric mean_trust

The design's [sample.ranges] name the parameters and their bounds and [sample] n is the
base sample size (Morris: trajectories; Sobol': a power of 2, N*(D+2) points). Writes
DIR/sensitivity.csv (SALib's column names) and DIR/sensitivity.png."""


# ------------------------------------------------------------------------------ parser
class _Parser(argparse.ArgumentParser):
    """argparse that says 'collabsim: error:' and exits 2 (bad input), as argparse does."""


def version_lines() -> list[str]:
    """What ``collabsim --version`` prints: everything a run's numbers depend on."""
    import platform

    import mesa
    import numba
    import numpy

    from . import __version__

    return [
        f"collabsim {__version__}",
        f"Mesa {mesa.__version__}",
        f"numpy {numpy.__version__}",
        f"numba {numba.__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()}, {platform.system()})",
    ]


class _VersionAction(argparse.Action):
    """``--version``: one line per package (argparse's own action would re-wrap them)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None) -> None:
        print("\n".join(version_lines()))
        parser.exit(0)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more messages (through Python's logging): -v details, -vv everything")


def _add_engine(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="sweep directory (created; an existing one of the same design resumes)")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--scheduler-file", metavar="FILE", help="run on the Dask cluster described by this scheduler file")
    p.add_argument("--connect-timeout", type=float, default=20.0, metavar="SECONDS", help="how long to try to reach the Dask scheduler (default 20)")
    p.add_argument("--force-new", action="store_true", help="if DIR holds a different design, delete its runs and start this one")
    p.add_argument("--batch-size", type=int, metavar="K", help="runs per task (default: automatic, large first, small last)")
    p.add_argument("--recycle-after", type=int, default=100, metavar="B", help="replace the local worker processes after B batches each (default 100; 0: never)")
    _add_common(p)


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="collabsim", description="Agent-based model of trust and inter-organisational collaboration.", epilog=MAIN_EPILOG, formatter_class=fmt)
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the versions of collabsim, Mesa, numpy, numba and Python and exit")
    parser.add_argument("-v", "--verbose", dest="verbose_before", action="count", default=0, help="more messages (also after the command)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("run", help="one run: tables, summary and manifest", description="Run one scenario once.", epilog=RUN_EPILOG, formatter_class=fmt)
    p.add_argument("--scenario", default="default", help="a scenario name (see 'collabsim scenarios'; default: default)")
    p.add_argument("--community", metavar="DIR", help="start from an observed community: a folder with organisations.csv and relationships.csv (docs/community.md)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter (repeatable; see 'collabsim params')")
    p.add_argument("--months", metavar="N", help="months to run (default: the scenario's)")
    p.add_argument("--seed", metavar="S", help="random seed (default: drawn, then recorded)")
    p.add_argument("--out", metavar="DIR", help="write metrics.csv, relationships.csv, summary.json, manifest.json here")
    _add_common(p)

    p = sub.add_parser("sweep", help="run a design of many runs (resumable)", description="Run a sweep design (TOML) into a resumable Parquet store.", epilog=SWEEP_EPILOG, formatter_class=fmt)
    p.add_argument("design", metavar="DESIGN.toml")
    p.add_argument("--collect", metavar="every|final|K", help="months stored per run: every (default), final (the last only) or K (0, K, 2K, ... and the last); overrides the design's collect")
    _add_engine(p)

    p = sub.add_parser("export", help="a sweep's runs as one CSV or Parquet file, long or wide", description="Write a sweep's stored runs as one file: long (one row per run and month) or wide (one row per run), with the keys, the scenario and every parameter as columns.", formatter_class=fmt, epilog=EXPORT_EPILOG)
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--shape", choices=("long", "wide"), default="long")
    p.add_argument("--out", metavar="FILE", help="the file to write (default: DIR/export/runs_SHAPE.FORMAT)")
    _add_common(p)

    p = sub.add_parser("report", help="means and 95%% CIs over replicates, paired contrasts, tables and figures", description="Summarise a sweep directory.", epilog=REPORT_EPILOG, formatter_class=fmt)
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--metrics", nargs="+", metavar="NAME", help="metrics to draw and to compare in contrasts.csv (default: a few key ones; the mean tables always hold every metric)")
    p.add_argument("--reference", action="append", metavar="NAME=VALUE", help="reference level of a varied factor (default: its first level), or point=N for a [[points]] design (repeatable)")
    p.add_argument("--adjust", choices=("holm", "bh"), default="holm", help="multiplicity adjustment over the report's tests: holm (family-wise error, default) or bh (false discovery rate)")
    _add_common(p)

    p = sub.add_parser("replicates", help="replicates needed for a chosen CI half-width of each paired contrast, from a pilot sweep", description="From a pilot sweep: how many replicates each paired contrast of 'collabsim report' needs for a given CI half-width.", epilog=REPLICATES_EPILOG, formatter_class=fmt)
    p.add_argument("dir", metavar="DIR", help="the pilot sweep's directory")
    p.add_argument("--metric", action="append", required=True, metavar="NAME", help="metric whose contrasts must reach the half-width (repeatable; same unit for all)")
    p.add_argument("--halfwidth", required=True, metavar="H", help="target half-width of the CI of each paired difference, in the metric's unit")
    p.add_argument("--conf", type=float, default=0.95, metavar="LEVEL", help="confidence level (default 0.95)")
    p.add_argument("--reference", action="append", metavar="NAME=VALUE", help="as for 'collabsim report'")
    p.add_argument("--format", choices=("table", "csv"), default="table")

    p = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib: Morris or Sobol')", description="Global sensitivity analysis with SALib.", epilog=SENSITIVITY_EPILOG, formatter_class=fmt)
    p.add_argument("design", metavar="DESIGN.toml")
    p.add_argument("--method", required=True, choices=("morris", "sobol"))
    p.add_argument("--metric", action="append", metavar="NAME", help="output metric at the final month, averaged over replicates (repeatable; default: mean_trust, pairs_collaboration, durable_collaborations)")
    p.add_argument("--levels", type=int, default=4, metavar="L", help="Morris grid levels (default 4)")
    _add_engine(p)

    p = sub.add_parser("params", help="list the model's parameters", description="List every parameter: name, default, range, unit, meaning, source.", formatter_class=fmt, epilog="examples:\n  collabsim params\n  collabsim params --group funder\n  collabsim params --format csv > params.csv")
    p.add_argument("--group", help="only this group (scale, trust, relationships, funder, interventions, crisis, structure)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = sub.add_parser("metrics", help="list the output columns: meaning, unit, monthly or cumulative", description="List every column of the monthly table (metrics.csv, a sweep's runs): its meaning, its unit, and whether it is this month's value (monthly) or the total since month 0 (cumulative).", formatter_class=fmt, epilog="examples:\n  collabsim metrics\n  collabsim metrics --format csv > metrics.csv\n  collabsim metrics --format markdown")
    p.add_argument("--format", choices=("table", "csv", "json", "markdown"), default="table")

    p = sub.add_parser("scenarios", help="list the named scenarios", description="List the named scenarios and their presets.", formatter_class=fmt, epilog="examples:\n  collabsim scenarios\n  collabsim scenarios --format json")
    p.add_argument("--format", choices=("table", "json"), default="table")

    sub.add_parser("viz", help="the browser page (see 'collabsim viz --help')", add_help=False)
    return parser


# ------------------------------------------------------------------------------ helpers
def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _json_safe(value: Any) -> Any:
    """NaN and infinities become None, numpy scalars plain numbers (valid JSON)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _command_line(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(a) for a in ["collabsim", *argv])


# ------------------------------------------------------------------------------ commands
def cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .parameters import PARAMETERS, ParameterError, parse_assignment
    from .scenarios import get_scenario
    from .sweep.errors import UserError
    from .sweep.store import atomic_write_text, check_output_dir, git_commit, model_code, versions

    try:
        get_scenario(args.scenario)
        overrides: dict[str, Any] = {}
        for text in args.set:
            name, value = parse_assignment(text)
            overrides[name] = value
        if args.months is not None:
            months = PARAMETERS["months"].parse(args.months)
            if "months" in overrides and overrides["months"] != months:
                raise ParameterError(f"--months {months} and --set months={overrides['months']} disagree")
            overrides["months"] = months
        seed = overrides.pop("seed", None)
        if args.seed is not None:
            given = PARAMETERS["seed"].parse(args.seed)
            if seed is not None and seed != given:
                raise ParameterError(f"--seed {given} and --set seed={seed} disagree")
            seed = given
        months = overrides.pop("months", None)
        from .parameters import validate

        validate(overrides)
    except ParameterError as exc:
        raise UserError(str(exc)) from None
    out = Path(args.out) if args.out else None
    if out is not None:
        check_output_dir(out)
        if out.is_dir():
            manifest = out / "manifest.json"
            ours = False
            if manifest.is_file():
                try:
                    ours = json.loads(manifest.read_text(encoding="utf-8")).get("format") == "collabsim-run"
                except (OSError, ValueError, AttributeError):
                    ours = False
            others = [p.name for p in out.iterdir() if not p.name.startswith(".")]
            if others and not ours:
                raise UserError(f"--out {out}: not empty and not the output of 'collabsim run' ({', '.join(sorted(others)[:5])}); choose a new or empty directory")

    from .logs import LOGGER
    from .run import run_model

    LOGGER.debug(f"run: scenario {args.scenario}, seed {seed}, months {months}, overrides {overrides}")
    started = _now()
    t0 = time.perf_counter()
    try:
        if args.community is not None:
            overrides["community"] = args.community
        result = run_model(args.scenario, seed=seed, months=months, **overrides)
    except ParameterError as exc:
        raise UserError(str(exc)) from None
    elapsed = time.perf_counter() - t0
    finished = _now()
    summary = _json_safe(result.summary)

    if out is not None:
        manifest = {
            "format": "collabsim-run",
            "command": _command_line(argv),
            "argv": list(argv),
            "scenario": args.scenario,
            "seed": result.params.get("seed"),
            "months": result.params.get("months"),
            "overrides": _json_safe(overrides),
            "parameters": _json_safe(result.params),
            "versions": versions(),
            "model_code": model_code(),
            "git": git_commit(),
            "started": started,
            "finished": finished,
            "elapsed_seconds": round(elapsed, 4),
            "files": ["metrics.csv", "relationships.csv", "summary.json", "manifest.json"],
        }
        try:
            out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out / "metrics.csv", result.metrics.to_csv(index=False))
            atomic_write_text(out / "relationships.csv", result.relationships.to_csv(index=False))
            atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, allow_nan=False) + "\n")
            atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2, allow_nan=False) + "\n")
        except OSError as exc:
            from .sweep.errors import SweepError
            from .sweep.store import os_error_message

            raise SweepError(f"could not write to --out {out}: {os_error_message(exc)}") from None

    if not args.quiet:
        _print_run_summary(args.scenario, result, summary, elapsed, out)
    return EXIT_OK


def _print_run_summary(scenario: str, result: Any, summary: dict, elapsed: float, out: Path | None) -> None:
    p = result.params
    first = summary.get("months_to_first_collaboration")
    median = summary.get("median_months_to_collaboration")
    trust = summary.get("mean_trust")
    lines = [
        f"collabsim run: scenario {scenario}, seed {p.get('seed')}, {p.get('months')} months, {p.get('n_organisations')} organisations ({elapsed:.2f} s)",
        "  pairs at the end: " + ", ".join(f"{k[6:]} {summary[k]}" for k in summary if k.startswith("pairs_")),
        f"  mean trust {trust:.3f}" if isinstance(trust, (int, float)) else "  mean trust: no pairs",
        f"  first collaboration: month {first}" if first is not None else "  first collaboration: none",
    ]
    if median is not None:
        lines.append(f"  median months from first contact to collaboration: {median:g}")
    lines.append(f"  collaborations formed {summary.get('collaborations_formed')}, durable {summary.get('durable_collaborations')}, breakdowns {summary.get('breakdowns')}")
    if out is not None:
        lines.append(f"  written: {out}/metrics.csv, relationships.csv, summary.json, manifest.json")
    print("\n".join(lines))


def _engine_options(args: argparse.Namespace) -> dict[str, Any]:
    from .sweep.errors import UserError

    if args.scheduler and args.scheduler_file:
        raise UserError("give --scheduler or --scheduler-file, not both")
    if args.scheduler_file and not Path(args.scheduler_file).is_file():
        raise UserError(f"--scheduler-file {args.scheduler_file}: no such file")
    return dict(
        workers=args.workers,
        scheduler=args.scheduler,
        scheduler_file=args.scheduler_file,
        force_new=args.force_new,
        quiet=args.quiet,
        batch_size=args.batch_size,
        connect_timeout=args.connect_timeout,
        recycle_after=args.recycle_after,
    )


def cmd_sweep(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .sweep.design import load_design
    from .sweep.engine import run_design

    design = load_design(args.design)
    if args.collect is not None:
        from .sweep.rows import parse_collect

        design.collect = parse_collect(args.collect)
    options = _engine_options(args)
    stats = run_design(design, args.out, kind="sweep", command=list(argv), **options)
    if not args.quiet:
        rate = stats["new"] / stats["seconds"] if stats["seconds"] > 0 else float("nan")
        print(
            f"collabsim sweep: {stats['total']} runs stored in {args.out} "
            f"({stats['new']} new, {stats['already_stored']} already stored; {stats['seconds']:.1f} s, {rate:.1f} runs/s)\n"
            f"  read them with pandas.read_parquet({str(Path(args.out) / 'runs')!r}); summarise with: collabsim report {args.out}"
        )
    return EXIT_OK


def cmd_export(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .sweep.export import export

    path, rows, complete = export(args.dir, args.format, args.shape, args.out)
    if not args.quiet:
        note = "" if complete else " (the sweep is not complete: only its stored runs)"
        print(f"collabsim export: {rows} rows ({args.shape}) in {path}{note}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .sweep.report import make_report

    written = make_report(args.dir, metrics=args.metrics, quiet=args.quiet, references=args.reference, adjust=args.adjust)
    if not args.quiet:
        print((Path(args.dir) / "report" / "contrasts.md").read_text(encoding="utf-8"))
        print(f"collabsim report: {len(written)} files in {Path(args.dir) / 'report'}")
    return EXIT_OK


def cmd_replicates(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .sweep.report import replicates_needed

    table = replicates_needed(args.dir, args.metric, args.halfwidth, conf=args.conf, references=args.reference)
    if args.format == "csv":
        print(table.to_csv(index=False), end="")
        return EXIT_OK
    shown = table.drop(columns=["kind", "target_halfwidth", "conf"]).copy()
    if not shown["given"].astype(bool).any():
        shown = shown.drop(columns="given")
    for column in ("diff", "sd_diff", "pilot_halfwidth"):
        shown[column] = shown[column].map(lambda v: f"{v:.3g}")
    print(shown.fillna("").to_string(index=False))
    print(f"\nTarget: each {args.conf:g} CI of a paired difference within +-{table['target_halfwidth'].iloc[0]:g}; "
          f"the largest need is {int(table['replicates_needed'].max())} replicates (pilot: {int(table['pilot_n'].max())}). "
          "A pilot's SD is itself uncertain: re-check the half-widths in the full run's contrasts.csv.")
    return EXIT_OK


def cmd_sensitivity(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .sweep.sensitivity import run_sensitivity

    options = _engine_options(args)
    table = run_sensitivity(args.design, args.method, args.out, metrics=args.metric, levels=args.levels, command=list(argv), **options)
    if not args.quiet:
        print(f"collabsim sensitivity ({args.method}): {Path(args.out) / 'sensitivity.csv'}, {Path(args.out) / 'sensitivity.png'}")
        with _pandas_display():
            print(table.to_string(index=False))
    return EXIT_OK


class _pandas_display:
    def __enter__(self) -> None:
        import pandas as pd

        self._ctx = pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 4)
        self._ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._ctx.__exit__(*exc)


def cmd_params(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .parameters import PARAMETERS
    from .sweep.errors import UserError

    params = list(PARAMETERS.values())
    if args.group:
        groups = list(dict.fromkeys(p.group for p in params))
        if args.group not in groups:
            from .parameters import unknown_name_message

            raise UserError(unknown_name_message(args.group, groups, "group"))
        params = [p for p in params if p.group == args.group]
    rows = [{**p.describe(), "group": p.group} for p in params]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    elif args.format == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        group = None
        for row in rows:
            if row["group"] != group:
                group = row["group"]
                print(f"\n[{group}]")
            default = "None" if row["default"] is None else json.dumps(row["default"])
            print(f"  {row['name']} = {default}   {row['range']}   ({row['unit']})")
            print(f"      {row['meaning']}  [source: {row['source']}]")
    return EXIT_OK


def cmd_metrics(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from . import metric_info

    rows = metric_info.rows()
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    elif args.format == "markdown":
        print(metric_info.markdown())
    elif args.format == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            print(f"  {r['name']:<{width}}  {r['kind']:<10}  {r['unit']}")
            print(f"  {'':<{width}}  {r['meaning']}")
        print("\nmonthly: this month's value; cumulative: the total since month 0 (the last row is the run's total).")
    return EXIT_OK


def cmd_scenarios(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .scenarios import SCENARIOS

    rows = [{"name": s.name, "description": s.description, "source": s.source, "parameters": s.parameters} for s in SCENARIOS.values()]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for row in rows:
        preset = ", ".join(f"{k}={json.dumps(v)}" for k, v in row["parameters"].items()) or "registry defaults"
        print(f"{row['name']}\n    {row['description']}\n    presets: {preset}\n    source: {row['source']}")
    return EXIT_OK


def cmd_viz(rest: list[str]) -> int:
    """Hand everything after ``viz`` to ``collabsim.viz.cli.main`` (imported only now)."""
    from .extras import MissingExtra, require

    if not {"-h", "--help"} & set(rest):
        try:
            require("viz", "collabsim viz (the browser page)")
        except MissingExtra as exc:
            print(f"collabsim: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    from .viz.cli import main as viz_main

    code = viz_main(list(rest))
    return int(code or 0)


COMMANDS = {
    "run": cmd_run,
    "sweep": cmd_sweep,
    "report": cmd_report,
    "replicates": cmd_replicates,
    "export": cmd_export,
    "sensitivity": cmd_sensitivity,
    "params": cmd_params,
    "metrics": cmd_metrics,
    "scenarios": cmd_scenarios,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``collabsim`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "viz":
        return cmd_viz(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) or a usage error (2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_BAD_INPUT

    os.environ.setdefault("MPLBACKEND", "Agg")
    from . import logs

    logs.setup(getattr(args, "verbose", 0) + args.verbose_before)
    from .parameters import ParameterError
    from .sweep.errors import LockedError, SweepError, UserError

    try:
        return COMMANDS[args.command](args, argv)
    except (UserError, ParameterError) as exc:
        print(f"collabsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except LockedError as exc:
        print(f"collabsim: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except SweepError as exc:
        print(f"collabsim: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("collabsim: interrupted; stored runs are safe, run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. 'collabsim params | head'
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:  # pragma: no cover
            pass
        return EXIT_OK
    except OSError as exc:
        from .sweep.store import os_error_message

        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"collabsim: error: {os_error_message(exc)}{where}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception:
        print("collabsim: internal error (please report it with the traceback below)", file=sys.stderr)
        traceback.print_exc()
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
