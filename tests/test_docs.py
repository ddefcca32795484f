"""The ODD document's tables are generated from the code and must match it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from collabsim import odd
from collabsim.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parent.parent
ODD_PATH = ROOT / "docs" / "ODD.md"
FIX = "docs/ODD.md is out of date with the code: run python -m collabsim.odd"


@pytest.fixture(scope="module")
def odd_text() -> str:
    assert ODD_PATH.exists(), "docs/ODD.md is missing"
    return ODD_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("section", list(odd.SECTIONS))
def test_generated_section_matches_the_code(odd_text: str, section: str) -> None:
    current = odd.read_sections(odd_text)[section]
    assert current is not None, f"docs/ODD.md has no '<!-- BEGIN GENERATED: {section} -->' ... '<!-- END GENERATED: {section} -->' markers"
    assert current == odd.generated_block(section), f"the {section!r} section of {FIX}"


def test_every_parameter_is_named_in_the_odd(odd_text: str) -> None:
    missing = [name for name in PARAMETERS if not re.search(rf"`{re.escape(name)}`", odd_text)]
    assert not missing, f"parameters missing from docs/ODD.md: {missing}; {FIX}"


def test_every_metric_is_named_in_the_odd(odd_text: str) -> None:
    from collabsim.metrics import METRIC_NAMES

    missing = [name for name in METRIC_NAMES if f"`{name}`" not in odd_text]
    assert not missing, f"metrics missing from docs/ODD.md section 4.11 (Observation): {missing}"


def test_every_parameter_is_named_in_the_prose(odd_text: str) -> None:
    """Not just in the generated table: the submodels must say where each parameter acts."""
    prose = odd_text
    for section in odd.SECTIONS:
        prose = re.sub(
            rf"<!-- BEGIN GENERATED: {section} -->.*?<!-- END GENERATED: {section} -->", "", prose, flags=re.DOTALL
        )
    missing = [name for name in PARAMETERS if name not in prose]
    assert not missing, f"parameters the ODD prose never mentions: {missing}"


def test_render_is_idempotent(odd_text: str) -> None:
    once, _ = odd.render(odd_text)
    twice, changed = odd.render(once)
    assert twice == once and changed == []


def test_update_odd_rewrites_a_stale_copy(tmp_path: Path, odd_text: str) -> None:
    stale = re.sub(
        r"(<!-- BEGIN GENERATED: parameters -->\n).*?(<!-- END GENERATED: parameters -->)",
        r"\1| stale |\n\2",
        odd_text,
        flags=re.DOTALL,
    )
    copy = tmp_path / "ODD.md"
    copy.write_text(stale, encoding="utf-8")
    assert odd.update_odd(copy) is True
    assert copy.read_text(encoding="utf-8") == odd.render(odd_text)[0]
    assert odd.update_odd(copy) is False


def test_missing_markers_are_reported(tmp_path: Path) -> None:
    copy = tmp_path / "ODD.md"
    copy.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="BEGIN GENERATED: parameters"):
        odd.update_odd(copy)


def test_tables_cover_the_registry_and_the_ladder() -> None:
    table = odd.parameter_table_markdown()
    assert table.splitlines()[0] == "| name | meaning | unit | range | default | source |"
    assert len(table.splitlines()) == 2 + len(PARAMETERS)
    ladder = odd.ladder_table_markdown()
    for name in ("aware", "networking", "coordination", "cooperation", "collaboration", "fallback_margin", "level_time_growth"):
        assert name in ladder


def test_main_check_mode(tmp_path: Path, odd_text: str, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "ODD.md"
    copy.write_text(odd_text, encoding="utf-8")
    assert odd.main(["--check", str(copy)]) == 0
    copy.write_text(odd_text.replace("<!-- END GENERATED: ladder -->", "extra\n<!-- END GENERATED: ladder -->"), encoding="utf-8")
    assert odd.main(["--check", str(copy)]) == 1
    assert "run python -m collabsim.odd" in capsys.readouterr().out


def test_the_lessons_tables_are_what_the_model_gives():
    """docs/teaching.md's tables are written by scripts/teaching_numbers.py; they must be current."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("teaching_numbers", root / "scripts" / "teaching_numbers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = root / "docs" / "teaching.md"
    assert module.main(["--check", str(doc)]) == 0, "run: python scripts/teaching_numbers.py --write docs/teaching.md"
    # and the check can fail: a changed cell is caught
    stale = doc.read_text(encoding="utf-8").replace("| `default`: patient, no mandate | ", "| `default`: patient, no mandate | 999 ", 1)
    scratch = root / "test-artifacts" / "teaching_stale.md"
    scratch.parent.mkdir(exist_ok=True)
    scratch.write_text(stale, encoding="utf-8")
    assert module.main(["--check", str(scratch), "--seeds", "10"]) == 1
