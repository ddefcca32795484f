"""Reading an observed community from a folder (issue 10, "a community with a past").

The loader is strict: each kind of bad input must be refused with a message naming the
file, the spreadsheet row, the column, the value and what is allowed, and a valid
community must survive a save/load round trip bit for bit.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collabsim.community import (
    ATTRIBUTE_KEYS,
    MAX_ORGANISATIONS,
    Community,
    CommunityError,
    load_community,
    main,
    save_community,
    survey_to_unit,
)
from collabsim.parameters import ParameterError
from collabsim.relationships import LEVEL_NAMES
from collabsim.scenarios import SECTORS

EXAMPLE = Path(__file__).resolve().parents[1] / "experiments" / "communities" / "example"

ORGS = """id,sector,collaborative_skill,reliability,capacity,decision_style
p1,law_enforcement,0.4,0.9,2,hierarchical
n1,nonprofit,0.6,0.8,1,consensual
c1,community_group,0.5,0.85,0.5,consensual
"""
RELS = """a,b,level,trust,trust_ba,damage,damage_ba
p1,c1,0,0.3,0.1,0.1,0.6
n1,c1,3,0.7,,,
p1,n1,2,0.5,0.45,0.2,
"""


def write(folder: Path, orgs: str = ORGS, rels: str = RELS, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "organisations.csv").write_text(orgs, encoding=encoding)
    (folder / "relationships.csv").write_text(rels, encoding=encoding)
    return folder


def assert_same(x: Community, y: Community) -> None:
    assert x.ids == y.ids
    assert x.attributes.keys() == y.attributes.keys()
    for key in x.attributes:
        assert x.attributes[key].dtype == y.attributes[key].dtype
        assert np.array_equal(x.attributes[key], y.attributes[key])
    for name in ("sector", "a", "b", "level", "trust_ab", "trust_ba", "damage_ab", "damage_ba"):
        assert getattr(x, name).dtype == getattr(y, name).dtype, name
        assert np.array_equal(getattr(x, name), getattr(y, name)), name


# --- the example ------------------------------------------------------------------------------


def test_example_reads_back_with_the_expected_counts():
    c = load_community(EXAMPLE)
    assert (c.n, c.n_relationships) == (30, 66)
    # the same counts as an independent reader finds
    assert c.n == len(pd.read_csv(EXAMPLE / "organisations.csv"))
    assert c.n_relationships == len(pd.read_csv(EXAMPLE / "relationships.csv"))
    assert c.ids[0] == "eastside_tenants" and c.path == str(EXAMPLE)
    assert c.trust_scale == "unit"
    assert set(np.unique(c.sector)) == set(range(len(SECTORS)))
    assert set(np.unique(c.level)) == set(range(len(LEVEL_NAMES)))
    assert list(c.attributes) == list(ATTRIBUTE_KEYS)
    assert c.attributes["hierarchical"][np.asarray(c.sector) == SECTORS.index("law_enforcement")].all()
    # the story: harm lies only on ties between community groups and police or public agencies
    harmed = (c.damage_ab > 0) | (c.damage_ba > 0)
    assert 8 <= harmed.sum() < c.n_relationships // 3
    names = np.asarray(SECTORS)
    pair_sectors = {frozenset((names[c.sector[i]], names[c.sector[j]])) for i, j in zip(c.a[harmed], c.b[harmed])}
    assert all("community_group" in s or s == {"law_enforcement", "nonprofit"} for s in pair_sectors)
    # the example starts within the two-layer ceiling: trust <= 1 - damage in both directions
    assert np.all(c.trust_ab <= 1 - c.damage_ab) and np.all(c.trust_ba <= 1 - c.damage_ba)


def test_example_round_trips(tmp_path):
    c = load_community(EXAMPLE)
    again = load_community(save_community(c, tmp_path / "copy"))
    assert_same(c, again)
    assert again.trust_scale == "unit"


def test_to_frames_is_the_file_format():
    c = load_community(EXAMPLE)
    orgs, rels = c.to_frames()
    assert list(orgs.columns) == ["id", "sector", "collaborative_skill", "reliability", "capacity", "decision_style"]
    assert list(rels.columns) == ["a", "b", "level", "trust", "trust_ba", "damage", "damage_ba"]
    assert len(orgs) == c.n and len(rels) == c.n_relationships
    source = pd.read_csv(EXAMPLE / "relationships.csv")
    assert list(rels["a"]) == list(source["a"]) and list(rels["level"]) == list(source["level"])
    assert np.array_equal(rels["trust_ba"], source["trust_ba"].fillna(source["trust"]))
    assert np.array_equal(rels["damage"], source["damage"].fillna(0.0))


def test_command_line_check_of_a_folder(capsys, tmp_path):
    assert main([str(EXAMPLE)]) == 0
    assert "30 organisations, 66 relationships" in capsys.readouterr().out
    bad = write(tmp_path / "bad", orgs=ORGS.replace("nonprofit", "nonprofti"))
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "did you mean 'nonprofit'" in err and "Traceback" not in err


def test_module_runs_as_a_command_without_traceback(tmp_path):
    bad = write(tmp_path / "bad", rels=RELS.replace("n1,c1,3", "n1,c9,3"))
    done = subprocess.run([sys.executable, "-m", "collabsim.community", str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "'c9' is not an id in organisations.csv" in done.stderr


# --- what is accepted ------------------------------------------------------------------------


def test_small_folder_values(tmp_path):
    c = load_community(write(tmp_path / "c"))
    assert c.ids == ("p1", "n1", "c1") and c.n == 3
    assert list(c.sector) == [SECTORS.index(s) for s in ("law_enforcement", "nonprofit", "community_group")]
    assert list(c.a) == [0, 1, 0] and list(c.b) == [2, 2, 1] and list(c.level) == [0, 3, 2]
    assert list(c.trust_ab) == [0.3, 0.7, 0.5]
    assert list(c.trust_ba) == [0.1, 0.7, 0.45]  # blank trust_ba = trust
    assert list(c.damage_ab) == [0.1, 0.0, 0.2]  # blank damage = 0
    assert list(c.damage_ba) == [0.6, 0.0, 0.2]  # blank damage_ba = damage
    assert list(c.attributes["hierarchical"]) == [True, False, False]
    assert list(c.attributes["capacity"]) == [2.0, 1.0, 0.5]
    assert c.sector.dtype == np.int8 and c.level.dtype == np.int8 and c.a.dtype == np.int64


def test_minimal_columns_and_no_relationships(tmp_path):
    c = load_community(write(tmp_path / "c", orgs="id,sector\nx,business\n", rels="a,b,level,trust\n"))
    assert c.n == 1 and c.n_relationships == 0 and c.attributes == {} and c.trust_scale == "unit"
    assert_same(c, load_community(save_community(c, tmp_path / "again")))


def test_bom_whitespace_case_crlf_and_blank_lines(tmp_path):
    orgs = "\ufeff ID , Sector ,Decision_Style\r\n  p1 , Law Enforcement , Hierarchical \r\n\r\n,,\r\nn1,nonprofit,consensual\r\n"
    rels = "\ufeffA,B,Level,Trust\r\n p1 , n1 , Collaboration , 0.8 \r\n"
    c = load_community(write(tmp_path / "c", orgs, rels))
    assert c.ids == ("p1", "n1")
    assert list(c.sector) == [SECTORS.index("law_enforcement"), SECTORS.index("nonprofit")]
    assert list(c.attributes["hierarchical"]) == [True, False]
    assert list(c.level) == [4] and list(c.trust_ab) == [0.8]


def test_blank_rows_keep_spreadsheet_row_numbers(tmp_path):
    orgs = "id,sector\np1,business\n\nn1,nonprofti\n"
    with pytest.raises(CommunityError, match=r"row 4 \(header is row 1\)"):
        load_community(write(tmp_path / "c", orgs, "a,b,level,trust\n"))


def test_quoted_cells_and_integer_valued_levels(tmp_path):
    orgs = 'id,sector\n"Smith, Jones & Co",business\n"the ""Hub""",public_agency\n'
    rels = 'a,b,level,trust\n"Smith, Jones & Co","the ""Hub""",2.0,1e-1\n'
    c = load_community(write(tmp_path / "c", orgs, rels))
    assert c.ids == ("Smith, Jones & Co", 'the "Hub"') and list(c.level) == [2] and list(c.trust_ab) == [0.1]


