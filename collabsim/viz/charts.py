"""The page's charts (network, time series, a pair's story) as Vega-Lite, drawn in the browser.

The page used to send matplotlib PNGs each month (0.4-0.6 s to draw on the server), then
whole Vega-Lite specs that the browser re-embedded every month. Each chart is now two parts:
a ``*_view`` spec that stays the same for a run (or a pair) and reads named datasets and
params, and ``*_data`` (and ``series_signals``) with the month's values; ``LiveVega``
(``livechart.py``) embeds the view once and then only swaps the data, which keeps the
hover tooltips and the clicks the page listens to. The layout stays the model's fixed
sector layout (``VizModel.layout``), so organisations never move between months. Colours
and sizes come from ``network.py`` (Okabe-Ito sectors, a grey ramp for levels) and text is
at least ``FONT_PT`` pixels. Plain dictionaries, no Altair objects: no schema validation
every month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..relationships import LEVEL_NAMES
from ..scenarios import SECTORS
from .network import FONT_PT, LABEL_LIMIT, LEVEL_STYLE, SECTOR_COLOURS, sector_label
from .timeseries import INTERVENTION_COLOUR, time_marks

if TYPE_CHECKING:  # pragma: no cover
    from .explain import PairStory
    from .session import VizModel

NETWORK_SIZE = 560
SERIES_WIDTH = 520
SERIES_HEIGHT = 105
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
CONFIG = {
    "font": "Roboto, sans-serif",
    "axis": {"labelFontSize": FONT_PT, "titleFontSize": FONT_PT},
    "legend": {"labelFontSize": FONT_PT, "titleFontSize": FONT_PT, "symbolSize": 120},
    "title": {"fontSize": FONT_PT + 1, "anchor": "start", "fontWeight": "normal"},
    "view": {"stroke": None},
}


def _level_scale(levels: range) -> dict[str, Any]:
    return {"domain": [LEVEL_NAMES[k] for k in levels], "range": [LEVEL_STYLE[k][0] for k in levels]}


def tie_rows(model: "VizModel") -> list[dict[str, Any]]:
    """One record per working tie (networking or above): ends, level, trust both ways, damage."""
    rel = model.rel
    pos = model.layout
    rows = np.flatnonzero(rel.level >= 1)
    out = []
    for r in rows:
        a, b = int(rel.i[r]), int(rel.j[r])
        out.append({
            "x": round(float(pos[a, 0]), 4), "y": round(float(pos[a, 1]), 4),
            "x2": round(float(pos[b, 0]), 4), "y2": round(float(pos[b, 1]), 4),
            "a": a, "b": b, "level": LEVEL_NAMES[int(rel.level[r])], "lvl": int(rel.level[r]),
            "pair": f"{a}–{b}",
            "trust": f"{a}→{b} {rel.trust[0, r]:.2f}, {b}→{a} {rel.trust[1, r]:.2f}",
            "damage": f"{a}→{b} {rel.damage[0, r]:.2f}, {b}→{a} {rel.damage[1, r]:.2f}",
            "months at level": int(rel.months_at_level[r]),
            "pushed by funder": "yes" if bool(rel.forced[r]) else "no",
        })
    return out


def node_rows(model: "VizModel", chosen: tuple[int, ...]) -> list[dict[str, Any]]:
    """One record per organisation: place, sector, whether the backbone serves it, whether chosen."""
    pos = model.layout
    served = np.asarray(model.backbone.served, dtype=bool) if model.backbone is not None else np.zeros(model.n, dtype=bool)
    return [
        {
            "org": k, "x": round(float(pos[k, 0]), 4), "y": round(float(pos[k, 1]), 4),
            "sector": sector_label(SECTORS[int(model.orgs.sector[k])]),
            "served": "served by the backbone" if served[k] else "",
            "chosen": k in chosen, "label": str(k),
        }
        for k in range(model.n)
    ]


MONTH_PARAM = {"name": "month", "value": 0}
"""The month a chart's title shows: a param the page sets every month (its value here is a placeholder)."""


def _month_title(size: int, bold: bool) -> dict[str, Any]:
    return {"text": {"expr": "'month ' + month"}, "anchor": "end", "fontSize": size, "fontWeight": "bold" if bold else "normal"}


