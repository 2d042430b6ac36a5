"""QGIS styles (QML) and OGC SLD for the exported layers.

The class style is a categorized renderer on the class column with one fill symbol per class and
the area id as label. The same builder serves the GeoPackage ``layer_styles`` table (long field
names) and the ``.qml`` sidecar of a Shapefile (short field names).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from ..criteria.base import BEDINGT, GEEIGNET, NICHT, UNBEWERTET

__all__ = ["CLASS_COLOURS", "STATUS_COLOURS", "PARTICIPATION_COLOURS", "Category", "class_categories",
           "status_categories", "participation_categories", "qml", "sld",
           "hex_to_rgba"]

#: Fill colour per class (hex), shared by every GIS style.
CLASS_COLOURS: dict[str, str] = {
    GEEIGNET: "#1a9641",
    BEDINGT: "#f28c28",
    NICHT: "#d7191c",
    UNBEWERTET: "#9e9e9e",
}
#: Fill colour per parcel status.
STATUS_COLOURS: dict[str, str] = {"Kandidat": "#fff3b0", "ausgeschlossen": "#eeeeee"}
#: Fill colour per participation state of an area (``beteiligung``, see nachverdichtung.beteiligung.state).
PARTICIPATION_COLOURS: dict[str, str] = {
    "nicht angefragt": "#bdbdbd", "offen": "#fdd835", "alle ja": "#1a9641", "teilweise ja": "#a6d96a",
    "keiner ja": "#f28c28", "zurückgestellt": "#7b3294"}


@dataclass(frozen=True)
class Category:
    """One category of a categorized renderer."""

    value: str
    label: str
    fill: str
    outline: str = "#333333"
    opacity: float = 1.0


def class_categories(opacity: float = 0.75) -> list[Category]:
    """The four class categories in the fixed class order."""
    return [Category(k, k, c, opacity=opacity) for k, c in CLASS_COLOURS.items()]


def status_categories() -> list[Category]:
    """Parcel accounting: candidate vs. excluded parcels."""
    return [Category("Kandidat", "Kandidat (Teil einer Potenzialfläche)", STATUS_COLOURS["Kandidat"], "#7f7f7f"),
            Category("ausgeschlossen", "ausgeschlossen", STATUS_COLOURS["ausgeschlossen"], "#b0b0b0")]


def participation_categories(opacity: float = 0.75) -> list[Category]:
    """The participation states of the owner round, in display order."""
    return [Category(k, k, c, opacity=opacity) for k, c in PARTICIPATION_COLOURS.items()]


def hex_to_rgba(colour: str, alpha: float = 1.0) -> str:
    """``#rrggbb`` → QGIS colour string ``r,g,b,a``."""
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{round(alpha * 255)}"


def _fill_symbol(name: str, fill: str, outline: str, opacity: float, *, outline_width: float = 0.26,
                 outline_style: str = "solid", fill_style: str = "solid") -> str:
    props = {
        "color": hex_to_rgba(fill), "outline_color": hex_to_rgba(outline), "outline_width": str(outline_width),
        "outline_width_unit": "MM", "outline_style": outline_style, "style": fill_style,
        "joinstyle": "bevel", "offset": "0,0", "offset_unit": "MM",
    }
    options = "".join(f'<Option name="{k}" type="QString" value="{v}"/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in props.items())
    return (f'<symbol type="fill" name={quoteattr(name)} alpha="{opacity:g}" clip_to_extent="1" force_rhr="0">'
            f'<data_defined_properties><Option type="Map"><Option name="name" type="QString" value=""/>'
            f'<Option name="properties"/><Option name="type" type="QString" value="collection"/></Option>'
            f'</data_defined_properties>'
            f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
            f'<Option type="Map">{options}</Option>{legacy}</layer></symbol>')


def _labeling(field: str) -> str:
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} isExpression="0" fontFamily="Sans Serif" fontSize="8" '
        'fontSizeUnit="Point" fontWeight="50" fontItalic="0" textColor="20,20,20,255" textOpacity="1" '
        'namedStyle="Regular" multilineHeight="1" allowHtml="0">'
        '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
        'bufferOpacity="0.8" bufferJoinStyle="128" bufferNoFill="1"/></text-style>'
        '<text-format wrapChar="" multilineAlign="3" plussign="0" formatNumbers="0" decimals="3"/>'
        '<placement placement="1" placementFlags="10" centroidInside="1" centroidWhole="0" fitInPolygonOnly="0" '
        'offsetType="0" dist="0" priority="5" overrunDistance="0"/>'
        '<rendering drawLabels="1" obstacle="1" obstacleType="1" scaleVisibility="1" scaleMin="0" '
        'scaleMax="10000" upsidedownLabels="0" limitNumLabels="0" displayAll="0" labelPerPart="0" '
        'mergeLines="0" minFeatureSize="0" fontLimitPixelSize="0" zIndex="0"/>'
        '</settings></labeling>'
    )