def test_survey_scale_is_mapped_onto_unit(tmp_path):
    rels = "a,b,level,trust,trust_ba\np1,c1,0,1,\nn1,c1,3,4,3.5\np1,n1,2,2.5,1\n"
    c = load_community(write(tmp_path / "c", rels=rels))
    assert c.trust_scale == "survey_1_4"
    assert np.array_equal(c.trust_ab, [0.0, 1.0, 0.5])
    assert np.array_equal(c.trust_ba, [0.0, 2.5 / 3.0, 0.0])  # blank trust_ba = trust, then mapped
    again = load_community(save_community(c, tmp_path / "saved"))  # saved on the unit scale
    assert again.trust_scale == "unit" and np.array_equal(again.trust_ab, c.trust_ab) and np.array_equal(again.trust_ba, c.trust_ba)


def test_unit_scale_keeps_one_as_full_trust(tmp_path):
    c = load_community(write(tmp_path / "c", rels="a,b,level,trust\np1,c1,0,1\nn1,c1,3,0.5\n"))
    assert c.trust_scale == "unit" and list(c.trust_ab) == [1.0, 0.5]


@given(st.lists(st.floats(1.0, 4.0), min_size=1, max_size=20).filter(lambda xs: max(xs) > 1.0))
@settings(max_examples=50, deadline=None)
def test_survey_mapping_property(values):
    with tempfile.TemporaryDirectory() as tmp:
        orgs = "id,sector\n" + "".join(f"o{k},nonprofit\n" for k in range(len(values) + 1))
        rels = "a,b,level,trust\n" + "".join(f"o0,o{k + 1},1,{x!r}\n" for k, x in enumerate(values))
        c = load_community(write(Path(tmp), orgs, rels))
    assert c.trust_scale == "survey_1_4"
    assert np.array_equal(c.trust_ab, (np.asarray(values) - 1.0) / 3.0)
    assert np.array_equal(c.trust_ab, survey_to_unit(values))
    assert np.all((c.trust_ab >= 0) & (c.trust_ab <= 1))