def network_view(model: "VizModel") -> dict[str, Any]:
    """The network's spec for a run (layout, scales, legends, tooltips), without its monthly data.

    Ties come from the named dataset ``ties`` (``tie_rows``), organisations from ``nodes``
    (``node_rows``), the month from the ``month`` param: a new month changes only those
    (``network_data``), so the page updates the view instead of drawing a new one.
    """
    lim = float(np.abs(model.layout).max()) + 0.15 if model.n else 1.0
    scale_x = {"domain": [-lim, lim], "nice": False, "zero": False}
    x = {"field": "x", "type": "quantitative", "scale": scale_x, "axis": None}
    y = {"field": "y", "type": "quantitative", "scale": scale_x, "axis": None}
    sectors_present = [sector_label(s) for k, s in enumerate(SECTORS) if np.any(model.orgs.sector == k)]
    sector_scale = {"domain": sectors_present, "range": [SECTOR_COLOURS[s.replace(" ", "_")] for s in sectors_present]}
    size = float(max(30.0, min(330.0, 13000.0 / max(model.n, 1))))
    level_names = [LEVEL_NAMES[k] for k in range(1, len(LEVEL_NAMES))]
    ties = {
        "data": {"name": "ties"},
        "mark": {"type": "rule", "opacity": 0.9},
        "encoding": {
            "x": x, "y": y,
            "x2": {"field": "x2"}, "y2": {"field": "y2"},
            "color": {"field": "level", "type": "ordinal", "scale": _level_scale(range(1, len(LEVEL_NAMES))),
                      "legend": {"title": "ties (level)", "orient": "bottom", "columns": 2, "values": level_names}},
            "strokeWidth": {"field": "lvl", "type": "quantitative", "scale": {"domain": [1, 4], "range": [1.0, 4.0]}, "legend": None},
            "strokeDash": {"field": "pushed by funder", "type": "nominal", "scale": {"domain": ["no", "yes"], "range": [[1, 0], [6, 3]]},
                           "legend": {"title": "pushed by funder", "orient": "bottom", "values": ["no", "yes"]}},
            "tooltip": [{"field": f} for f in ("pair", "level", "trust", "damage", "months at level", "pushed by funder")],
        },
    }
    nodes = {
        "data": {"name": "nodes"},
        "mark": {"type": "circle", "opacity": 1, "cursor": "pointer"},
        "encoding": {
            "x": x, "y": y,
            "size": {"condition": {"test": "datum.chosen", "value": size * 2.2}, "value": size},
            "color": {"field": "sector", "type": "nominal", "scale": sector_scale,
                      "legend": {"title": "organisations (sector)", "orient": "bottom", "columns": 2}},
            "stroke": {"condition": [{"test": "datum.chosen", "value": "#000000"}, {"test": "datum.served != ''", "value": "#000000"}],
                       "value": "#ffffff"},
            "strokeWidth": {"condition": {"test": "datum.chosen || datum.served != ''", "value": 2.5}, "value": 1},
            "tooltip": [{"field": "org", "title": "organisation"}, {"field": "sector"}, {"field": "served", "title": "backbone"}],
        },
    }
    layers = [ties, nodes]
    if model.n <= LABEL_LIMIT:
        layers.append({
            "data": {"name": "nodes"},
            "mark": {"type": "text", "fontSize": FONT_PT, "color": "white", "fontWeight": "bold", "cursor": "pointer"},
            "encoding": {"x": x, "y": y, "text": {"field": "label"},
                         "tooltip": [{"field": "org", "title": "organisation"}, {"field": "sector"}]},
        })
    return {
        "$schema": SCHEMA,
        "params": [MONTH_PARAM],
        "title": _month_title(FONT_PT + 4, bold=True),
        "width": NETWORK_SIZE, "height": NETWORK_SIZE,
        "layer": layers,
        "resolve": {"scale": {"color": "independent", "size": "independent", "strokeWidth": "independent"}},
        "config": CONFIG,
    }


def network_data(model: "VizModel", chosen: tuple[int, ...] = ()) -> dict[str, list[dict[str, Any]]]:
    """The network's monthly data: the named datasets of ``network_view``."""
    return {"ties": tie_rows(model), "nodes": node_rows(model, chosen)}


