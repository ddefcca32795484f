"""A Vega-Lite chart that is embedded once and then only told its new data.

Solara's own ``VegaLite`` widget re-embeds the whole chart on every change (vega-lite compile,
new view, new canvas) after a 100 ms debounce: at 40 organisations a Step took about 0.3 s to
show, most of it in the browser. ``LiveVega`` splits a chart into a ``spec`` that stays the
same for a run (layout, scales, legends; named datasets ``{"data": {"name": ...}}`` and
top-level ``params``) and the ``datasets`` and ``signals`` that change every month; a new month
replaces the named datasets of the existing view (``view.data``) and sets its signals, so the
view keeps its canvas, listeners and layout. A new spec (Reset, another community size)
embeds a new view. ``drawn`` counts the browser's redraws and ``drawn_month`` says which month
the last one showed (the page's Play waits for it, so it never runs ahead of the browser).

It loads vega, vega-lite and vega-embed from Solara's asset folder exactly as Solara's widget
does, so the page still needs no internet once ``collabsim viz --fetch-assets`` has run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import ipyvuetify as v
import traitlets


def _finite(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def to_json(datasets: dict) -> str:
    """Compact JSON the browser can parse: a NaN or infinity (a pair before it met) becomes null."""
    try:
        return json.dumps(datasets, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(datasets), separators=(",", ":"), allow_nan=False)


class LiveVega(v.VuetifyTemplate):
    """A Vega-Lite view whose named datasets and signals update in place.

    Attributes:
        spec: the Vega-Lite specification (without the values of its named datasets).
        datasets: values of the named datasets, ``{name: [record, ...]}``; they reach the browser
            as one JSON text (``datasets_json``): Vue 2 would otherwise make every record of
            every month deeply reactive, which cost more than drawing them.
        signals: values of the spec's top-level ``params``, ``{name: value}``.
        listen_to_click: call ``on_click`` with the clicked mark's datum (or None).
        drawn: how many times the browser has drawn the view (set by the browser).
        drawn_month: the ``month`` signal of the last drawing; ``on_drawn`` gets it.
    """

    template_file = str(Path(__file__).with_name("vue") / "livevega.vue")
    spec = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict()
    datasets_json = traitlets.Unicode("{}").tag(sync=True)
    signals = traitlets.Dict().tag(sync=True)
    listen_to_click = traitlets.Bool(False).tag(sync=True)
    drawn = traitlets.Int(0).tag(sync=True)
    drawn_month = traitlets.Int(-1).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    on_click = traitlets.Callable(None, allow_none=True)
    on_drawn = traitlets.Callable(None, allow_none=True)

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        import solara.settings

        return None if solara.settings.assets.proxy else solara.settings.assets.cdn

    def vue_vega_click(self, datum: object = None) -> None:
        if self.on_click is not None:
            self.on_click(datum)

    @traitlets.observe("datasets")
    def _datasets(self, change: dict) -> None:
        self.datasets_json = to_json(change["new"])

    @traitlets.observe("drawn_month")
    def _drawn(self, change: dict) -> None:
        if self.on_drawn is not None:
            self.on_drawn(change["new"])
