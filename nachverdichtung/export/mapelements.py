"""folium elements of the web map: an offline page, the inlined assets, and layers built in the browser.

Each element renders a few lines of script that call the map library ``assets/webmap/karte.js``
(``NVK``) on the compact payload (see :func:`nachverdichtung.export.webmap.map_data`), so the page keeps
its small data and canvas rendering while every layer is a folium :class:`~folium.map.Layer` that
folium's :class:`~folium.map.LayerControl` lists, next to any layer a user adds to the map.

folium loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by default; :func:`offline` clears
those links and :class:`InlineAssets` puts Leaflet (vendored, BSD-2-Clause) and the map script into
the page instead.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import folium
from branca.element import Element, Figure
from folium.map import Layer, LayerControl
from folium.template import Template, tojavascript

__all__ = ["Page", "InlineAssets", "MapData", "ContextLayer", "ClassLayer", "CriterionLayer", "ScenarioLayer",
           "BlankBase", "Legend", "TitleBox", "MetricScale", "Ready", "offline", "Ids"]

ASSETS = Path(__file__).with_name("assets")


class Ids:
    """Deterministic element ids (folium draws random ones), so the same run writes the same page."""

    def __init__(self, prefix: str = "nv"):
        self._next = count()
        self.prefix = prefix

    def __call__(self, element):
        """Give ``element`` the next id and return it."""
        element._id = f"{self.prefix}{next(self._next)}"
        return element


class Page(Figure):
    """The HTML page around a folium map: German, titled, the script inside ``<body>``.

    On rendering, the layer control and the :class:`Ready` hook move to the end of the map, so layers
    a user adds after :func:`~nachverdichtung.export.webmap.karte` are listed and drawn too.
    In Jupyter the page shows as an ``<iframe srcdoc>`` of ``height`` pixels.
    """

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="de">\n<head>\n<meta charset="utf-8">\n'
        "<title>{{ this.title|e }}</title>\n"
        "{{ this.header.render(**kwargs) }}\n"
        "</head>\n<body>\n"
        "{{ this.html.render(**kwargs) }}\n"
        "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n"
        "</body>\n</html>\n"
    )

    def __init__(self, title: str, *, height: int = 560):
        super().__init__(title=title)
        self._name = "Page"
        self.frame_height = height
        self.header._children.pop("meta_http", None)  # <meta charset> instead

    def render(self, **kwargs) -> str:
        for child in self._children.values():
            last = [k for k, v in child._children.items() if isinstance(v, (LayerControl, Ready))]
            last.sort(key=lambda k: isinstance(child._children[k], Ready))
            for key in last:
                child._children.move_to_end(key)
        # Rendering fills header, html and script; drop what the previous rendering put there (folium
        # would append a second copy), keep what a user added to them directly.
        parts = (self.header, self.html, self.script)
        for part, keys in zip(parts, getattr(self, "_rendered", ((), (), ()))):
            for key in keys:
                part._children.pop(key, None)
        before = [set(part._children) for part in parts]
        page = super().render(**kwargs)
        self._rendered = tuple(set(part._children) - b for part, b in zip(parts, before))
        return page

    def _repr_html_(self, **kwargs) -> str:
        page = html.escape(self.render(**kwargs), quote=True)
        return (f'<iframe srcdoc="{page}" style="width:100%;height:{int(self.frame_height)}px;'
                'border:1px solid #ccc"></iframe>')


def offline(m: folium.Map) -> folium.Map:
    """Drop folium's default CDN links from ``m`` (the page inlines what it needs)."""
    m.default_js = []
    m.default_css = []
    return m


class _Script(folium.MacroElement):
    """An element whose script is one template line; ``this.map`` is the parent map's JS name."""

    def __init__(self, name: str):
        super().__init__()
        self._name = name

    @property
    def map(self) -> str:
        return self._parent.get_name()


class _Raw(Element):
    """Text put into the page as it is.

    branca wraps each rendered macro in ``Element(text)``, which compiles the text as a Jinja
    template: slow for megabytes of data, and wrong for data that contains ``{{`` or ``{%``.
    """

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class InlineAssets(_Script):
    """Leaflet's CSS (its images as data URIs) and JS, the map's CSS and script library, inlined."""

    def __init__(self):
        super().__init__("InlineAssets")
        self.leaflet_css = _leaflet_css()
        self.leaflet_js = _leaflet_js()
        self.karte_css = (ASSETS / "webmap" / "karte.css").read_text(encoding="utf-8")
        self.karte_js = (ASSETS / "webmap" / "karte.js").read_text(encoding="utf-8")

    def render(self, **kwargs):
        self.get_root().header.add_child(_Raw(
            f"<style>{self.leaflet_css}</style>\n<script>{self.leaflet_js}</script>\n"
            f"<style>{self.karte_css}</style>\n<script>{self.karte_js}</script>"), name=self.get_name())