MARK_COLOURS = {"deadline": "#cb181d", "end": "#000000", "intervention": INTERVENTION_COLOUR}


def mark_rows(model: "VizModel") -> list[dict[str, Any]]:
    """Deadlines, the run's end and interventions, as vertical rules on every panel."""
    return [{"month": m, "mark": (label.split("]")[0] + "]" if kind == "intervention" else label), "kind": kind}
            for m, label, kind in time_marks(model)]


def series_right(model: "VizModel") -> int:
    """The time axis' right end: the month now, a year at least, and the deadlines ahead."""
    return max([int(model.month), 12] + [m + 2 for m, _, kind in time_marks(model) if kind != "intervention"])


TOTALS = {"premature escalations (funder)": "premature_escalations", "breakdowns": "breakdowns"}
"""The third panel's lines: legend label and the monthly table's column."""


def series_view(model: "VizModel") -> dict[str, Any]:
    """Four panels over time: pairs per level (stacked), trust, escalations and breakdowns, impact.

    The spec is the same all run long; the panels read the named datasets of ``series_data``
    and the ``month`` and ``right`` (end of the time axis) params of ``series_signals``.
    """
    xs = {"field": "month", "type": "quantitative", "scale": {"domain": [0, {"expr": "right"}], "nice": False}, "title": None}
    marks = {
        "data": {"name": "marks"},
        "mark": {"type": "rule", "strokeDash": [4, 3]},
        "encoding": {
            "x": {"field": "month", "type": "quantitative"},
            "color": {"field": "kind", "type": "nominal", "scale": {"domain": list(MARK_COLOURS), "range": list(MARK_COLOURS.values())},
                      "legend": None},
            "tooltip": [{"field": "mark"}, {"field": "month"}],
        },
    }

    def panel(title: str, layers: list[dict[str, Any]]) -> dict[str, Any]:
        return {"title": title, "width": SERIES_WIDTH, "height": SERIES_HEIGHT, "layer": layers + [marks],
                "resolve": {"scale": {"color": "independent"}}}

    return {
        "$schema": SCHEMA,
        "params": [MONTH_PARAM, {"name": "right", "value": 12}],
        "title": _month_title(FONT_PT + 2, bold=False),
        "vconcat": [
            panel("pairs at each level (stacked; aware pairs not shown)", [{
                "data": {"name": "levels"},
                "mark": {"type": "area"},
                "encoding": {
                    "x": xs, "y": {"field": "pairs", "type": "quantitative", "stack": True, "title": None},
                    "color": {"field": "level", "type": "ordinal", "scale": _level_scale(range(1, len(LEVEL_NAMES))),
                              "legend": {"title": None, "orient": "right"}},
                    "order": {"field": "order"},
                    "tooltip": [{"field": "month"}, {"field": "level"}, {"field": "pairs"}],
                },
            }]),
            panel("trust between known pairs: mean, and spread (± 1 sd)", [
                {"data": {"name": "trust"}, "mark": {"type": "area", "opacity": 0.3, "color": "#56B4E9"},
                 "encoding": {"x": xs, "y": {"field": "low", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": None},
                              "y2": {"field": "high"}}},
                {"data": {"name": "trust"}, "mark": {"type": "line", "color": "#0072B2", "strokeWidth": 2},
                 "encoding": {"x": xs, "y": {"field": "mean trust", "type": "quantitative"},
                              "tooltip": [{"field": "month"}, {"field": "mean trust"}]}},
            ]),
            panel("premature escalations and breakdowns (total so far)", [{
                "data": {"name": "totals"},
                "mark": {"type": "line", "strokeWidth": 2},
                "encoding": {
                    "x": xs, "y": {"field": "total", "type": "quantitative", "title": None},
                    "color": {"field": "what", "type": "nominal", "scale": {"domain": list(TOTALS), "range": ["#D55E00", "#000000"]},
                              "legend": {"title": None, "orient": "top"}},
                    "strokeDash": {"field": "what", "type": "nominal", "scale": {"domain": list(TOTALS), "range": [[1, 0], [5, 3]]},
                                   "legend": None},
                    "tooltip": [{"field": "month"}, {"field": "what"}, {"field": "total"}],
                },
            }]),
            panel("collective impact (value of successful joint work, total so far)", [{
                "data": {"name": "impact"},
                "mark": {"type": "line", "color": "#009E73", "strokeWidth": 2},
                "encoding": {"x": {**xs, "title": "month"}, "y": {"field": "collective impact", "type": "quantitative", "title": None},
                             "tooltip": [{"field": "month"}, {"field": "collective impact"}]},
            }]),
        ],
        "resolve": {"scale": {"color": "independent", "strokeDash": "independent"}},
        "config": CONFIG,
    }


def series_data(model: "VizModel") -> dict[str, list[dict[str, Any]]]:
    """The over-time panels' data: the named datasets of ``series_view``, from the model's monthly table."""
    df = model.datacollector.get_model_vars_dataframe()
    month = df["month"].to_numpy().astype(int)
    levels = [{"month": int(m), "level": name, "order": k, "pairs": int(v)}
              for k, name in enumerate(LEVEL_NAMES[1:], start=1) for m, v in zip(month, df[f"pairs_{name}"])]
    mean = df["mean_trust"].to_numpy(dtype=float)
    sd = df["trust_sd"].to_numpy(dtype=float)
    trust = [{"month": int(m), "mean trust": round(float(a), 3), "low": round(float(max(a - s, 0.0)), 3), "high": round(float(min(a + s, 1.0)), 3)}
             for m, a, s in zip(month, np.nan_to_num(mean), np.nan_to_num(sd))]
    totals = [{"month": int(m), "what": what, "total": int(v)} for what, col in TOTALS.items() for m, v in zip(month, df[col])]
    impact = [{"month": int(m), "collective impact": round(float(v), 1)} for m, v in zip(month, df["collective_impact"])]
    return {"levels": levels, "trust": trust, "totals": totals, "impact": impact, "marks": mark_rows(model)}


def series_signals(model: "VizModel") -> dict[str, int]:
    """The over-time panels' params: the month (title) and the right end of the time axis."""
    return {"month": int(model.month), "right": series_right(model)}


def org_card_lines(model: "VizModel", k: int) -> list[str]:
    """An organisation's card: sector, attributes, partners by level with trust both ways."""
    orgs = model.orgs
    rel = model.rel
    lines = [
        f"Organisation {k}: {sector_label(SECTORS[int(orgs.sector[k])])}; capacity this month {orgs.budget[k]:.1f} "
        f"(base {orgs.base_capacity[k]:.1f}); collaborative skill {orgs.skill[k]:.2f}; reliability {orgs.reliability[k]:.2f}; "
        f"{'hierarchical' if orgs.hierarchical[k] else 'flat'} style; grants won {int(orgs.grants_won[k])}."
    ]
    mine = np.flatnonzero((rel.i == k) | (rel.j == k))
    for lvl in range(len(LEVEL_NAMES) - 1, -1, -1):
        rows = mine[rel.level[mine] == lvl]
        if rows.size == 0:
            continue
        parts = []
        for r in rows:
            d = 0 if int(rel.i[r]) == k else 1
            other = int(rel.j[r]) if d == 0 else int(rel.i[r])
            parts.append(f"{other} (trusts it {rel.trust[d, r]:.2f}, trusted {rel.trust[1 - d, r]:.2f})")
        lines.append(f"{LEVEL_NAMES[lvl].capitalize()} ({rows.size}): " + "; ".join(parts) + ".")
    if mine.size == 0:
        lines.append("It knows no one yet.")
    return lines


CHOOSER_LIMIT = 500
"""Largest community whose organisations the page lists in its keyboard choosers (the size
slider stops here too); larger communities from ``--community`` are chosen by number."""


def org_label(model: "VizModel", k: int) -> str:
    """How the keyboard choosers name an organisation: its number and sector."""
    return f"{k}: {sector_label(SECTORS[int(model.orgs.sector[k])])}"


def org_from_label(text: object, n: int) -> int:
    """The organisation a chooser's entry (or a typed number) names.

    Raises:
        ValueError: with a message naming what was given and what is allowed.
    """
    raw = str(text).split(":", 1)[0].strip()
    if not raw.isdigit() or not 0 <= int(raw) < n:
        raise ValueError(f"an organisation is a number from 0 to {n - 1}; got {str(text)!r}")
    return int(raw)


PAIR_WIDTH = 560
PAIR_HEIGHT = 200
TRUST_COLOURS = ("#0072B2", "#D55E00")
"""a's trust in b, b's trust in a (Okabe-Ito blue and vermillion; the lines also differ in dash)."""


def pair_view(a: int, b: int) -> dict[str, Any]:
    """A pair's story over time: trust both ways, the level as a bar along the bottom, events as rules.

    The spec depends only on the pair (its legend names them); the months come from the named
    datasets of ``pair_data`` and the time axis from ``pair_signals`` (an explicit domain: a
    pair with no events yet would otherwise give vega an empty extent).
    """
    who = [f"{a} trusts {b}", f"{b} trusts {a}"]
    x = {"field": "month", "type": "quantitative", "title": "month",
         "scale": {"domain": [{"expr": "start"}, {"expr": "end"}], "nice": False, "zero": False}}
    return {
        "$schema": SCHEMA,
        "params": [MONTH_PARAM, {"name": "start", "value": 0}, {"name": "end", "value": 6}],
        "title": {"text": f"pair {a}–{b}: trust both ways (bar at the bottom: level)", "anchor": "start"},
        "width": PAIR_WIDTH, "height": PAIR_HEIGHT,
        "layer": [
            {"data": {"name": "levels"}, "mark": {"type": "rect", "height": 8, "y": PAIR_HEIGHT - 8},
             "encoding": {"x": {**x, "field": "from"}, "x2": {"field": "to"},
                          "color": {"field": "level", "type": "ordinal", "scale": _level_scale(range(len(LEVEL_NAMES))),
                                    "legend": {"title": "level", "orient": "right"}},
                          "tooltip": [{"field": "month"}, {"field": "level"}]}},
            {"data": {"name": "events"}, "mark": {"type": "rule", "strokeDash": [4, 3]},
             "encoding": {"x": x, "color": {"field": "kind", "type": "nominal",
                                            "scale": {"domain": ["intervention", "broken commitment"],
                                                      "range": [INTERVENTION_COLOUR, "#a50f15"]},
                                            "legend": {"title": None, "orient": "bottom"}},
                          "tooltip": [{"field": "month"}, {"field": "text"}]}},
            {"data": {"name": "trust"}, "mark": {"type": "line", "strokeWidth": 2},
             "encoding": {"x": x, "y": {"field": "trust", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": "trust"},
                          "color": {"field": "who", "type": "nominal", "scale": {"domain": who, "range": list(TRUST_COLOURS)},
                                    "legend": {"title": None, "orient": "top"}},
                          "strokeDash": {"field": "who", "type": "nominal", "scale": {"domain": who, "range": [[1, 0], [6, 3]]},
                                         "legend": None},
                          "tooltip": [{"field": "month"}, {"field": "who"}, {"field": "trust"}]}},
        ],
        "resolve": {"scale": {"color": "independent"}},
        "config": CONFIG,
    }


def pair_data(story: "PairStory") -> dict[str, list[dict[str, Any]]]:
    """The pair story's monthly data: trust each way, the level of each month, and the events."""
    a, b = story.a, story.b
    months = [int(m) for m in story.months]
    trust = [{"month": m, "who": f"{a} trusts {b}", "trust": round(float(t), 3)} for m, t in zip(months, story.trust_ab)]
    trust += [{"month": m, "who": f"{b} trusts {a}", "trust": round(float(t), 3)} for m, t in zip(months, story.trust_ba)]
    levels = [{"month": m, "from": m - 0.5, "to": m + 0.5, "level": LEVEL_NAMES[int(v)]} for m, v in zip(months, story.level) if v >= 0]
    events = [{"month": int(m), "kind": "intervention" if text.startswith("intervention") else "broken commitment", "text": text}
              for m, text in story.events if text.startswith("intervention") or "broke" in text]
    return {"trust": trust, "levels": levels, "events": events}


def pair_signals(story: "PairStory", month: int) -> dict[str, float]:
    """The pair chart's params: the month, and its time axis from first contact to now (six months at least)."""
    first = float(story.months[0]) if story.months.size else float(month)
    last = float(story.months[-1]) if story.months.size else float(month)
    return {"month": int(month), "start": first - 0.5, "end": max(last + 0.5, first + 6)}
