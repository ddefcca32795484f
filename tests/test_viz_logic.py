"""The page's logic without a browser: controls, explanations, pair stories, interventions, layout."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("solara")
pytest.importorskip("matplotlib")

from collabsim.parameters import PARAMETERS, ParameterError  # noqa: E402
from collabsim.viz import charts, controls, explain, network, timeseries  # noqa: E402
from collabsim.viz.session import Settings, VizModel  # noqa: E402


def _model(scenario: str = "funder_mandate", months: int = 0, **overrides) -> VizModel:
    model = VizModel(Settings(scenario=scenario, seed=3, overrides=dict(overrides)))
    for _ in range(months):
        model.step()
    return model


# --- controls from the registry ------------------------------------------------------


def test_every_parameter_but_the_seed_and_the_structure_group_has_a_control_with_help_text():
    specs = {s.name: s for s in controls.control_specs()}
    assert set(specs) == {n for n, p in PARAMETERS.items() if p.group != "structure"} - {"seed"}
    for name, spec in specs.items():
        p = PARAMETERS[name]
        assert p.meaning in spec.help and p.range_text() in spec.help
        assert spec.group == p.group


def test_widgets_follow_the_registry_kind_and_range():
    specs = {s.name: s for s in controls.control_specs()}
    assert specs["backbone"].widget == "switch"
    assert specs["trust_rule"].widget == "select" and specs["trust_rule"].choices == PARAMETERS["trust_rule"].choices
    assert specs["funding_end_month"].widget == "text"  # nullable: "none" allowed
    assert specs["initial_trust"].widget == "slider_float"
    assert (specs["initial_trust"].min, specs["initial_trust"].max) == (0.0, 1.0)
    trust_gain = specs["trust_gain"]  # (0, 1]: the open end is excluded from the slider
    assert trust_gain.min > 0 and trust_gain.max == 1.0
    assert specs["funder_required_level"].widget == "slider_int"
    assert (specs["funder_required_level"].min, specs["funder_required_level"].max) == (1, 4)


def test_ui_strings_are_parsed_by_the_registry():
    s = Settings(scenario="default")
    assert s.set_value("n_organisations", "25") == 25
    assert s.set_value("backbone", True) is True
    assert s.set_value("funding_end_month", "none") is None
    assert s.set_value("initial_trust", 0.30000000000000004) == pytest.approx(0.3)
    with pytest.raises(ParameterError):
        s.set_value("initial_trust", "1.5")
    with pytest.raises(ParameterError):
        s.set_value("n_organisations", "many")
    s.set_seed_text("none")
    assert s.seed is None
    s.set_seed_text(" 12 ")
    assert s.seed == 12
    with pytest.raises(ParameterError):
        s.set_seed_text("-3")


def test_overrides_apply_at_reset_and_a_new_scenario_clears_them():
    s = Settings(scenario="default", seed=5)
    s.set_value("n_organisations", "22")
    assert VizModel(s).n == 22
    again = VizModel(settings=s, scenario_name="task_force", seed="6")
    assert again.scenario_name == "task_force" and again.n == 30 and again.params["seed"] == 6
    assert s.overrides == {}


def test_setting_a_value_back_to_the_preset_removes_the_override():
    s = Settings(scenario="funder_mandate")
    s.set_value("funder_pressure", "0.2")
    assert s.overrides == {"funder_pressure": 0.2}
    s.set_value("funder_pressure", "0.6")
    assert s.overrides == {}


# --- explain panel ---------------------------------------------------------------------


def test_month_zero_and_later_months_are_explained_in_words():
    model = _model()
    first = explain.explain_month(model)
    assert first[0].startswith("Month 0:")
    for _ in range(30):
        model.step()
    lines = explain.explain_month(model)
    assert any(line.startswith(f"Now (month {model.month})") for line in lines)
    assert any("climbed to" in line or "quiet month" in line for line in lines)


def test_climbs_counted_as_in_the_event_log():
    model = _model(months=12)
    climbs = sum(rows.size for m, kind, rows in model.events if m == model.month and kind == "climb")
    said = 0
    for line in explain.explain_month(model):
        if "climbed to" in line:
            said += int(line.split()[0])
    assert said == climbs


def test_forced_breakdowns_are_named_as_such():
    model = _model(months=60, n_organisations=60)
    months = {m for m, kind, rows in model.events if kind == "breakdown" and model.ever_forced[rows].any()}
    assert months, "a funder mandate with money ending at month 60 should break some forced partnerships"
    texts = [line for m in sorted(months) for line in explain.explain_month(model, m)]
    assert any("forced by the funder broke down" in t for t in texts)


def test_pair_story_has_trust_both_ways_and_its_events():
    model = _model(months=30)
    a, b = explain.interesting_pair(model)
    story = explain.pair_story(model, a, b)
    assert story.row >= 0
    assert story.months[-1] == model.month
    assert story.trust_ab.shape == story.trust_ba.shape == story.months.shape
    assert story.events[0][1] == "first contact"
    assert len(story.events) > 1
    row = story.row
    forward = 0 if model.rel.i[row] == a else 1
    assert story.trust_ab[-1] == pytest.approx(model.rel.trust[forward, row], abs=1e-6)
    assert story.trust_ba[-1] == pytest.approx(model.rel.trust[1 - forward, row], abs=1e-6)
    assert str(a) in story.summary and str(b) in story.summary
    data = charts.pair_data(story)  # what the story's chart draws
    assert [t["trust"] for t in data["trust"][: story.months.size]] == [round(float(t), 3) for t in story.trust_ab]
    assert {lv["month"] for lv in data["levels"]} == {int(m) for m, v in zip(story.months, story.level) if v >= 0}
    assert _dataset_names(charts.pair_view(a, b)) == set(data)


def test_pair_story_for_strangers_and_bad_numbers():
    model = _model()
    known = set(zip(model.rel.i.tolist(), model.rel.j.tolist()))
    a, b = next((a, b) for a in range(model.n) for b in range(a + 1, model.n) if (a, b) not in known)
    assert "have not met" in explain.pair_story(model, a, b).summary
    assert "two different organisations" in explain.pair_story(model, 3, 3).summary


# --- interventions ----------------------------------------------------------------------


def test_interventions_are_recorded_marked_and_explained():
    model = _model(months=5)
    assert "Backbone added" in controls.intervene_backbone(model, True)
    assert model.backbone is not None
    controls.intervene_mandate(model, "0.5", "12")
    assert model.funder.deadline == 17
    controls.intervene_broken_commitment(model, "0", "1")
    controls.intervene_replace_staff(model, "2")
    assert [m for m, _ in model.interventions] == [5, 5, 5, 5]
    marks = timeseries.time_marks(model)
    assert sum(kind == "intervention" for _, _, kind in marks) == 4
    assert (17, "funder deadline", "deadline") in marks
    assert (60, "funding ends", "end") in marks
    said = explain.explain_month(model)
    assert sum(line.startswith("You intervened") for line in said) == 4
    story = explain.pair_story(model, 0, 1)
    assert any("intervention: organisation 1 broke a commitment to 0" in text for _, text in story.events)
    controls.intervene_backbone(model, False)
    assert model.backbone is None
    model.step()  # the model runs on after every intervention


def test_broken_commitment_lowers_the_victims_trust_in_the_story():
    model = _model(months=10)
    row = int(np.flatnonzero(model.rel.level >= 1)[0])
    a, b = int(model.rel.i[row]), int(model.rel.j[row])
    before = explain.pair_story(model, a, b).trust_ab[-1]
    controls.intervene_broken_commitment(model, str(a), str(b))
    after = explain.pair_story(model, a, b).trust_ab[-1]
    assert after < before


@pytest.mark.parametrize(
    "call",
    [
        lambda m: controls.intervene_broken_commitment(m, "0", "0"),
        lambda m: controls.intervene_broken_commitment(m, "0", "x"),
        lambda m: controls.intervene_replace_staff(m, "999"),
        lambda m: controls.intervene_mandate(m, "2", "12"),
        lambda m: controls.intervene_mandate(m, "0.5", "0"),
    ],
)
def test_bad_intervention_input_is_refused_with_a_parameter_error(call):
    model = _model()
    with pytest.raises(ParameterError):
        call(model)
    assert model.interventions == []


# --- network and plots --------------------------------------------------------------------


def test_layout_is_computed_once_and_stable_between_steps():
    model = _model()
    layout = model.layout
    copy = layout.copy()
    for _ in range(5):
        model.step()
        charts.network_data(model)
    assert model.layout is layout
    np.testing.assert_array_equal(model.layout, copy)
    same = network.sector_layout(model.orgs.sector, model.params["seed"])
    np.testing.assert_array_equal(same, copy)
    assert np.isfinite(copy).all() and len(np.unique(copy.round(6), axis=0)) == model.n


def test_charts_change_when_the_model_steps_and_only_their_data_does():
    model = _model()
    views = (charts.network_view(model), charts.series_view(model))
    before = (charts.network_data(model), charts.series_data(model), charts.series_signals(model))
    model.step()
    after = (charts.network_data(model), charts.series_data(model), charts.series_signals(model))
    assert all(b != a for b, a in zip(before, after))
    assert views == (charts.network_view(model), charts.series_view(model))  # the page keeps its views all run long
    # every dataset a view reads is one the data gives, and the other way round
    for view, data in ((views[0], after[0]), (views[1], after[1])):
        assert _dataset_names(view) == set(data)
    assert {p["name"] for p in views[1]["params"]} == set(after[2])
    big = _model(n_organisations=200, months=20)
    assert len(charts.network_data(big)["nodes"]) == 200
    assert len(charts.network_view(big)["layer"]) == 2  # no numbers on 200 dots (LABEL_LIMIT)


def _dataset_names(spec) -> set[str]:
    """Names of the named datasets a Vega-Lite spec reads, anywhere in it."""
    if isinstance(spec, dict):
        found = {spec["data"]["name"]} if isinstance(spec.get("data"), dict) and "name" in spec["data"] else set()
        return found.union(*(_dataset_names(v) for v in spec.values()))
    if isinstance(spec, list):
        return set().union(*(_dataset_names(v) for v in spec))
    return set()


def test_keyboard_choosers_name_each_organisation_and_refuse_others():
    model = _model()
    labels = [charts.org_label(model, k) for k in range(model.n)]
    assert [charts.org_from_label(text, model.n) for text in labels] == list(range(model.n))
    assert labels[0].startswith("0: ") and labels[0].split(": ")[1] in {network.sector_label(s) for s in network.SECTOR_COLOURS}
    assert charts.org_from_label(" 3 ", model.n) == 3  # a typed number (communities beyond the choosers' limit)
    for bad in ("", "x", "-1", str(model.n), "2.5"):
        with pytest.raises(ValueError, match=f"from 0 to {model.n - 1}"):
            charts.org_from_label(bad, model.n)


# --- per-session models -----------------------------------------------------------------


def test_each_session_has_its_own_model_and_settings():
    from collabsim.viz import app

    s1, s2 = app.new_settings(), app.new_settings()
    assert s1 is not s2
    m1, m2 = VizModel(s1), VizModel(s2)
    s1.set_value("n_organisations", "12")
    m1.step()
    m1.step()
    controls.intervene_backbone(m1, True)
    assert (m1.month, m2.month) == (2, 0)
    assert m2.backbone is None and m2.interventions == []
    assert m1.rel is not m2.rel and m1.layout is not m2.layout
    assert VizModel(s1).n == 12 and VizModel(s2).n == m2.n
    assert s1.seed is None and m1.params["seed"] != m2.params["seed"]  # empty seed: a new random run each
    assert "page" in vars(app) and not any(isinstance(v, VizModel) for v in vars(app).values())


def test_app_page_is_a_solara_element():
    import solara

    from collabsim.viz import app

    assert isinstance(app.page, solara.core.Element) if hasattr(solara.core, "Element") else app.page is not None
    assert callable(app.Page)


def test_viz_command_line_help_and_missing_assets(tmp_path, monkeypatch, capsys):
    from collabsim.viz import cli

    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path))
    assert cli.missing_assets(tmp_path) == list(cli.ASSET_PACKAGES)
    monkeypatch.setattr(cli, "asset_dir", lambda: tmp_path)
    assert cli.main(["--port", "8999"]) == 1
    err = capsys.readouterr().err
    assert "collabsim viz --fetch-assets" in err
    assert cli.main(["--scenario", "nope"]) == 2
    assert "unknown scenario" in capsys.readouterr().err
    cmd = cli.solara_command("127.0.0.1", 8999)
    assert cmd[-2:] == ["--production", "--no-open"] and "127.0.0.1" in cmd and str(cli.APP_PATH) in cmd
    assert cli.server_env("task_force")["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


# --- issue 15: what is on screen is the model that runs; the lesson's numbers in words ----


def test_an_empty_seed_draws_a_new_run_and_records_which():
    from collabsim.viz import app

    s = app.new_settings()
    s.set_seed_text("")
    assert s.seed is None
    a, b = VizModel(s), VizModel(s)
    assert a.params["seed"] != b.params["seed"]
    again = VizModel(Settings(scenario=s.scenario, seed=a.params["seed"]))
    for m in (a, again):
        for _ in range(6):
            m.step()
    np.testing.assert_array_equal(a.rel.trust, again.rel.trust)  # the shown seed repeats the run
    s.set_seed_text(" none ")
    assert s.seed is None


def test_slider_changes_after_choosing_a_scenario_reach_the_model():
    from collabsim.viz.session import pending_changes

    s = Settings(scenario="default", seed=4)
    running = VizModel(s)
    assert pending_changes(s, running) == []
    dropped = s.set_scenario("police_community")
    assert dropped == {}
    s.set_value("history_of_harm", 0)
    changes = pending_changes(s, running)
    assert any(c.startswith("scenario default → police_community") for c in changes)
    model = VizModel(s)
    assert model.scenario_name == "police_community" and model.params["history_of_harm"] == 0
    assert pending_changes(s, model) == []
    # changing scenario again replaces the changes and says which were replaced
    assert s.set_scenario("default") == {"history_of_harm": 0.0}


def test_step_stops_at_the_end_of_the_run():
    model = VizModel(Settings(scenario="default", seed=2, overrides={"months": 3}))
    for _ in range(6):
        model.step()
    assert model.month == 3 and not model.running and len(model.trust_history) == 4


def test_numbers_to_record_are_the_models_values():
    from collabsim.viz import numbers

    model = _model("police_community_meetings", months=26)
    df = model.datacollector.get_model_vars_dataframe()
    lines = " ".join(numbers.record_lines(model))
    assert f"Collaborating pairs: {int(df.pairs_collaboration.iloc[-1])}," in lines
    assert f"durable (12+ months at collaboration): {int(df.durable_collaborations.iloc[-1])}" in lines
    assert f"Breakdowns so far: {int(df.breakdowns.iloc[-1])}." in lines
    first = model.first_collaboration_month
    assert (f"First collaboration: month {first}." if first is not None else "First collaboration: none yet.") in lines
    # harmed pairs: the model's own metric, and damage read from the relationship table
    assert model.divide_working[-1] == int(df.harmed_pairs_working.iloc[-1])
    harmed = model.rel.harmed
    assert f"mean damage in harmed pairs {model.rel.damage[:, harmed].mean():.2f}" in lines
    headings, rows = numbers.checkpoint_table(model)
    assert [r[0] for r in rows] == ["12", "24", "26 (now)"]
    col = headings.index("collaborating pairs")
    assert rows[1][col] == f"{int(df.pairs_collaboration.iloc[24]):,}"


def test_pair_story_says_why_trust_stays_low_and_harmed_pairs_offered_have_met():
    model = _model("police_community", months=30)
    pair = explain.harmed_pair(model)
    assert pair is not None
    story = explain.pair_story(model, *pair)
    assert story.row >= 0 and "have not met" not in story.summary
    assert "history of harm" in story.summary and "1 − damage" in story.summary


def test_follow_a_busy_pair_finds_a_pushed_pair():
    model = _model("funder_mandate", months=30)
    assert model.ever_forced.any()
    a, b = explain.interesting_pair(model)
    row = int(model.rel.find(np.array([a]), np.array([b]))[0])
    assert model.ever_forced[row]
    assert "The funder pushed this pair" in explain.pair_story(model, a, b).summary


def test_server_silences_exactly_two_library_warnings():
    from collabsim.viz import cli

    cmd = cli.solara_command("127.0.0.1", 8999)
    specs = [cmd[k + 1] for k, arg in enumerate(cmd) if arg == "-W"]
    assert specs == list(cli.QUIET_WARNINGS) and len(specs) == 2
    assert all(spec.startswith("ignore:") and spec.count(":") == 3 for spec in specs)  # message, category and module named


def test_network_chart_has_every_working_tie_with_its_trust_and_damage():
    from collabsim.viz import charts

    model = _model("funder_mandate", months=30)
    view = charts.network_view(model)
    data = charts.network_data(model, (1,))
    ties = data["ties"]
    rel = model.rel
    working = np.flatnonzero(rel.level >= 1)
    assert len(ties) == working.size > 0
    r = working[0]
    a, b = int(rel.i[r]), int(rel.j[r])
    tie = ties[0]
    assert (tie["a"], tie["b"], tie["months at level"]) == (a, b, int(rel.months_at_level[r]))
    assert tie["trust"] == f"{a}→{b} {rel.trust[0, r]:.2f}, {b}→{a} {rel.trust[1, r]:.2f}"
    assert tie["damage"] == f"{a}→{b} {rel.damage[0, r]:.2f}, {b}→{a} {rel.damage[1, r]:.2f}"
    tooltip = [t["field"] for t in view["layer"][0]["encoding"]["tooltip"]]
    assert {"level", "trust", "damage", "months at level"} <= set(tooltip)  # what hovering a tie shows
    nodes = data["nodes"]
    assert [n["org"] for n in nodes] == list(range(model.n)) and nodes[1]["chosen"] and not nodes[0]["chosen"]
    np.testing.assert_allclose([[n["x"], n["y"]] for n in nodes], model.layout, atol=1e-4)  # the fixed sector layout
    stacked = charts.series_data(model)["levels"]
    df = model.datacollector.get_model_vars_dataframe()
    assert sum(v["pairs"] for v in stacked if v["month"] == 30 and v["level"] == "collaboration") == int(df.pairs_collaboration.iloc[30])
    card = charts.org_card_lines(model, 1)
    assert card[0].startswith("Organisation 1: ") and len(card) >= 2


def test_live_chart_sends_each_months_data_as_json_the_browser_can_parse():
    import json

    from collabsim.viz.livechart import LiveVega, to_json

    model = _model()
    data = charts.network_data(model, (1,))
    widget = LiveVega(spec=charts.network_view(model), datasets=data)
    assert json.loads(widget.datasets_json) == data  # what the browser receives is the month's data
    model.step()
    widget.datasets = charts.network_data(model)
    assert json.loads(widget.datasets_json) == charts.network_data(model)
    assert json.loads(to_json({"t": [{"trust": float("nan"), "x": float("inf"), "y": 0.5}]})) == {"t": [{"trust": None, "x": None, "y": 0.5}]}
