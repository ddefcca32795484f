"""``collabsim viz``: start the browser page, or fetch its front-end files for offline use.

The page is a Solara app (``collabsim/viz/app.py``). Solara serves its JavaScript and CSS
from a local folder (``solara.server.settings.assets.proxy_cache_dir``, normally
``<venv>/share/solara/cdn``) and only falls back to a public CDN when a file is missing.
``--fetch-assets`` fills that folder from the npm registry (``npm pack``) so the page
renders with no internet (see the project's notes on offline rendering).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ASSET_PACKAGES: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
)
"""npm packages the page loads through Solara's asset folder (they follow solara 1.64.1).

The vega packages draw the page's network and time series (Altair charts, rendered in the
browser by Solara's VegaLite widget, which asks for exactly these three specs).
"""

APP_PATH = Path(__file__).with_name("app.py")
SCENARIO_ENV = "COLLABSIM_VIZ_SCENARIO"
COMMUNITY_ENV = "COLLABSIM_VIZ_COMMUNITY"
DEFAULT_PORT = 8765


def asset_dir() -> Path:
    """Solara's local asset folder (``SOLARA_ASSETS_PROXY_CACHE_DIR`` overrides it)."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def missing_assets(folder: Path | None = None) -> list[str]:
    """Package specs of ``ASSET_PACKAGES`` not yet unpacked in the asset folder."""
    folder = asset_dir() if folder is None else folder
    return [spec for spec in ASSET_PACKAGES if not (folder / spec / "package.json").is_file()]


def _main_entry(package_dir: Path) -> None:
    """Write ``__main.js`` (what Solara stores for a bare ``name@version`` request)."""
    target = package_dir / "__main.js"
    if target.exists():
        return
    try:
        meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for key in ("jsdelivr", "unpkg", "browser", "main"):
        entry = meta.get(key)
        if isinstance(entry, str):
            source = package_dir / entry
            if source.suffix == "" and not source.exists():
                source = source.with_suffix(".js")
            if source.is_file():
                shutil.copyfile(source, target)
            return


def fetch_assets(folder: Path | None = None, *, quiet: bool = False, npm: str = "npm") -> list[str]:
    """``npm pack`` each missing package and unpack it into ``folder/SPEC/``.

    Returns the specs that could not be fetched (an empty list means the folder is complete).
    """
    folder = asset_dir() if folder is None else folder
    todo = missing_assets(folder)
    if not todo:
        if not quiet:
            print(f"all {len(ASSET_PACKAGES)} front-end packages already in {folder}")
        return []
    if shutil.which(npm) is None:
        print(f"error: {npm!r} not found; install Node.js/npm to fetch the page's front-end files", file=sys.stderr)
        return todo
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="collabsim-assets-") as tmp:
        for spec in todo:
            if not quiet:
                print(f"fetching {spec} ...", flush=True)
            result = subprocess.run(
                [npm, "pack", spec, "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                cwd=tmp,
                check=False,
            )
            names = [line.strip() for line in result.stdout.splitlines() if line.strip().endswith(".tgz")]
            if result.returncode != 0 or not names:
                print(f"error: npm pack {spec} failed: {result.stderr.strip() or result.stdout.strip()}", file=sys.stderr)
                failed.append(spec)
                continue
            tarball = Path(tmp) / names[-1]
            target = folder / spec
            staging = Path(tmp) / "unpack"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            with tarfile.open(tarball, "r:gz") as tar:
                _extract_stripped(tar, staging)
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staging), str(target))
            _main_entry(target)
            tarball.unlink(missing_ok=True)
    if not quiet and not failed:
        print(f"front-end packages ready in {folder}")
    return failed


def _extract_stripped(tar: tarfile.TarFile, dest: Path) -> None:
    """Extract regular files and folders, dropping the tarball's top folder (``package/``)."""
    dest = dest.resolve()
    for member in tar.getmembers():
        parts = Path(member.name).parts
        if len(parts) < 2 or ".." in parts or member.name.startswith("/"):
            continue
        out = dest.joinpath(*parts[1:])
        if member.isdir():
            out.mkdir(parents=True, exist_ok=True)
        elif member.isfile():
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            with source, open(out, "wb") as fh:
                shutil.copyfileobj(source, fh)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collabsim viz",
        description="Open the collabsim page in a browser (a Mesa/Solara app), or fetch its front-end files.",
    )
    parser.add_argument("--scenario", default="default", help="scenario shown first (default: %(default)s)")
    parser.add_argument("--community", metavar="DIR", help="every run starts from this observed community (organisations.csv and relationships.csv; docs/community.md)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s, this machine only)")
    parser.add_argument(
        "--fetch-assets",
        action="store_true",
        help="put the page's front-end files (npm packages) into Solara's local asset folder and exit",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors")
    return parser


QUIET_WARNINGS: tuple[str, ...] = (
    # Solara warns on every page load over plain http on any host name but "localhost"
    # (127.0.0.1 included) that its session cookie falls back to SameSite=Lax, which is
    # what a page served on this machine or a classroom network wants.
    "ignore:Cookies with samesite=none require https:UserWarning:solara.server.starlette",
    # Mesa 3.3's ComponentsView returns before its hooks, which Solara's hook check cannot
    # parse; the page does not use it, but importing mesa.visualization defines it.
    "ignore:Failed to validate hooks for component ComponentsView:UserWarning:solara.core",
)
"""Exactly these two library warnings are silenced in the page's server (``python -W``);
every other warning and every error still reaches the console."""


def solara_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line that serves the page."""
    quiet = [arg for spec in QUIET_WARNINGS for arg in ("-W", spec)]
    return [
        sys.executable,
        *quiet,
        "-m",
        "solara",
        "run",
        str(APP_PATH),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def server_env(scenario: str, community: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if community:
        env[COMMUNITY_ENV] = str(Path(community).resolve())
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["SOLARA_THEME_SHOW_BANNER"] = "False"  # its corner badge covered the pair story
    env[SCENARIO_ENV] = scenario
    return env


def main(argv: list[str] | None = None) -> int:
    """Run ``collabsim viz``; returns the exit status."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.fetch_assets:
        failed = fetch_assets(quiet=args.quiet)
        return 1 if failed else 0
    from ..scenarios import SCENARIOS

    if args.scenario not in SCENARIOS:
        from ..parameters import unknown_name_message

        print(f"error: {unknown_name_message(args.scenario, SCENARIOS, 'scenario')}", file=sys.stderr)
        return 2
    if args.community is not None:
        from ..community import CommunityError, load_community

        try:
            load_community(args.community)
        except CommunityError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if not 0 < args.port < 65536:
        print(f"error: --port must be in [1, 65535], got {args.port}", file=sys.stderr)
        return 2
    missing = missing_assets()
    if missing:
        print(
            "error: the page's front-end files are missing from "
            f"{asset_dir()} ({', '.join(missing)}).\n"
            "Fetch them once (needs npm and the npm registry), then start again:\n"
            "    collabsim viz --fetch-assets",
            file=sys.stderr,
        )
        return 1
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    if not args.quiet:
        print(f"collabsim page: open http://{shown}:{args.port}/ in a browser (Ctrl+C stops the server)", flush=True)
    command = solara_command(args.host, args.port)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        # become the server: a signal to `collabsim viz` (Ctrl+C, kill, a test's terminate)
        # then reaches solara itself and no orphaned server is left behind
        os.execve(command[0], command, server_env(args.scenario, args.community))
    try:  # pragma: no cover - other systems
        return subprocess.call(command, env=server_env(args.scenario, args.community))
    except KeyboardInterrupt:  # pragma: no cover
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