# --- every kind of error names file, row, column, value and what is allowed ------------------

# (id, file, organisations text, relationships text, row, column, value, a piece of the allowed text)
ROW_ERRORS = [
    ("sector typo", "organisations.csv", ORGS.replace("nonprofit", "nonprofti"), RELS, 3, "sector", "nonprofti", "community_group, nonprofit"),
    ("sector blank", "organisations.csv", ORGS.replace("n1,nonprofit", "n1,"), RELS, 3, "sector", "", "one of community_group"),
    ("duplicate id", "organisations.csv", ORGS.replace("c1,community_group", "p1,community_group"), RELS, 4, "id", "p1", "each id once"),
    ("blank id", "organisations.csv", ORGS.replace("n1,nonprofit", ",nonprofit"), RELS, 3, "id", "", "any text"),
    ("skill above 1", "organisations.csv", ORGS.replace("0.6,0.8,1", "1.5,0.8,1"), RELS, 3, "collaborative_skill", "1.5", "a number in [0, 1]"),
    ("reliability NaN", "organisations.csv", ORGS.replace("0.6,0.8,1", "0.6,NaN,1"), RELS, 3, "reliability", "NaN", "a number in [0, 1]"),
    ("capacity zero", "organisations.csv", ORGS.replace("0.8,1,consensual", "0.8,0,consensual"), RELS, 3, "capacity", "0", "a number in (0, 10]"),
    ("capacity text", "organisations.csv", ORGS.replace("0.8,1,consensual", "0.8,lots,consensual"), RELS, 3, "capacity", "lots", "a number in (0, 10]"),
    ("capacity decimal comma", "organisations.csv", ORGS.replace("0.8,1,consensual", '0.8,"1,5",consensual'), RELS, 3, "capacity", "1,5", "a number in (0, 10]"),
    ("style unknown", "organisations.csv", ORGS.replace("1,consensual", "1,flat"), RELS, 3, "decision_style", "flat", "hierarchical, consensual"),
    ("attribute blank", "organisations.csv", ORGS.replace("0.6,0.8,1", "0.6,,1"), RELS, 3, "reliability", "", "a number in [0, 1]"),
    ("extra cell", "organisations.csv", ORGS.replace("0.5,consensual", "0.5,consensual,oops"), RELS, 4, "", "oops", "one value per named column"),
    ("unknown id", "relationships.csv", ORGS, RELS.replace("n1,c1,3", "n1,c9,3"), 3, "b", "c9", "an id from the 'id' column"),
    ("blank id in pair", "relationships.csv", ORGS, RELS.replace("n1,c1,3", ",c1,3"), 3, "a", "", "an id from the 'id' column"),
    ("self pair", "relationships.csv", ORGS, RELS.replace("n1,c1,3", "c1,c1,3"), 3, "b", "c1", "an id other than a's"),
    ("duplicate pair reversed", "relationships.csv", ORGS, RELS + "c1,p1,1,0.2,,,\n", 5, "b", "p1", "each pair once"),
    ("level too high", "relationships.csv", ORGS, RELS.replace("n1,c1,3", "n1,c1,5"), 3, "level", "5", "0 (aware)"),
    ("level fraction", "relationships.csv", ORGS, RELS.replace("n1,c1,3", "n1,c1,2.5"), 3, "level", "2.5", "4 (collaboration)"),
    ("level blank", "relationships.csv", ORGS, RELS.replace("n1,c1,3", "n1,c1,"), 3, "level", "", "the level's name"),
    ("trust blank", "relationships.csv", ORGS, RELS.replace("n1,c1,3,0.7", "n1,c1,3,"), 3, "trust", "", "[0, 1] or 1-4"),
    ("trust text", "relationships.csv", ORGS, RELS.replace("n1,c1,3,0.7", "n1,c1,3,high"), 3, "trust", "high", "[0, 1] or 1-4"),
    ("trust inf", "relationships.csv", ORGS, RELS.replace("n1,c1,3,0.7", "n1,c1,3,inf"), 3, "trust", "inf", "[0, 1] or 1-4"),
    ("trust negative", "relationships.csv", ORGS, RELS.replace("n1,c1,3,0.7", "n1,c1,3,-0.2"), 3, "trust", "-0.2", "every trust value in [0, 1]"),
    ("trust above 4", "relationships.csv", ORGS, RELS.replace("n1,c1,3,0.7", "n1,c1,3,5"), 3, "trust", "5", "every one in [1, 4]"),
    ("scales mixed", "relationships.csv", ORGS, RELS.replace("n1,c1,3,0.7", "n1,c1,3,3"), 3, "trust", "3", "every one in [1, 4]"),
    ("trust_ba text", "relationships.csv", ORGS, RELS.replace("0.3,0.1,", "0.3,x,"), 2, "trust_ba", "x", "same scale as 'trust'"),
    ("damage above 1", "relationships.csv", ORGS, RELS.replace("0.5,0.45,0.2,", "0.5,0.45,1.2,"), 4, "damage", "1.2", "a number in [0, 1]"),
    ("damage_ba negative", "relationships.csv", ORGS, RELS.replace("0.1,0.6", "0.1,-0.6"), 2, "damage_ba", "-0.6", "a number in [0, 1]"),
]