def qml(field: str, categories: list[Category], *, label_field: str | None = None,
        else_label: str = "sonstige") -> str:
    """A QGIS layer style (QML) with a categorized renderer on ``field``.

    Parameters
    ----------
    field
        The attribute that holds the class (``klasse``, or its short name in a Shapefile).
    categories
        Value, label and colours per category (see :func:`class_categories`).
    label_field
        Attribute shown as label (e.g. the area id); ``None`` for no labels.

    Examples
    --------
    >>> text = qml("klasse", class_categories(), label_field="flaeche_id")
    >>> 'type="categorizedSymbol"' in text
    True
    """
    cats = "".join(
        f'<category render="true" value={quoteattr(c.value)} symbol="{i}" label={quoteattr(c.label)} type="string"/>'
        for i, c in enumerate(categories))
    symbols = "".join(_fill_symbol(str(i), c.fill, c.outline, c.opacity) for i, c in enumerate(categories))
    source = _fill_symbol("0", "#ffffff", "#333333", 1.0)
    labels = label_field is not None
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.22.0" styleCategories="Symbology|Labeling" labelsEnabled="{int(labels)}">'
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" enableorderby="0" '
        f'forceraster="0" referencescale="-1">'
        f'<categories>{cats}</categories><symbols>{symbols}</symbols>'
        f'<source-symbol>{source}</source-symbol>'
        '<rotation/><sizescale/></renderer-v2>'
        + (_labeling(label_field) if labels else "")
        + '<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode><layerOpacity>1</layerOpacity>'
        '<layerGeometryType>2</layerGeometryType></qgis>\n'
    )


def sld(layer: str, field: str, categories: list[Category], *, label_field: str | None = None) -> str:
    """The same style as OGC SLD 1.1 (for GeoServer and other SLD clients)."""
    rules = []
    for c in categories:
        rules.append(
            f"<se:Rule><se:Name>{_esc(c.label)}</se:Name>"
            f"<se:Description><se:Title>{_esc(c.label)}</se:Title></se:Description>"
            f"<ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>{_esc(field)}</ogc:PropertyName>"
            f"<ogc:Literal>{_esc(c.value)}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"
            "<se:PolygonSymbolizer><se:Fill>"
            f'<se:SvgParameter name="fill">{c.fill}</se:SvgParameter>'
            f'<se:SvgParameter name="fill-opacity">{c.opacity:g}</se:SvgParameter></se:Fill>'
            f'<se:Stroke><se:SvgParameter name="stroke">{c.outline}</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">1</se:SvgParameter></se:Stroke>'
            "</se:PolygonSymbolizer></se:Rule>")
    if label_field:
        rules.append(
            "<se:Rule><se:TextSymbolizer><se:Label>"
            f"<ogc:PropertyName>{_esc(label_field)}</ogc:PropertyName></se:Label>"
            '<se:Font><se:SvgParameter name="font-size">11</se:SvgParameter></se:Font>'
            '<se:Halo><se:Radius>1</se:Radius><se:Fill><se:SvgParameter name="fill">#ffffff</se:SvgParameter>'
            "</se:Fill></se:Halo></se:TextSymbolizer></se:Rule>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:ogc="http://www.opengis.net/ogc" xmlns:se="http://www.opengis.net/se" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<NamedLayer><se:Name>{_esc(layer)}</se:Name><UserStyle><se:Name>{_esc(layer)}</se:Name>"
        f"<se:FeatureTypeStyle>{''.join(rules)}</se:FeatureTypeStyle></UserStyle></NamedLayer>"
        "</StyledLayerDescriptor>\n"
    )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
