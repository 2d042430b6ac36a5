"""ALKIS data from DXF exports: read into the canonical role frames, list layers, write.

A DXF has no attributes and no CRS. What is a parcel, a building or a road is decided by the layer
an entity is drawn on, through a layer mapping (a preset YAML in ``io/presets/dxf_*.yml``,
optionally overridden by the ``layers`` argument). Parcel numbers are texts, joined to the parcel
polygon they fall in. See ``docs/dxf.md`` for the mapping format and the text / ``flstkennz``
scheme.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import ConfigError, CRSError, InputError
from ..landuse import ATTRIBUTES, OBJEKTARTEN
from .clean import clean_polygons
from .codes import building_category
from .contract import Read
from .dxf_ezdxf import KIND_LABEL, Primitives, count_entities, extract, fix_mojibake, library_errors, open_document
from .dxf_gdal import extract_gdal
from .dxf_write import write
from .names import canonical_name, matches
from .roles import ROLE_LABEL, ROLES, has_preset, preset_names
from .roles import load_preset as _shipped_preset
from .dxf_numbers import (
    BLOCK_KEYS,
    Hints,
    Linework,
    NumberRules,
    collect_numbers,
    number_parcels,
    parse_parcel_text,
    polygonise,
    split_gemarkung,
)

logger = logging.getLogger(__name__)

__all__ = ["read_alkis_dxf", "list_dxf_layers", "write_alkis_dxf", "load_preset", "check_crs",
           "detect_dxf_preset", "parse_parcel_text", "DXF_PRESETS"]

#: Presets ``preset: auto`` chooses from, by the layer names of the file (first wins a tie).
DXF_PRESETS = ("dxf_sample", "dxf_ax_objektarten")
_SPEC_KEYS = {"parcels": ("layers", "boundary_layers"),
              "parcel_numbers": ("layers", "arrow_layers"),
              "fluren": ("label_layers", "boundary_layers", "gemarkung_boundary_layers"),
              "road_names": ("layers",)}
_MAPPING_KEYS = {*_SPEC_KEYS, "ignore", *ROLES}
_RULE_ATTRS = {
    "buildings": {"funktion": 9998, "kategorie": None, "geschosse": None},
    "roads": {"art": None, "name": ""},
    "landuse": {"nutzung": None},
}
_KATEGORIEN = {"haupt", "neben", "gewerbe", "sonstige"}
_ARTEN = {"strassenverkehr", "weg", "platz"}
_NUTZUNGEN = {"wohnbau", "gemischt", "oeffentlich", "gewerbe", "gruen", "wald", "landwirtschaft", "gewaesser",
              "bahn", "verkehr", "sonstige"}
_FIX_CRS = "crs: EPSG:25832 in config unter alkis: setzen"


# --------------------------------------------------------------------------------------------
# layer mapping
# --------------------------------------------------------------------------------------------

def _key(name: str) -> str:
    """Matching key of a DXF layer name or pattern (separators kept, see :mod:`.names`)."""
    return canonical_name(name, separators=True)


def load_preset(name: str) -> dict:
    """The layer mapping of DXF preset *name* (``io/presets/<name>.yml``, see :mod:`.roles`).

    >>> load_preset("dxf_sample")["buildings"][0]["funktion"]
    1000
    """
    if not has_preset(name):
        raise ConfigError(f"unbekanntes DXF-Preset '{name}'", key="alkis.preset",
                          fix=f"eines von {', '.join(preset_names('dxf_'))} angeben")
    return _shipped_preset(name)


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value)


def _normalise_mapping(mapping: Mapping) -> dict:
    """Validate a mapping and bring every role into ``[{"layers": [...], **attrs}, ...]`` form."""
    unknown = set(mapping) - _MAPPING_KEYS
    if unknown:
        raise ConfigError(f"unbekannte Rolle(n) {sorted(unknown)} in der DXF-Layerzuordnung",
                          key="alkis.layers",
                          fix=f"nur {', '.join(sorted(_MAPPING_KEYS))} verwenden")
    out: dict = {"ignore": [_key(p) for p in _as_list(mapping.get("ignore"))]}
    for role, keys in _SPEC_KEYS.items():
        if role in mapping and mapping[role] is not None:
            spec = mapping[role]
            if not isinstance(spec, Mapping):
                spec = {keys[0]: spec}
            bad = set(spec) - set(keys)
            if bad:
                raise ConfigError(f"unbekannte Felder {sorted(bad)} unter {role}",
                                  key=f"alkis.layers.{role}", fix=f"nur {', '.join(keys)} verwenden")
            out[role] = {k: [_key(p) for p in _as_list(spec.get(k))] for k in keys}
    for role, defaults in _RULE_ATTRS.items():
        if role not in mapping or mapping[role] is None:
            continue
        rules = _rules_list(mapping[role])  # shorthand: layer name(s), default attributes
        norm = []
        for rule in rules:
            if not isinstance(rule, Mapping) or "layers" not in rule:
                raise ConfigError(f"Regel {rule!r} unter {role} hat keine 'layers'",
                                  key=f"alkis.layers.{role}",
                                  fix="jede Regel als {layers: [...], ...} schreiben")
            bad = set(rule) - {"layers", *defaults}
            if bad:
                raise ConfigError(f"unbekannte Felder {sorted(bad)} unter {role}",
                                  key=f"alkis.layers.{role}",
                                  fix=f"nur layers, {', '.join(defaults)} verwenden")
            attrs = {k: rule.get(k, v) for k, v in defaults.items()}
            _check_rule(role, attrs)
            norm.append({"layers": [_key(p) for p in _as_list(rule["layers"])], **attrs})
        out[role] = norm
    return out


def _check_rule(role: str, attrs: dict) -> None:
    allowed = {"roads": ("art", _ARTEN), "landuse": ("nutzung", _NUTZUNGEN),
               "buildings": ("kategorie", _KATEGORIEN)}[role]
    col, values = allowed
    value = attrs[col]
    if value is None and role == "buildings":
        return
    if value not in values:
        raise ConfigError(f"ungültiger Wert {col}={value!r} unter {role}",
                          key=f"alkis.layers.{role}", fix=f"einen von {sorted(values)} angeben")


def _rules_list(rules) -> list:
    """Rules of a role in list form (a single rule or layer-name shorthand allowed)."""
    if rules is None:
        return []
    if isinstance(rules, Mapping):
        return [rules]
    if isinstance(rules, str) or all(isinstance(r, str) for r in rules):
        return [{"layers": rules}]
    return list(rules)


def _extend(base: dict, extra: Mapping) -> dict:
    """*base* with the roles in *extra* added: rules first (so they win), pattern lists joined."""
    out = dict(base)
    for role, value in extra.items():
        if role not in _MAPPING_KEYS:
            raise ConfigError(f"unbekannte Rolle '{role}' unter extend", key="alkis.layers.extend",
                              fix=f"nur {', '.join(sorted(_MAPPING_KEYS))} verwenden")
        old = out.get(role)
        if role in _RULE_ATTRS:
            out[role] = _rules_list(value) + _rules_list(old)
        elif role == "ignore":
            out[role] = _as_list(value) + _as_list(old)
        else:
            keys = _SPEC_KEYS[role]
            spec = value if isinstance(value, Mapping) else {keys[0]: value}
            old = old if isinstance(old, Mapping) else ({keys[0]: old} if old else {})
            out[role] = {k: _as_list(spec.get(k)) + _as_list(old.get(k)) for k in keys
                         if spec.get(k) or old.get(k)}
    return out


def resolve_mapping(preset: str | None, layers: Mapping | None) -> dict:
    """Preset mapping with the roles given in *layers* replacing the preset's roles, and the
    roles under ``layers["extend"]`` added to them."""
    merged: dict = load_preset(preset) if preset else {}
    layers = dict(layers or {})
    extra = layers.pop("extend", None)
    merged.update(layers)
    if extra:
        if not isinstance(extra, Mapping):
            raise ConfigError("extend: erwartet Rollen mit Layern", key="alkis.layers.extend",
                              fix="z. B. extend: {buildings: [{layers: ['Gebäude X'], funktion: 1000}]}")
        merged = _extend(merged, extra)
    if not any(r in merged for r in ROLES):
        raise ConfigError("die DXF-Layerzuordnung nennt keine Rolle", key="alkis.layers",
                          fix="preset: dxf_sample oder layers: {parcels: {layers: [...]}} angeben")
    return _normalise_mapping(merged)


class _LayerClassifier:
    """Assign each DXF layer name to a geometry role (role, rule index) by the first matching
    pattern, and say whether its texts are parcel numbers or Flur labels. One layer may be both:
    parcel polygons and their numbers are often drawn on the same layer.

    Geometry roles, in order: ``ignored``, ``parcel_lines``, ``parcels``, ``flur_lines``,
    ``gemarkung_lines``, ``arrows``, then the rules of buildings, roads and land use."""

    def __init__(self, mapping: dict) -> None:
        self.mapping = mapping
        self._cache: dict[str, tuple[str, int] | None] = {}
        self._texts: dict[str, tuple[bool, bool]] = {}

    def __call__(self, layer: str) -> tuple[str, int] | None:
        if layer not in self._cache:
            self._cache[layer] = self._classify(_key(layer))
        return self._cache[layer]

    def _text_roles(self, layer: str) -> tuple[bool, bool]:
        if layer not in self._texts:
            key = _key(layer)
            nums = self.mapping.get("parcel_numbers", {}).get("layers", [])
            labels = self.mapping.get("fluren", {}).get("label_layers", [])
            self._texts[layer] = (matches(key, nums), matches(key, labels))
        return self._texts[layer]

    def is_numbers(self, layer: str) -> bool:
        return self._text_roles(layer)[0]

    def is_labels(self, layer: str) -> bool:
        """Texts of the layer are Flur/Gemarkung labels."""
        return self._text_roles(layer)[1]

    def is_road_names(self, layer: str) -> bool:
        return matches(_key(layer), self.mapping.get("road_names", {}).get("layers", []))

    def _classify(self, key: str) -> tuple[str, int] | None:
        m = self.mapping
        if matches(key, m.get("ignore", [])):
            return ("ignored", 0)
        specs = (("parcel_lines", "parcels", "boundary_layers"), ("parcels", "parcels", "layers"),
                 ("flur_lines", "fluren", "boundary_layers"),
                 ("gemarkung_lines", "fluren", "gemarkung_boundary_layers"),
                 ("arrows", "parcel_numbers", "arrow_layers"))
        for role, section, field in specs:
            if matches(key, m.get(section, {}).get(field, [])):
                return (role, 0)
        for role in ("buildings", "roads", "landuse"):
            for i, rule in enumerate(m.get(role, [])):
                if matches(key, rule["layers"]):
                    return (role, i)
        return None

    def landuse_rule(self, layer: str) -> int | None:
        """Index of the first land-use rule matching *layer*, whatever role its geometry has."""
        key = _key(layer)
        for i, rule in enumerate(self.mapping.get("landuse", [])):
            if matches(key, rule["layers"]):
                return i
        return None

    def kind(self, layer: str) -> str | None:
        hit = self(layer)
        if hit is not None and hit[0] == "ignored":
            return None
        geom = None if hit is None else ("poly" if hit[0] in ROLES else "line")
        if self.is_numbers(layer) or self.is_labels(layer) or self.is_road_names(layer):
            return "text" if geom is None else f"text+{geom}"
        return geom

    def unmatched(self, counts: Mapping) -> list[tuple[str, dict]]:
        """Layers (with their entity counts) that no role, number or label rule takes."""
        return [(lay, c) for lay, c in sorted(counts.items())
                if self(lay) is None and not self.is_numbers(lay) and not self.is_labels(lay)
                and not self.is_road_names(lay)]

    def score(self, counts: Mapping) -> int:
        """Entities on layers this mapping takes (for choosing a preset)."""
        return sum(sum(c.values()) for lay, c in counts.items()
                   if self.kind(lay) is not None)


# --------------------------------------------------------------------------------------------
# CRS plausibility
# --------------------------------------------------------------------------------------------

def check_crs(bounds: tuple[float, float, float, float], crs: str, file: str | PathLike) -> None:
    """Raise :class:`CRSError` if coordinates with *bounds* cannot be in *crs*.

    Recognises Gauß-Krüger coordinates, zone-prefixed UTM eastings ("32" + easting) and shortened
    (offset) coordinates, and says which CRS or fix fits.

    >>> check_crs((400000, 5500000, 401000, 5501000), "EPSG:25832", "a.dxf")
    """
    xmin, ymin, xmax, ymax = bounds
    epsg = CRS.from_user_input(crs).to_epsg()
    if epsg is None or epsg in (4326, 4258):
        return
    name = f"EPSG:{epsg}"
    in_n = 5_200_000 <= ymin and ymax <= 6_100_000
    if 32_000_000 <= xmin and xmax < 33_000_000:
        if epsg != 4647:
            raise CRSError(
                f"Rechtswerte {xmin:.0f}–{xmax:.0f} tragen die Zonennummer 32 vorn "
                f"(8 Stellen), passen also nicht zu {name}", file=file,
                fix="crs: EPSG:4647 setzen oder 32000000 von den Rechtswerten abziehen")
        return
    if 2_500_000 <= xmin and xmax <= 5_900_000 and in_n:
        strip = int(xmin // 1_000_000)
        if epsg not in range(31466, 31470):
            raise CRSError(
                f"Koordinaten ({xmin:.0f}, {ymin:.0f}) sind Gauß-Krüger (7-stellige Rechtswerte, "
                f"Streifen {strip}), nicht {name}", file=file,
                fix=f"crs: EPSG:{31464 + strip} setzen (Gauß-Krüger Streifen {strip}; "
                    "in RLP meist EPSG:31466 oder EPSG:31467)")
        return
    if xmax < 100_000 or ymax < 1_000_000:
        raise CRSError(
            f"Koordinaten ({xmin:.0f}, {ymin:.0f})–({xmax:.0f}, {ymax:.0f}) sind zu klein für "
            f"{name}, sie sehen gekürzt oder verschoben aus (lokales System oder "
            "Koordinatenversatz)", file=file,
            fix="DXF mit vollen Koordinaten exportieren oder den Versatz im CAD-Programm "
                "addieren (z. B. +32000000/+5000000 zurückrechnen)")
    if epsg in (25832, 25831, 25833, 32632, 32631, 32633):
        if not (280_000 <= xmin and xmax <= 920_000 and in_n):
            raise CRSError(
                f"Koordinaten ({xmin:.0f}, {ymin:.0f})–({xmax:.0f}, {ymax:.0f}) liegen nicht in "
                f"Deutschland in {name} (erwartet Rechtswert 280000–920000, Hochwert "
                "5200000–6100000)", file=file,
                fix="das richtige crs unter alkis: angeben oder die Koordinaten der DXF prüfen")
    elif epsg in range(31466, 31470):
        if not (2_500_000 <= xmin and xmax <= 5_900_000 and in_n):
            raise CRSError(
                f"Koordinaten ({xmin:.0f}, {ymin:.0f}) passen nicht zu {name} (Gauß-Krüger, "
                "7-stellige Rechtswerte erwartet)", file=file, fix=_FIX_CRS)


def _check_gemarkung(value) -> None:
    if value is not None and split_gemarkung(value) == (None, None):
        raise ConfigError(f"Gemarkung {value!r} ist keine 4- oder 6-stellige Nummer",
                          key="alkis.gemarkung", fix="z. B. gemarkung: '2566' oder '072566'")


# --------------------------------------------------------------------------------------------
# assembling role frames
# --------------------------------------------------------------------------------------------

def _dedupe(geoms: np.ndarray, from_hatch: np.ndarray) -> np.ndarray:
    """Indices to keep: one polygon per exterior ring (a hatch, with its holes, wins)."""
    if len(geoms) == 0:
        return np.arange(0)
    shells = shapely.polygons(shapely.get_exterior_ring(geoms))
    cent = shapely.get_coordinates(shapely.centroid(shells))
    frame = pd.DataFrame({
        "a": np.round(shapely.area(shells), 1), "x": np.round(cent[:, 0], 2),
        "y": np.round(cent[:, 1], 2), "holes": shapely.get_num_interior_rings(geoms),
        "hatch": from_hatch,
    })
    frame = frame.sort_values(["holes", "hatch"], ascending=False, kind="stable")
    keep = frame.drop_duplicates(["a", "x", "y"]).index.to_numpy()
    return np.sort(keep)


def _nest(geoms: np.ndarray, from_hatch: np.ndarray, layers: np.ndarray, keep_inner: bool):
    """Closed polylines inside another of the same layer: cut out of it as holes.

    With *keep_inner* (parcels: the island is a parcel of its own) every polygon stays and loses
    the polygons directly inside it; otherwise nesting is even-odd (a ring inside a building is
    its courtyard, a ring inside that an island again). Returns (geometries, keep mask).
    """
    ok = np.ones(len(geoms), bool)
    idx = np.flatnonzero(~from_hatch)
    if len(idx) < 2:
        return geoms, ok
    g = geoms[idx]
    outer, inner = shapely.STRtree(g).query(g, predicate="contains_properly")
    same = layers[idx][outer] == layers[idx][inner]
    outer, inner = outer[same], inner[same]
    if not len(outer):
        return geoms, ok
    depth = np.bincount(inner, minlength=len(idx))
    direct = depth[inner] == depth[outer] + 1
    hole = (depth % 2 == 1) if not keep_inner else np.zeros(len(idx), bool)
    out = geoms.copy()
    for o, grp in pd.Series(inner[direct]).groupby(outer[direct]):
        if not hole[o]:
            out[idx[o]] = shapely.difference(g[o], shapely.union_all(g[grp.to_numpy()]))
    ok[idx[hole]] = False
    return out, ok


def _clean_polygons(frame: gpd.GeoDataFrame, role: str) -> gpd.GeoDataFrame:
    """Valid single polygons with an area (a drawing's slivers are judged later, with the ids)."""
    return clean_polygons(frame, what=ROLE_LABEL[role], explode=True, min_area=0.0).frame.reset_index(drop=True)


def _role_polys(prim: Primitives, classify: _LayerClassifier, role: str):
    layers = np.asarray(prim.poly_layers, dtype=object)
    hits = [classify(lay) for lay in prim.poly_layers]
    if role == "landuse":  # traffic areas are roads and land use (tatsächliche Nutzung) at once
        hits = [(role, k) if h is not None and h[0] == "roads" and
                (k := classify.landuse_rule(lay)) is not None else h
                for h, lay in zip(hits, prim.poly_layers)]
    sel = np.fromiter((h is not None and h[0] == role for h in hits), bool, len(hits))
    rule = np.fromiter((h[1] if h is not None else -1 for h in hits), int, len(hits))
    geoms = np.asarray(prim.polygons, dtype=object)
    hatch = np.asarray(prim.poly_from_hatch, dtype=bool)
    pattrs = prim.poly_attrs if len(prim.poly_attrs) == len(hits) else [{}] * len(hits)
    attrs = [a for a, k in zip(pattrs, sel) if k]
    return geoms[sel], hatch[sel], rule[sel], layers[sel], attrs


#: Faces of boundary linework below this area (m²) are gaps between lines, not parcels [U].
SLIVER_M2 = 0.5
#: ... and so are faces whose mean width 2·area/perimeter is below this (m) [U].
SLIVER_WIDTH_M = 0.05


def _slivers(faces: np.ndarray) -> np.ndarray:
    """Faces that are gaps or overlaps between boundary lines drawn twice, not parcels."""
    area = shapely.area(faces)
    width = 2 * area / np.maximum(shapely.length(faces), 1e-9)
    return (area < SLIVER_M2) | (width < SLIVER_WIDTH_M)


def _merge_slivers(faces: np.ndarray, sliver: np.ndarray) -> np.ndarray:
    """The faces that are not slivers, each sliver merged into the one it shares most boundary
    with (slivers without such a neighbour are dropped)."""
    big = faces[~sliver]
    small = faces[sliver]
    si, bi = shapely.STRtree(big).query(small, predicate="intersects")
    if not len(si):
        return big
    shared = shapely.length(shapely.intersection(shapely.boundary(small[si]), shapely.boundary(big[bi])))
    pair = pd.DataFrame({"s": si, "b": bi, "len": shared}).sort_values("len", ascending=False,
                                                                       kind="stable")
    pair = pair[pair["len"] > 0].drop_duplicates("s")
    out = big.copy()
    for b, grp in pair.groupby("b")["s"]:
        out[b] = shapely.union_all(np.concatenate([[big[b]], small[grp.to_numpy()]]))
    return out


def _lines_of(prim: Primitives, classify: _LayerClassifier, role: str) -> np.ndarray:
    sel = [i for i, lay in enumerate(prim.line_layers)
           if (h := classify(lay)) is not None and h[0] == role]
    return np.asarray([prim.lines[i] for i in sel], dtype=object)


def _number_inputs(prim: Primitives, classify: _LayerClassifier):
    """Texts, Bruchstriche and number blocks of the number and label layers."""
    tsel = [i for i, lay in enumerate(prim.text_layers)
            if classify.is_numbers(lay) or classify.is_labels(lay)]
    texts = pd.DataFrame({"x": [prim.text_xy[i][0] for i in tsel],
                          "y": [prim.text_xy[i][1] for i in tsel],
                          "text": [prim.texts[i] for i in tsel],
                          "layer": [prim.text_layers[i] for i in tsel]})
    fraction = np.asarray([g for g, lay in zip(prim.lines, prim.line_layers)
                           if classify.is_numbers(lay)], dtype=object)
    isel = [i for i, (lay, attrs) in enumerate(zip(prim.insert_layers, prim.insert_attrs))
            if BLOCK_KEYS & set(attrs)]
    inserts = pd.DataFrame({"x": [prim.insert_xy[i][0] for i in isel],
                            "y": [prim.insert_xy[i][1] for i in isel],
                            "attrs": [prim.insert_attrs[i] for i in isel],
                            "layer": [prim.insert_layers[i] for i in isel]})
    return texts, fraction, inserts


def _build_parcels(prim, classify, crs, gemarkung, flur, rules: NumberRules, hints: Hints):
    geoms, hatch, _, layers, attrs = _role_polys(prim, classify, "parcels")
    keep = _dedupe(geoms, hatch)
    geoms, hatch, attrs = geoms[keep], hatch[keep], [attrs[k] for k in keep]
    geoms, _ = _nest(geoms, hatch, layers[keep], keep_inner=True)
    boundary = _lines_of(prim, classify, "parcel_lines")
    if len(boundary):
        faces = polygonise(boundary, rules.tolerance)
        sliver = _slivers(faces)
        if sliver.any():
            hints.count("{n} Splitterflächen zwischen nicht genau aufeinander liegenden "
                        f"Grenzlinien (kleiner als {SLIVER_M2:g} m² oder im Mittel schmaler als "
                        f"{SLIVER_WIDTH_M * 100:g} cm) dem Nachbarn mit der längsten gemeinsamen "
                        "Grenze zugeschlagen", int(sliver.sum()))
            faces = _merge_slivers(faces, sliver)
        geoms = np.concatenate([geoms, faces])
        hatch = np.concatenate([hatch, np.zeros(len(faces), bool)])
        attrs = attrs + [{}] * len(faces)
    keep = _dedupe(geoms, hatch)
    frame = gpd.GeoDataFrame({"_attrs": [attrs[k] for k in keep]}, geometry=list(geoms[keep]),
                             crs=crs)
    frame = _clean_polygons(frame, "parcels")
    texts, fraction, inserts = _number_inputs(prim, classify)
    numbers, labels = collect_numbers(texts, fraction, inserts, rules, hints)
    lines = Linework(fraction=fraction, arrows=_lines_of(prim, classify, "arrows"),
                     flur=_lines_of(prim, classify, "flur_lines"),
                     gemarkung=_lines_of(prim, classify, "gemarkung_lines"))
    cols = number_parcels(frame.geometry.to_numpy(), list(frame["_attrs"]), numbers, labels,
                          lines, gemarkung=gemarkung, flur=flur, rules=rules, hints=hints)
    out = gpd.GeoDataFrame(cols, geometry=frame.geometry.to_numpy(), crs=crs)
    out["flaeche_amtlich"] = np.nan
    return out[["flstkennz", "gemarkung", "flur", "zaehler", "nenner", "flaeche_amtlich",
                "geometry"]]


def _building_categories(funktion: np.ndarray) -> np.ndarray:
    """``kategorie`` from ``funktion`` via :func:`nachverdichtung.io.codes.building_category`."""
    return building_category(pd.Series(funktion, dtype="int64")).to_numpy(dtype=object)


#: XDATA / block attribute keys (case-folded) read for buildings and land use.
_ATTR_KEYS = {
    "funktion": ("gebaeudefunktion", "funktion", "gfk", "gebfkt", "gfkzshh"),
    "geschosse": ("anzahlderoberirdischengeschosse", "geschosse", "anzahlgs", "ofl"),
    "nutzung": ("nutzung", "nutzungsart", "nutzart"),
    "objektart": ("objektart", "objektartenkennung", "objektartkennung", "oak"),
    "name": ("name", "strassenname", "bezeichnung", "unverschluesselt", "bez"),
}
#: ALKIS object type numbers (Objektartenkatalog, GeoInfoDok) → object type name.
_OBJEKTART_CODES = {
    "41001": "ax_wohnbauflaeche", "41002": "ax_industrieundgewerbeflaeche", "41003": "ax_halde",
    "41004": "ax_bergbaubetrieb", "41005": "ax_tagebaugrubesteinbruch",
    "41006": "ax_flaechegemischternutzung", "41007": "ax_flaechebesondererfunktionalerpraegung",
    "41008": "ax_sportfreizeitunderholungsflaeche", "41009": "ax_friedhof",
    "42001": "ax_strassenverkehr", "42006": "ax_weg", "42009": "ax_platz",
    "42010": "ax_bahnverkehr", "42015": "ax_flugverkehr", "42016": "ax_schiffsverkehr",
    "43001": "ax_landwirtschaft", "43002": "ax_wald", "43003": "ax_gehoelz", "43004": "ax_heide",
    "43005": "ax_moor", "43006": "ax_sumpf", "43007": "ax_unlandvegetationsloseflaeche",
    "44001": "ax_fliessgewaesser", "44005": "ax_hafenbecken", "44006": "ax_stehendesgewaesser",
}
_RE_AX = re.compile(r"^ax_[a-z]+")


def _objektart(value, layer: str) -> str:
    """ALKIS object type of a land-use polygon: from its attribute (name or number), else from
    an ``AX_...`` layer name; '' if unknown."""
    if value is not None:
        v = _key(str(value)).split(".")[0]
        v = _OBJEKTART_CODES.get(v, v)
        if v in OBJEKTARTEN:
            return v
    m = _RE_AX.match(_key(layer))
    return m.group(0) if m and m.group(0) in OBJEKTARTEN else ""


def _attr(attrs: dict, name: str):
    for key in _ATTR_KEYS[name]:
        v = attrs.get(key)
        if v not in (None, ""):
            return v
    return None


def _attrs_from_blocks(prim: Primitives, classify, role: str, geoms: np.ndarray,
                       attrs: list[dict]) -> list[dict]:
    """Add the attributes of blocks placed inside a polygon of *role* to that polygon."""
    sel = [i for i, lay in enumerate(prim.insert_layers)
           if (h := classify(lay)) is not None and h[0] == role]
    if not sel or not len(geoms):
        return attrs
    pts = shapely.points(np.asarray([prim.insert_xy[i] for i in sel], dtype=float))
    ti, gi = shapely.STRtree(geoms).query(pts, predicate="within")
    out = [dict(a) for a in attrs]
    for t, g in zip(ti, gi):
        out[g] = {**prim.insert_attrs[sel[t]], **out[g]}
    return out


def _int_or(value, default):
    try:
        return int(float(str(value).strip()))
    except (TypeError, ValueError):
        return default


def _road_names(prim: Primitives, classify, geoms: np.ndarray, attrs: list[dict]) -> list[str]:
    """Street name of each road polygon: its XDATA/block attribute, else a name text inside."""
    names = [str(_attr(x, "name") or "") for x in attrs]
    sel = [i for i, lay in enumerate(prim.text_layers) if classify.is_road_names(lay)]
    if sel and len(geoms):
        pts = shapely.points(np.asarray([prim.text_xy[i] for i in sel], dtype=float))
        ti, gi = shapely.STRtree(geoms).query(pts, predicate="within")
        for t, g in zip(ti, gi):
            if not names[g]:
                names[g] = prim.texts[sel[t]]
    return names


def _landuse_columns(r, a, layers, rules) -> dict:
    """``nutzung`` and ``objektart`` (+ funktion, vegetationsmerkmal, artderbebauung where the
    XDATA/block attributes carry them) of the land-use polygons."""
    oa = [_objektart(_attr(x, "objektart"), lay) for x, lay in zip(a, layers)]
    nutz = []
    for i, x, o in zip(r, a, oa):
        given = _attr(x, "nutzung")
        if given is not None and _key(str(given)) in _NUTZUNGEN:
            nutz.append(_key(str(given)))
        elif o and _attr(x, "objektart") is not None:
            nutz.append(OBJEKTARTEN[o][1])
        else:
            nutz.append(rules[i]["nutzung"])
    out = {"nutzung": nutz, "objektart": oa}
    for name in ATTRIBUTES:
        vals = [x.get(name) for x in a]
        if any(v is not None for v in vals):
            out[name] = ["" if v is None else str(_int_or(v, v)) for v in vals]
    return out


def _build_rule_role(prim, classify, role, rules, crs, hints: Hints):
    geoms, hatch, rule, layers, attrs = _role_polys(prim, classify, role)
    keep = _dedupe(geoms, hatch)
    geoms, ok = _nest(geoms, hatch, layers, keep_inner=False)
    keep = keep[ok[keep]]
    attrs = _attrs_from_blocks(prim, classify, role, geoms[keep], [attrs[k] for k in keep])
    frame = gpd.GeoDataFrame({"_rule": rule[keep], "_attrs": attrs, "_layer": layers[keep]},
                             geometry=list(geoms[keep]), crs=crs)
    frame = _clean_polygons(frame, role)
    r = frame["_rule"].to_numpy()
    a = list(frame["_attrs"])
    if role == "buildings":
        fun = np.array([_int_or(_attr(x, "funktion"), int(rules[i]["funktion"]))
                        for i, x in zip(r, a)], dtype=np.int64)
        from_attr = np.array([_attr(x, "funktion") is not None for x in a], dtype=bool)
        kat = np.array([None if f else rules[i]["kategorie"] for i, f in zip(r, from_attr)],
                       dtype=object)
        missing = np.array([k is None for k in kat], dtype=bool)
        if missing.any():
            kat[missing] = _building_categories(fun[missing])
        ges = pd.array([_int_or(_attr(x, "geschosse"), rules[i]["geschosse"])
                        for i, x in zip(r, a)] if len(r) else [], dtype="Int64")
        out = {"funktion": fun, "geschosse": ges, "kategorie": np.asarray(kat, dtype=object)}
        if from_attr.any():
            hints.count("Gebäudefunktion von {n} Gebäuden aus XDATA/Blockattributen",
                        int(from_attr.sum()))
    elif role == "roads":
        names = _road_names(prim, classify, frame.geometry.to_numpy(), a)
        out = {"art": [rules[i]["art"] for i in r],
               "name": [nm or rules[i]["name"] or "" for i, nm in zip(r, names)]}
    else:
        out = _landuse_columns(r, a, frame["_layer"].to_numpy(), rules)
    data = pd.DataFrame(out, index=frame.index)
    for col in data:
        if data[col].dtype == object:
            data[col] = data[col].astype(str)
    return gpd.GeoDataFrame(data, geometry=frame.geometry, crs=crs)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------

def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError("DXF-Datei nicht gefunden", file=path, fix="Pfad in der config prüfen")
    if path.is_dir():
        raise InputError("ist ein Ordner, keine DXF-Datei", file=path, fix="Pfad zur .dxf angeben")
    if path.stat().st_size == 0:
        raise InputError("DXF-Datei ist leer (0 Byte)", file=path,
                         fix="die DXF neu aus dem CAD-/ALKIS-Programm exportieren")


def _open(path: Path, encoding: str | None):
    try:
        return open_document(path, encoding=encoding)
    except OSError as exc:
        raise InputError(f"DXF-Datei nicht lesbar ({exc.__class__.__name__}: {exc})", file=path,
                         fix="Datei und Leserechte prüfen") from exc
    except library_errors() as exc:
        raise InputError(
            f"keine lesbare DXF-Datei, auch die Reparatur schlug fehl "
            f"({exc.__class__.__name__}: {exc})", file=path,
            fix="die Datei im CAD-Programm öffnen und als DXF R2018 neu speichern") from exc


def _dxf_version(path: Path) -> str | None:
    """$ACADVER from the header without parsing the file (ASCII or binary DXF)."""
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    m = re.search(rb"\$ACADVER.{0,24}?(AC\d{4})", head, re.DOTALL)
    return m.group(1).decode() if m else None


def _quick_counts(doc) -> dict:
    """Entities per layer of the modelspace (block references not exploded), cheap."""
    counts: dict = {}
    for entity in doc.modelspace():
        try:
            layer = fix_mojibake(entity.dxf.get("layer", "0"))
        except AttributeError:
            continue
        per = counts.setdefault(layer, {})
        per["other"] = per.get("other", 0) + 1
    return counts


def detect_dxf_preset(counts: Mapping) -> tuple[str, int, int]:
    """The shipped preset that takes the most entities of a file with layer *counts*.

    Returns ``(preset, entities taken, entities in the file)``; ties go to the earlier preset
    in :data:`DXF_PRESETS`.
    """
    total = sum(sum(c.values()) for c in counts.values())
    scores = [(_LayerClassifier(resolve_mapping(name, None)).score(counts), name)
              for name in DXF_PRESETS]
    best = max(scores, key=lambda t: t[0])
    return best[1], best[0], total


def _unmatched_hint(classify: _LayerClassifier, counts: Mapping, fname: str) -> list[str]:
    """One line listing the layers no role takes, with their entity counts."""
    rows = classify.unmatched(counts)
    if not rows:
        return []
    parts = []
    for lay, c in rows:
        what = ", ".join(f"{n} {KIND_LABEL[k]}" for k, n in sorted(c.items(), key=lambda t: -t[1]))
        parts.append(f"{lay} ({what})")
    return [f"{fname}: {len(rows)} Layer nicht zugeordnet: {', '.join(parts)}; Lösung: bei "
            "Bedarf unter alkis: layers: extend: einer Rolle zuordnen"]


def _shift(prim: Primitives, offset) -> None:
    """Add the reduction constants (dx, dy) of shortened coordinates to every primitive."""
    dx, dy = (float(v) for v in offset)
    if dx == 0 and dy == 0:
        return
    move = lambda g: shapely.transform(np.asarray(g, dtype=object), lambda c: c + (dx, dy))  # noqa: E731
    prim.polygons = list(move(prim.polygons)) if prim.polygons else []
    prim.lines = list(move(prim.lines)) if prim.lines else []
    prim.text_xy = [(x + dx, y + dy) for x, y in prim.text_xy]
    prim.insert_xy = [(x + dx, y + dy) for x, y in prim.insert_xy]


def _extract(path: Path, preset, layers, encoding, reader, tolerance, hints: Hints):
    """Open and extract the file; resolve ``preset="auto"`` by its layer names."""
    if reader == "gdal":
        if preset == "auto":
            preset = DXF_PRESETS[0]
        classify = _LayerClassifier(resolve_mapping(preset, layers))
        prim = extract_gdal(path, kind=classify.kind, encoding=encoding, version=_dxf_version(path))
        return prim, classify
    doc, file_problems = _open(path, encoding)
    try:
        if preset == "auto":
            preset, taken, total = detect_dxf_preset(_quick_counts(doc))
            hints.add(f"DXF-Preset automatisch gewählt: {preset} ({taken} von {total} Objekten "
                      "auf bekannten Layern)")
            logger.info("%s: preset %s chosen (%d of %d entities)", path.name, preset, taken, total)
        classify = _LayerClassifier(resolve_mapping(preset, layers))
        prim = extract(doc, wanted=classify.kind, close_tolerance=tolerance,
                       block_keys=BLOCK_KEYS)
    except (ConfigError, InputError):  # both are ValueErrors: our own messages pass unchanged
        raise
    except library_errors() as exc:  # broken structures surface while iterating
        raise InputError(f"DXF-Inhalt nicht lesbar ({exc.__class__.__name__}: {exc})",
                         file=path, fix="die Datei im CAD-Programm öffnen und als DXF "
                                        "R2018 neu speichern") from exc
    prim.problems[:0] = file_problems
    return prim, classify


def _no_geometry(path: Path, prim: Primitives) -> InputError:
    if not prim.layers_seen:
        return InputError("die DXF-Datei enthält keine Zeichnungsobjekte im Modellbereich",
                          file=path, fix="prüfen, ob die richtige Datei exportiert wurde "
                                         "(Objekte im Modellbereich, nicht nur im Layout)")
    names = ", ".join(prim.layers_seen[:15]) + (" …" if len(prim.layers_seen) > 15 else "")
    return InputError(
        "keine nutzbare Geometrie (Flächen, Linien) auf den zugeordneten Layern (Layer in "
        f"der Datei: {names})", file=path,
        fix="Layerzuordnung unter alkis: layers anpassen (Layer anzeigen mit "
            "'nachverdichtung layers DATEI.dxf')")


def read_alkis_dxf(
    path: str | PathLike,
    *,
    preset: str | None = "dxf_sample",
    layers: Mapping | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    gemarkung: str | None = None,
    flur: int | None = None,
    reader: str = "auto",
    offset: tuple[float, float] = (0.0, 0.0),
    tolerance: float = 0.01,
    number_distance: float = 10.0,
) -> dict[str, Read]:
    """Read an ALKIS DXF export into canonical role frames.

    Parameters
    ----------
    path
        The DXF file (ASCII or binary, R12 … R2018).
    preset
        Name of a layer-mapping preset in ``io/presets``, ``"auto"`` (chosen by the layer
        names, see :func:`detect_dxf_preset`), or None.
    layers
        Layer mapping in the preset's structure; its roles replace the preset's roles, the roles
        under its key ``extend`` are added to them.
    crs
        CRS of the coordinates (required: a DXF has none). Set on the frames, not reprojected.
    encoding
        Code page for files older than R2007 whose ``$DWGCODEPAGE`` is wrong; R2007 and newer
        are always UTF-8.
    gemarkung, flur
        Gemarkung (4 digits, or 6 with the Land key) and Flur for parcel numbers whose Gemarkung
        and Flur follow neither from the text, the layer name nor the Flur texts and boundaries.
    reader
        ``"ezdxf"`` (full semantics), ``"gdal"`` (GDAL's DXF driver) or ``"auto"`` (= ezdxf).
    offset
        Reduction constants (dx, dy) added to shortened coordinates before anything else.
    tolerance
        Absolute tolerance in metres: polyline closure and snapping of boundary linework.
    number_distance
        Max. distance (m) of a number outside every parcel to the parcel it is given to.

    Returns
    -------
    dict
        ``parcels``, ``buildings``, ``roads``, ``landuse`` (the roles the mapping names), each a
        :class:`~nachverdichtung.io.contract.Read` of a GeoDataFrame with the columns of
        ``docs/data_model.md``; the first role carries the file's problems (one line per kind of
        hint, with its count) and their ``details`` (every case).

    Examples
    --------
    >>> frames = read_alkis_dxf("alkis.dxf", crs="EPSG:25832")  # doctest: +SKIP
    >>> frames["parcels"][["flstkennz", "zaehler", "nenner"]].head()  # doctest: +SKIP
    """
    path = Path(path)
    if not crs:
        raise CRSError("eine DXF-Datei enthält kein Koordinatensystem", file=path, fix=_FIX_CRS)
    if reader not in ("auto", "ezdxf", "gdal"):
        raise ConfigError(f"unbekannter DXF-Reader {reader!r}", key="alkis.dxf_reader",
                          fix="auto, ezdxf oder gdal angeben")
    if preset != "auto":
        resolve_mapping(preset, layers)  # mapping errors before file errors
    _check_gemarkung(gemarkung)
    _check_file(path)
    hints = Hints(path.name)
    prim, classify = _extract(path, preset, layers, encoding, reader, tolerance, hints)
    _shift(prim, offset)
    if not prim.polygons and not prim.lines:
        raise _no_geometry(path, prim)
    bounds = shapely.total_bounds(np.asarray([*prim.polygons, *prim.lines], dtype=object))
    check_crs(tuple(bounds), crs, path)

    rules = NumberRules(max_distance=number_distance, tolerance=tolerance)
    return _assemble(prim, classify, path.name, crs, gemarkung, flur, rules, hints)


def _assemble(prim, classify, fname, crs, gemarkung, flur, rules, hints) -> dict[str, Read]:
    """The role frames with their (aggregated) problems: the file's problems go with the first role."""
    mapping = classify.mapping
    out: dict[str, gpd.GeoDataFrame] = {}
    if "parcels" in mapping:
        out["parcels"] = _build_parcels(prim, classify, crs, gemarkung, flur, rules, hints)
    for role in ("buildings", "roads", "landuse"):
        if role in mapping:
            out[role] = _build_rule_role(prim, classify, role, mapping[role], crs, hints)
    file_lines = [p if p.startswith(fname) else f"{fname}: {p}" for p in prim.problems]
    problems = file_lines + _unmatched_hint(classify, prim.layer_counts, fname) + hints.lines()
    first = next(iter(out))
    source = {"file": fname, "layer": None, "crs": str(crs)}
    return {role: Read(frame, (*(problems if role == first else ()),
                               *([f"{fname}: keine Objekte für '{role}' gefunden"] if frame.empty else [])),
                       source, details=tuple(hints.details()) if role == first else ())
            for role, frame in out.items()}


def list_dxf_layers(path: str | PathLike) -> pd.DataFrame:
    """Layers of a DXF with entity type and count, block references exploded.

    Returns a DataFrame with columns ``layer``, ``entity_type``, ``count``, sorted by layer and
    entity type.

    >>> list_dxf_layers("alkis.dxf").head()  # doctest: +SKIP
    """
    path = Path(path)
    _check_file(path)
    doc, _ = _open(path, None)
    try:
        counts = count_entities(doc)
    except library_errors() as exc:  # broken structures surface while iterating
        raise InputError(f"DXF-Inhalt nicht lesbar ({exc.__class__.__name__}: {exc})", file=path,
                         fix="die Datei im CAD-Programm öffnen und als DXF R2018 neu speichern"
                         ) from exc
    frame = pd.DataFrame([(lay, et, n) for (lay, et), n in counts.items()],
                         columns=["layer", "entity_type", "count"])
    return frame.sort_values(["layer", "entity_type"], ignore_index=True)


def write_alkis_dxf(
    path: str | PathLike,
    *,
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    version: str = "R2018",
) -> None:
    """Write canonical frames as an ALKIS-like DXF (see ``docs/dxf.md`` for the layers).

    >>> write_alkis_dxf("alkis.dxf", parcels=p, buildings=b, roads=r, landuse=l)  # doctest: +SKIP
    """
    write(Path(path), parcels=parcels, buildings=buildings, roads=roads, landuse=landuse,
          version=version)