class MapData(_Script):
    """The payload as one ``<script type="application/json">`` block, parsed once by ``NVK.load``.

    ``parts`` joined are the JSON text. Inside :meth:`streamed` a marker is rendered in its place, so
    a writer can put the parts straight into the file instead of copying megabytes through the
    page's rendering.
    """

    def __init__(self, parts: str | list[str]):
        super().__init__("MapData")
        self.parts = [parts] if isinstance(parts, str) else list(parts)
        self._marker: str | None = None

    @property
    def json(self) -> str:
        """The JSON text."""
        return "".join(self.parts)

    @contextmanager
    def streamed(self) -> Iterator[str]:
        """Render a unique marker instead of the JSON text while the block runs; yields the marker."""
        self._marker = f"nv-daten-{secrets.token_hex(16)}"
        try:
            yield self._marker
        finally:
            self._marker = None

    def render(self, **kwargs):
        root = self.get_root()
        root.html.add_child(_Raw(f'<script type="application/json" id="nv-daten">{self._marker or self.json}'
                                 "</script>"), name=self.get_name())
        root.script.add_child(_Raw(f'NVK.load("nv-daten", {self.map});'), name=self.get_name())


class _NVLayer(Layer):
    """A folium layer whose Leaflet object is made by one ``NVK`` call."""

    _template = Template("""
        {% macro script(this, kwargs) %}var {{ this.get_name() }} = NVK.{{ this.call }}({{ this._parent.get_name() }}, {{ this.args }});{% endmacro %}
    """)

    def __init__(self, kind: str, call: str, args: str, *, name: str, overlay: bool = True, show: bool = True):
        super().__init__(name=name, overlay=overlay, show=show)
        self._name = kind
        self.call = call
        self.args = args


class ContextLayer(_NVLayer):
    """Context geometry ``NV.ctx[key]`` (parcels, buildings, roads), drawn from street zoom on."""

    def __init__(self, key: str, title: str, style: dict):
        super().__init__("ContextLayer", "contextLayer", f'"{key}", {tojavascript(style)}',
                         name=f'<span class="nv-ctx">{html.escape(title)}</span>')


class ClassLayer(_NVLayer):
    """The areas of one overall class (``k`` is its position in ``NV.klassen``)."""

    def __init__(self, k: int, klasse: str, colour: str, n: int):
        super().__init__("ClassLayer", "classLayer", str(int(k)),
                         name=f'<span class="nv-mark" style="background:{colour}"></span>{html.escape(klasse)} ({n})')


class CriterionLayer(_NVLayer):
    """Every area coloured by the class of criterion ``j``; off at start, built when switched on."""

    def __init__(self, j: int, title: str):
        super().__init__("CriterionLayer", "criterionLayer", str(int(j)),
                         name=f"Kriterium: {html.escape(title)}", show=False)


class ScenarioLayer(_NVLayer):
    """Every area coloured by its overall class in scenario ``j``; off at start, built when switched on."""

    def __init__(self, j: int, title: str):
        super().__init__("ScenarioLayer", "scenarioLayer", str(int(j)), name=html.escape(title), show=False)


class ProvisionalLayer(_NVLayer):
    """The provisional class of the areas that are still "nicht bewertet"; off at start, dashed."""

    def __init__(self, n: int):
        super().__init__("ProvisionalLayer", "provisionalLayer", "0",
                         name=f"Vorläufige Klasse ({n} nicht bewertete Flächen)", show=False)


class BlankBase(Layer):
    """An empty base layer ("Ohne Hintergrund"): the default, needs no network."""

    _template = Template("""
        {% macro script(this, kwargs) %}var {{ this.get_name() }} = L.layerGroup();{% endmacro %}
    """)

    def __init__(self, name: str = "Ohne Hintergrund"):
        super().__init__(name=name, overlay=False, show=True)
        self._name = "BlankBase"


class _Call(_Script):
    """``NVK.<call>(map)`` as the element's script."""

    _template = Template("""
        {% macro script(this, kwargs) %}NVK.{{ this.call }}({{ this.map }});{% endmacro %}
    """)

    def __init__(self, name: str, call: str):
        super().__init__(name)
        self.call = call


class Legend(_Call):
    """Legend with the class counts and the context symbols (bottom right)."""

    def __init__(self):
        super().__init__("Legend", "legend")


class TitleBox(_Call):
    """Title, study area and number of areas (top left); hides while a popup is open."""

    def __init__(self):
        super().__init__("TitleBox", "title")


class Ready(_Call):
    """Last script of the page: context for the view, test hooks, ``window.nvReady``."""

    def __init__(self):
        super().__init__("Ready", "ready")


class MetricScale(_Script):
    """A metric scale bar (folium's ``control_scale`` also shows miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this.map }});{% endmacro %}
    """)

    def __init__(self):
        super().__init__("MetricScale")


def _leaflet_js() -> str:
    js = (ASSETS / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)


def _leaflet_css() -> str:
    css = (ASSETS / "leaflet" / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = base64.b64encode((ASSETS / "leaflet" / "images" / match.group(1)).read_bytes()).decode()
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