@pytest.mark.parametrize(("name", "file", "orgs", "rels", "row", "column", "value", "allowed"), ROW_ERRORS, ids=[case[0] for case in ROW_ERRORS])
def test_row_errors_name_file_row_column_value_and_allowed(tmp_path, name, file, orgs, rels, row, column, value, allowed):
    folder = write(tmp_path / "c", orgs, rels)
    with pytest.raises(CommunityError) as caught:
        load_community(folder)
    message = str(caught.value)
    assert str(folder / file) in message
    assert f"row {row} (header is row 1)" in message
    if column:
        assert f"column {column!r}" in message
    assert repr(value) in message
    assert "allowed: " in message and allowed in message
    assert isinstance(caught.value, ParameterError)


def test_mixed_scales_name_both_rows(tmp_path):
    with pytest.raises(CommunityError) as caught:
        load_community(write(tmp_path / "c", rels=RELS.replace("n1,c1,3,0.7", "n1,c1,3,3")))
    assert "row 2, column 'trust', value '0.3'" in str(caught.value)


def test_suggestions_for_typos(tmp_path):
    with pytest.raises(CommunityError, match=r"did you mean 'nonprofit'"):
        load_community(write(tmp_path / "a", orgs=ORGS.replace("nonprofit", "non-profits")))
    with pytest.raises(CommunityError, match=r"'C1' is not an id in organisations.csv \(did you mean 'c1'\?\)"):
        load_community(write(tmp_path / "b", rels=RELS.replace("n1,c1,3", "n1,C1,3")))


# (id, file, organisations text, relationships text, a piece of the problem, a piece of the allowed text)
HEADER_ERRORS = [
    ("unknown organisation column", "organisations.csv", ORGS.replace("decision_style", "budget"), RELS, "unknown column 'budget'", "id, sector (required), collaborative_skill"),
    ("unknown relationship column", "relationships.csv", ORGS, RELS.replace("trust_ba", "trust_ab"), "unknown column 'trust_ab' (did you mean 'trust_ba'?)", "a, b, level, trust (required)"),
    ("renamed required column", "organisations.csv", ORGS.replace("id,sector", "id,kind"), RELS, "unknown column 'kind'; missing column(s) sector", "sector"),
    ("missing required column", "relationships.csv", ORGS, "a,b,trust\np1,c1,0.3\n", "missing column(s) level", "a, b, level, trust (required)"),
    ("duplicate column", "relationships.csv", ORGS, "a,b,level,trust,Trust\np1,c1,0,0.3,0.3\n", "column 'trust' appears twice", "each of"),
    ("damage_ba alone", "relationships.csv", ORGS, "a,b,level,trust,damage_ba\np1,c1,0,0.3,0.2\n", "'damage_ba' without 'damage'", "damage and damage_ba"),
    ("semicolons", "organisations.csv", ORGS.replace(",", ";"), RELS, "another separator than a comma", "id, sector (required)"),
    ("unnamed column with values", "organisations.csv", "id,sector,\np1,business,3\n", RELS, "column 3: the column has values but no name", "id, sector (required)"),
]


@pytest.mark.parametrize(("name", "file", "orgs", "rels", "problem", "allowed"), HEADER_ERRORS, ids=[case[0] for case in HEADER_ERRORS])
def test_header_errors_name_file_row_and_allowed_columns(tmp_path, name, file, orgs, rels, problem, allowed):
    folder = write(tmp_path / "c", orgs, rels)
    with pytest.raises(CommunityError) as caught:
        load_community(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / file}, row 1 (the header)")
    assert problem in message and "allowed: " in message and allowed in message


def test_unnamed_blank_trailing_column_is_ignored(tmp_path):
    c = load_community(write(tmp_path / "c", orgs="id,sector,\np1,business,\nn1,nonprofit,\n", rels="a,b,level,trust,\n"))
    assert c.ids == ("p1", "n1")


def test_file_level_errors(tmp_path):
    cases = [
        (tmp_path / "nowhere", "no such folder"),
        (write(tmp_path / "f") / "organisations.csv", "not a folder"),
    ]
    only_orgs = tmp_path / "only_orgs"
    only_orgs.mkdir()
    (only_orgs / "organisations.csv").write_text(ORGS)
    cases.append((only_orgs, "relationships.csv: file not found"))
    cases.append((write(tmp_path / "empty", orgs=""), "organisations.csv: the file is empty; expected a header row with columns id, sector (required)"))
    cases.append((write(tmp_path / "header_only", orgs="id,sector\n"), "organisations.csv: no organisations (only a header); allowed: 1 to 20,000"))
    cases.append((write(tmp_path / "empty_rels", rels="\n\n"), "relationships.csv: the file is empty; expected a header row with columns a, b, level, trust"))
    cases.append((write(tmp_path / "latin1", orgs=ORGS.replace("c1", "café"), encoding="latin-1"), "not UTF-8 text"))
    for folder, problem in cases:
        with pytest.raises(CommunityError) as caught:
            load_community(folder)
        assert str(folder).rstrip("/") in str(caught.value) and problem in str(caught.value), str(caught.value)


def test_organisation_limit(tmp_path):
    rows = "".join(f"o{k},business\n" for k in range(MAX_ORGANISATIONS))
    c = load_community(write(tmp_path / "at", "id,sector\n" + rows, "a,b,level,trust\n"))
    assert c.n == MAX_ORGANISATIONS == 20_000
    with pytest.raises(CommunityError, match=r"20,001 organisations; allowed: at most 20,000"):
        load_community(write(tmp_path / "over", "id,sector\n" + rows + "extra,business\n", "a,b,level,trust\n"))


# --- the Community object ----------------------------------------------------------------------


def test_community_arrays_are_read_only_copies(tmp_path):
    c = load_community(write(tmp_path / "c"))
    with pytest.raises(ValueError):
        c.trust_ab[0] = 1.0
    source = np.array([0.5])
    d = Community("x", ("a", "b"), [0, 1], {}, [0], [1], [2], source, source, [0.0], [0.0])
    source[0] = 0.9
    assert d.trust_ab[0] == 0.5 and d.trust_scale == "unit" and d.n == 2


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"b": [0]}, "distinct"),
        ({"a": [0, 1], "b": [1, 0], "level": [1, 1], "trust_ab": [0.5, 0.5], "trust_ba": [0.5, 0.5], "damage_ab": [0, 0], "damage_ba": [0, 0]}, "once"),
        ({"level": [5]}, "outside 0..4 in level"),
        ({"level": [300]}, "outside 0..4 in level"),
        ({"b": [2]}, "outside 0..1 in b"),
        ({"a": [0.5]}, "expected integers"),
        ({"trust_ba": [1.5]}, "trust_ba"),
        ({"sector": [0, 9]}, "outside 0..4 in sector"),
        ({"sector": [0]}, "sector must be 2"),
        ({"ids": ("a", "a")}, "unique"),
        ({"attributes": {"capacity": [0.0, 1.0]}}, "capacity"),
        ({"attributes": {"budget": [1.0, 1.0]}}, "unknown attribute"),
        ({"trust_scale": "likert"}, "trust_scale"),
    ],
)
def test_inconsistent_community_objects_are_refused(change, problem):
    fields = dict(path="x", ids=("a", "b"), sector=[0, 1], attributes={}, a=[0], b=[1], level=[2], trust_ab=[0.5], trust_ba=[0.5], damage_ab=[0.0], damage_ba=[0.0])
    fields.update(change)
    with pytest.raises(ValueError, match=problem):
        Community(**fields)


# --- hypothesis: random valid communities round-trip exactly ----------------------------------

_ID_CHARS = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\r\n\x85\u2028\u2029")
_unit = st.floats(0.0, 1.0)


@st.composite
def communities(draw) -> Community:
    n = draw(st.integers(1, 25))
    ids = draw(st.lists(st.text(_ID_CHARS, min_size=1, max_size=8).map(str.strip).filter(bool), min_size=n, max_size=n, unique=True))
    sector = draw(st.lists(st.integers(0, len(SECTORS) - 1), min_size=n, max_size=n))
    keys = draw(st.sets(st.sampled_from(ATTRIBUTE_KEYS)))
    attributes = {}
    for key in sorted(keys, key=ATTRIBUTE_KEYS.index):
        element = {"capacity": st.floats(0.0, 10.0, exclude_min=True), "hierarchical": st.booleans()}.get(key, _unit)
        attributes[key] = draw(st.lists(element, min_size=n, max_size=n))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=40)) if pairs else []
    m = len(chosen)
    flips = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    ends = [(j, i) if flip else (i, j) for (i, j), flip in zip(chosen, flips)]
    column = lambda element: draw(st.lists(element, min_size=m, max_size=m))  # noqa: E731
    return Community(
        path="generated", ids=tuple(ids), sector=sector, attributes=attributes,
        a=[e[0] for e in ends], b=[e[1] for e in ends], level=column(st.integers(0, 4)),
        trust_ab=column(_unit), trust_ba=column(_unit), damage_ab=column(_unit), damage_ba=column(_unit),
    )


@given(communities())
@settings(max_examples=60, deadline=None)
def test_random_valid_communities_round_trip_exactly(community):
    with tempfile.TemporaryDirectory() as tmp:
        again = load_community(save_community(community, Path(tmp) / "c"))
        with (Path(tmp) / "c" / "relationships.csv").open(newline="", encoding="utf-8") as handle:
            assert sum(1 for _ in csv.reader(handle)) == community.n_relationships + 1
    assert_same(community, again)
    assert again.trust_scale == "unit"
    orgs, rels = again.to_frames()
    assert tuple(orgs["id"]) == community.ids and len(rels) == community.n_relationships


# --- hypothesis: no input, however broken, escapes as anything but a CommunityError ---------------


def _cells(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.strip().split("\n")]


@given(
    which=st.sampled_from(["organisations", "relationships"]),
    row=st.integers(0, 3),
    column=st.integers(0, 6),
    junk=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)
@settings(max_examples=150, deadline=None)
def test_any_corrupted_cell_gives_a_community_error_or_a_valid_community(which, row, column, junk):
    tables = {"organisations": _cells(ORGS), "relationships": _cells(RELS)}
    target = tables[which][row]
    target[column % len(target)] = junk
    texts = {name: "\n".join(",".join(cells) for cells in table) + "\n" for name, table in tables.items()}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            community = load_community(write(Path(tmp), texts["organisations"], texts["relationships"]))
        except CommunityError as exc:
            assert "allowed: " in str(exc) or "not UTF-8" in str(exc) or "file is empty" in str(exc)
        else:
            assert community.n >= 1 and np.all((community.trust_ab >= 0) & (community.trust_ab <= 1))


@given(st.binary(max_size=200))
@settings(max_examples=100, deadline=None)
def test_any_bytes_give_a_community_error_or_a_valid_community(data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write(Path(tmp), rels="a,b,level,trust\n")
        (folder / "organisations.csv").write_bytes(data)
        try:
            community = load_community(folder)
        except CommunityError as exc:
            assert str(folder / "organisations.csv") in str(exc)
        else:
            assert community.n >= 1
