"""ALKIS data from DXF exports: read into the canonical role frames, list layers, write.

A DXF has no attributes and no CRS. What is a parcel, a building or a road is decided by the layer
an entity is drawn on, through a layer mapping (a preset YAML in ``io/presets/dxf_*.yml``,
optionally overridden by the ``layers`` argument). Parcel numbers are texts, joined to the parcel
polygon they fall in. See ``docs/dxf.md`` for the mapping format and the text / ``flstkennz``
scheme.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml

from nachverdichtung.errors import ConfigError, CRSError, InputError
from nachverdichtung.io.dxf_ezdxf import Primitives

logger = logging.getLogger(__name__)

__all__ = ["read_alkis_dxf", "list_dxf_layers", "write_alkis_dxf", "load_preset", "check_crs"]

ROLES = ("parcels", "buildings", "roads", "landuse")
_MAPPING_KEYS = {"parcels", "parcel_numbers", *ROLES}
_RULE_ATTRS = {
    "buildings": {"funktion": 9998, "kategorie": None, "geschosse": None},
    "roads": {"art": None, "name": ""},
    "landuse": {"nutzung": None},
}
_KATEGORIEN = {"haupt", "neben", "gewerbe", "sonstige"}
_ARTEN = {"strassenverkehr", "weg", "platz"}
_NUTZUNGEN = {"wohnbau", "gemischt", "oeffentlich", "gewerbe", "gruen", "wald", "landwirtschaft", "gewaesser",
              "bahn", "verkehr", "sonstige"}
#: Land (federal state) key used when a 4-digit Gemarkung is given: 07 = Rheinland-Pfalz [U].
DEFAULT_LAND = "07"

_FIX_CRS = "crs: EPSG:25832 in config unter alkis: setzen"


# --------------------------------------------------------------------------------------------
# layer mapping
# --------------------------------------------------------------------------------------------

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _key(name: str) -> str:
    """Matching key of a layer name or pattern: NFC, case-folded, umlauts transliterated."""
    return unicodedata.normalize("NFC", name).casefold().translate(_TRANSLIT).strip()


@lru_cache(maxsize=16)
def _preset_text(name: str) -> str:
    res = resources.files("nachverdichtung.io.presets").joinpath(f"{name}.yml")
    if not res.is_file():
        known = sorted(p.name[:-4] for p in resources.files("nachverdichtung.io.presets").iterdir()
                       if p.name.startswith("dxf_") and p.name.endswith(".yml"))
        raise ConfigError(f"unbekanntes DXF-Preset '{name}'", key="alkis.preset",
                          fix=f"eines von {', '.join(known)} angeben")
    return res.read_text(encoding="utf-8")


def load_preset(name: str) -> dict:
    """The layer mapping of preset *name* (file ``io/presets/<name>.yml``).

    >>> load_preset("dxf_sample")["buildings"][0]["funktion"]
    1000
    """
    return yaml.safe_load(_preset_text(name)) or {}


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
    out: dict = {}
    for role in ("parcels", "parcel_numbers"):
        if role in mapping and mapping[role] is not None:
            spec = mapping[role]
            if not isinstance(spec, Mapping):
                spec = {"layers": spec}
            out[role] = {
                "layers": [_key(p) for p in _as_list(spec.get("layers"))],
                "boundary_layers": [_key(p) for p in _as_list(spec.get("boundary_layers"))],
            }
    for role, defaults in _RULE_ATTRS.items():
        if role not in mapping or mapping[role] is None:
            continue
        rules = mapping[role]
        if isinstance(rules, Mapping):
            rules = [rules]
        elif isinstance(rules, str) or all(isinstance(r, str) for r in rules):
            rules = [{"layers": rules}]  # shorthand: layer name(s), default attributes
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


def resolve_mapping(preset: str | None, layers: Mapping | None) -> dict:
    """Preset mapping with the roles given in *layers* replacing the preset's roles."""
    merged: dict = dict(load_preset(preset)) if preset else {}
    if layers:
        merged.update(layers)
    if not any(r in merged for r in ROLES):
        raise ConfigError("die DXF-Layerzuordnung nennt keine Rolle", key="alkis.layers",
                          fix="preset: dxf_sample oder layers: {parcels: {layers: [...]}} angeben")
    return _normalise_mapping(merged)


def _matches(key: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


class _LayerClassifier:
    """Assign each DXF layer name to a geometry role (role, rule index) by the first matching
    pattern, and say whether its texts are parcel numbers. One layer may be both: parcel
    polygons and their numbers are often drawn on the same layer."""

    def __init__(self, mapping: dict) -> None:
        self.mapping = mapping
        self._cache: dict[str, tuple[str, int] | None] = {}
        self._numbers: dict[str, bool] = {}

    def __call__(self, layer: str) -> tuple[str, int] | None:
        if layer not in self._cache:
            self._cache[layer] = self._classify(_key(layer))
        return self._cache[layer]

    def is_numbers(self, layer: str) -> bool:
        if layer not in self._numbers:
            pats = self.mapping.get("parcel_numbers", {}).get("layers", [])
            self._numbers[layer] = _matches(_key(layer), pats)
        return self._numbers[layer]

    def _classify(self, key: str) -> tuple[str, int] | None:
        m = self.mapping
        if "parcels" in m:
            if _matches(key, m["parcels"]["boundary_layers"]):
                return ("parcel_lines", 0)
            if _matches(key, m["parcels"]["layers"]):
                return ("parcels", 0)
        for role in ("buildings", "roads", "landuse"):
            for i, rule in enumerate(m.get(role, [])):
                if _matches(key, rule["layers"]):
                    return (role, i)
        return None

    def kind(self, layer: str) -> str | None:
        hit = self(layer)
        geom = None if hit is None else ("line" if hit[0] == "parcel_lines" else "poly")
        if self.is_numbers(layer):
            return "text" if geom is None else f"text+{geom}"
        return geom


# --------------------------------------------------------------------------------------------
# CRS plausibility
# --------------------------------------------------------------------------------------------

def check_crs(bounds: tuple[float, float, float, float], crs: str, file: str | PathLike) -> None:
    """Raise :class:`CRSError` if coordinates with *bounds* cannot be in *crs*.

    Recognises Gauß-Krüger coordinates, zone-prefixed UTM eastings ("32" + easting) and shortened
    (offset) coordinates, and says which CRS or fix fits.

    >>> check_crs((400000, 5500000, 401000, 5501000), "EPSG:25832", "a.dxf")
    """
    from pyproj import CRS

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


# --------------------------------------------------------------------------------------------
# parcel numbers
# --------------------------------------------------------------------------------------------

_RE_FULL = re.compile(r"^(\d{2})(\d{4})(\d{3})(\d{5})([\d_]{4})([\d_]{2})$")
_RE_LONG = re.compile(
    r"^(?:gem(?:arkung|\.)?\s*(\d{6}|\d{4})\D*?)?(?:flur\s*(\d{1,3})\D*?)?"
    r"(?:flst\.?|flurst(?:ü|ue)ck)?\s*(\d{1,5})(?:\s*/\s*(\d{1,4}))?$", re.IGNORECASE)
_RE_LAYER = re.compile(r"gemarkung\D*(\d{6}|\d{4})\D+flur\D*(\d{1,3})", re.IGNORECASE)


def _split_gemarkung(value: str | int | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    s = str(value).strip()
    if not s.isdigit() or len(s) not in (1, 2, 3, 4, 6):
        raise ConfigError(f"Gemarkung {value!r} ist keine 4- oder 6-stellige Nummer",
                          key="alkis.gemarkung", fix="z. B. gemarkung: '2566' oder '072566'")
    if len(s) == 6:
        return s[:2], s[2:]
    return DEFAULT_LAND, s.zfill(4)


def parse_parcel_text(text: str) -> dict | None:
    """Parse a parcel-number text.

    >>> parse_parcel_text("123/4")
    {'land': None, 'gemarkung': None, 'flur': None, 'zaehler': 123, 'nenner': 4, 'folge': None}
    >>> parse_parcel_text("07256600100005______")["zaehler"]
    5
    """
    s = " ".join(text.split())
    m = _RE_FULL.match(s)
    if m:
        nen = m.group(5).strip("_")
        return {"land": m.group(1), "gemarkung": m.group(2), "flur": int(m.group(3)),
                "zaehler": int(m.group(4)), "nenner": int(nen) if nen else None,
                "folge": m.group(6)}
    m = _RE_LONG.match(s)
    if not m:
        return None
    land, gem = _split_gemarkung(m.group(1)) if m.group(1) else (None, None)
    return {"land": land, "gemarkung": gem,
            "flur": int(m.group(2)) if m.group(2) else None, "zaehler": int(m.group(3)),
            "nenner": int(m.group(4)) if m.group(4) else None, "folge": None}


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


def _clean_polygons(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geom = shapely.force_2d(frame.geometry.values)
    bad = ~shapely.is_valid(geom)
    if bad.any():
        geom[bad] = shapely.make_valid(geom[bad])
    frame = frame.set_geometry(geom)
    frame = frame.explode(index_parts=False)
    frame = frame[frame.geom_type.eq("Polygon") & (frame.area > 0)]
    return frame.reset_index(drop=True)


def _polygonise(lines: list) -> list:
    if not lines:
        return []
    arr = shapely.set_precision(np.asarray(lines, dtype=object), 0.001)
    noded = shapely.node(shapely.multilinestrings(shapely.get_parts(arr)))
    return [p for p in shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
            if p.area > 0]


def _role_polys(prim: Primitives, classify: _LayerClassifier, role: str):
    layers = np.asarray(prim.poly_layers, dtype=object)
    hits = [classify(lay) for lay in prim.poly_layers]
    sel = np.fromiter((h is not None and h[0] == role for h in hits), bool, len(hits))
    rule = np.fromiter((h[1] if h is not None else -1 for h in hits), int, len(hits))
    geoms = np.asarray(prim.polygons, dtype=object)
    hatch = np.asarray(prim.poly_from_hatch, dtype=bool)
    return geoms[sel], hatch[sel], rule[sel], layers[sel]


def _build_parcels(prim, classify, crs, gemarkung, flur, problems, fname):
    geoms, hatch, _, _ = _role_polys(prim, classify, "parcels")
    line_idx = [i for i, lay in enumerate(prim.line_layers)
                if (h := classify(lay)) is not None and h[0] == "parcel_lines"]
    if line_idx:
        faces = _polygonise([prim.lines[i] for i in line_idx])
        geoms = np.concatenate([geoms, np.asarray(faces, dtype=object)])
        hatch = np.concatenate([hatch, np.zeros(len(faces), bool)])
    keep = _dedupe(geoms, hatch)
    frame = _clean_polygons(gpd.GeoDataFrame(geometry=list(geoms[keep]), crs=crs))
    n = len(frame)
    arg_land, arg_gem = _split_gemarkung(gemarkung)

    # texts → parcels
    tidx = [i for i, lay in enumerate(prim.text_layers) if classify.is_numbers(lay)]
    parsed, pts, tlay, raw = [], [], [], []
    for i in tidx:
        p = parse_parcel_text(prim.texts[i])
        if p is None:
            if prim.texts[i]:
                problems.append(f"{fname}: Text '{prim.texts[i]}' auf Layer "
                                f"'{prim.text_layers[i]}' ist keine Flurstücksnummer")
            continue
        parsed.append(p)
        pts.append(prim.text_xy[i])
        tlay.append(prim.text_layers[i])
        raw.append(prim.texts[i])
    owner = np.full(len(parsed), -1)
    if parsed and n:
        points = shapely.points(np.asarray(pts, dtype=float))
        tree = shapely.STRtree(frame.geometry.values)
        ti, pi = tree.query(points, predicate="within")
        if len(ti):
            # a text inside nested parcels belongs to the smallest one
            order = np.lexsort((frame.area.to_numpy()[pi], ti))
            ti, pi = ti[order], pi[order]
            first = np.r_[True, ti[1:] != ti[:-1]]
            owner[ti[first]] = pi[first]
    for t in np.flatnonzero(owner < 0):
        x, y = pts[t]
        problems.append(f"{fname}: Flurstücksnummer '{raw[t]}' bei ({x:.2f}, {y:.2f}) liegt in "
                        "keinem Flurstück")

    land = np.full(n, arg_land or "00", dtype=object)
    gem = np.full(n, arg_gem or "0000", dtype=object)
    flr = np.full(n, -1 if flur is None else int(flur), dtype=np.int64)
    zae = np.zeros(n, dtype=np.int64)
    nen = pd.array([pd.NA] * n, dtype="Int64")
    folge = np.full(n, "__", dtype=object)
    numbered = np.zeros(n, dtype=bool)
    for t in np.flatnonzero(owner >= 0):
        k = owner[t]
        p = parsed[t]
        if numbered[k]:
            problems.append(f"{fname}: Flurstück mit Nummer '{_label(zae[k], nen[k])}' enthält "
                            f"eine zweite Nummer '{raw[t]}' (ignoriert)")
            continue
        numbered[k] = True
        zae[k] = p["zaehler"]
        nen[k] = p["nenner"] if p["nenner"] is not None else pd.NA
        if p["folge"]:
            folge[k] = p["folge"]
        lm = _RE_LAYER.search(tlay[t])
        if p["gemarkung"]:
            land[k], gem[k] = p["land"], p["gemarkung"]
        elif lm:
            land[k], gem[k] = _split_gemarkung(lm.group(1))
        if p["flur"] is not None:
            flr[k] = p["flur"]
        elif lm:
            flr[k] = int(lm.group(2))
    if n and (gem == "0000").any():
        problems.append(f"{fname}: Gemarkung für {(gem == '0000').sum()} Flurstücke unbekannt; "
                        "Lösung: gemarkung: unter alkis: in der config setzen")
    if n and (flr < 0).any():
        problems.append(f"{fname}: Flur für {(flr < 0).sum()} Flurstücke unbekannt; "
                        "Lösung: flur: unter alkis: in der config setzen")
    flr[flr < 0] = 0
    prefix = [f"{a}{g}{f:03d}" for a, g, f in zip(land, gem, flr)]
    kennz = np.array([
        f"{pre}{z:05d}{'____' if pd.isna(nn) else f'{int(nn):04d}'}{fo}"
        for pre, z, nn, fo in zip(prefix, zae, nen, folge)], dtype=object)
    dup = pd.Series(kennz).duplicated().to_numpy() & numbered
    for k in np.flatnonzero(dup):
        problems.append(f"{fname}: Flurstückskennzeichen {kennz[k]} kommt mehrfach vor; "
                        "weitere Fläche als Flurstück ohne Nummer übernommen")
    unnumbered = ~numbered | dup
    if unnumbered.any():
        problems.append(f"{fname}: {int(unnumbered.sum())} Flurstücke ohne Flurstücksnummer "
                        "(Zähler 00000, laufende Nummer im Kennzeichen)")
        for j, k in enumerate(np.flatnonzero(unnumbered)):
            zae[k] = 0
            nen[k] = pd.NA
            kennz[k] = f"{prefix[k]}00000{j + 1:06d}"
    frame["flstkennz"] = kennz.astype(str)
    frame["gemarkung"] = gem.astype(str)
    frame["flur"] = flr
    frame["zaehler"] = zae
    frame["nenner"] = nen
    frame["flaeche_amtlich"] = np.nan
    return frame[["flstkennz", "gemarkung", "flur", "zaehler", "nenner", "flaeche_amtlich",
                  "geometry"]]


def _label(z, n) -> str:
    return f"{z}" if pd.isna(n) else f"{z}/{n}"


def _building_categories(funktion: np.ndarray) -> np.ndarray:
    """``kategorie`` from ``funktion`` via :func:`nachverdichtung.layers.building_category`."""
    from nachverdichtung.layers import building_category

    return building_category(pd.Series(funktion, dtype="int64")).to_numpy(dtype=object)


def _build_rule_role(prim, classify, role, rules, crs):
    geoms, hatch, rule, _ = _role_polys(prim, classify, role)
    keep = _dedupe(geoms, hatch)
    frame = gpd.GeoDataFrame({"_rule": rule[keep]}, geometry=list(geoms[keep]), crs=crs)
    frame = _clean_polygons(frame)
    r = frame["_rule"].to_numpy()
    if role == "buildings":
        fun = np.array([int(rules[i]["funktion"]) for i in r], dtype=np.int64)
        kat = np.array([rules[i]["kategorie"] for i in r], dtype=object)
        missing = np.array([k is None for k in kat], dtype=bool)
        if missing.any():
            kat[missing] = _building_categories(fun[missing])
        ges = pd.array([rules[i]["geschosse"] for i in r] if len(r) else [], dtype="Int64")
        out = {"funktion": fun, "geschosse": ges, "kategorie": np.asarray(kat, dtype=object)}
    elif role == "roads":
        out = {"art": [rules[i]["art"] for i in r], "name": [rules[i]["name"] or "" for i in r]}
    else:
        out = {"nutzung": [rules[i]["nutzung"] for i in r]}
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
    from nachverdichtung.io.dxf_ezdxf import open_document

    try:
        return open_document(path, encoding=encoding)
    except OSError as exc:
        raise InputError(f"DXF-Datei nicht lesbar ({exc.__class__.__name__}: {exc})", file=path,
                         fix="Datei und Leserechte prüfen") from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure is a broken input file
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
) -> dict[str, gpd.GeoDataFrame]:
    """Read an ALKIS DXF export into canonical role frames.

    Parameters
    ----------
    path
        The DXF file (ASCII or binary, R12 … R2018).
    preset
        Name of a layer-mapping preset in ``io/presets`` (``dxf_sample``), or None.
    layers
        Layer mapping in the preset's structure; its roles replace the preset's roles.
    crs
        CRS of the coordinates (required: a DXF has none). Set on the frames, not reprojected.
    encoding
        Code page for files older than R2007 whose ``$DWGCODEPAGE`` is wrong; R2007 and newer
        are always UTF-8.
    gemarkung, flur
        Gemarkung (4 digits, or 6 with the Land key) and Flur for parcel numbers that carry
        neither in their text nor in their layer name.
    reader
        ``"ezdxf"`` (full semantics), ``"gdal"`` (GDAL's DXF driver) or ``"auto"`` (= ezdxf).

    Returns
    -------
    dict
        ``parcels``, ``buildings``, ``roads``, ``landuse`` (the roles the mapping names), each a
        GeoDataFrame with the columns of ``docs/data_model.md`` and ``attrs["problems"]``.

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
    mapping = resolve_mapping(preset, layers)
    _check_file(path)
    classify = _LayerClassifier(mapping)
    if reader == "gdal":
        from nachverdichtung.io.dxf_gdal import extract_gdal

        prim = extract_gdal(path, kind=classify.kind, encoding=encoding,
                            version=_dxf_version(path))
    else:
        from nachverdichtung.io.dxf_ezdxf import extract

        doc, file_problems = _open(path, encoding)
        try:
            prim = extract(doc, wanted=classify.kind)
        except Exception as exc:  # noqa: BLE001 - broken structures surface while iterating
            raise InputError(f"DXF-Inhalt nicht lesbar ({exc.__class__.__name__}: {exc})",
                             file=path, fix="die Datei im CAD-Programm öffnen und als DXF "
                                            "R2018 neu speichern") from exc
        prim.problems[:0] = file_problems
    problems = [p if p.startswith(path.name) else f"{path.name}: {p}" for p in prim.problems]

    all_geoms = [*prim.polygons, *prim.lines]
    if not all_geoms:
        if not prim.layers_seen:
            raise InputError("die DXF-Datei enthält keine Zeichnungsobjekte im Modellbereich",
                             file=path, fix="prüfen, ob die richtige Datei exportiert wurde "
                                            "(Objekte im Modellbereich, nicht nur im Layout)")
        names = ", ".join(prim.layers_seen[:15]) + (" …" if len(prim.layers_seen) > 15 else "")
        raise InputError(
            "keine nutzbare Geometrie (Flächen, Linien) auf den zugeordneten Layern (Layer in "
            f"der Datei: {names})", file=path,
            fix="Layerzuordnung unter alkis: layers anpassen (Layer anzeigen mit "
                "'nachverdichtung layers DATEI.dxf')")
    bounds = shapely.total_bounds(np.asarray(all_geoms, dtype=object))
    check_crs(tuple(bounds), crs, path)

    out: dict[str, gpd.GeoDataFrame] = {}
    if "parcels" in mapping:
        out["parcels"] = _build_parcels(prim, classify, crs, gemarkung, flur, problems,
                                        path.name)
    for role in ("buildings", "roads", "landuse"):
        if role in mapping:
            out[role] = _build_rule_role(prim, classify, role, mapping[role], crs)
    for role, frame in out.items():
        frame.attrs["problems"] = list(problems) if role == "parcels" else []
        if frame.empty:
            frame.attrs["problems"].append(f"{path.name}: keine Objekte für '{role}' gefunden")
    if "parcels" not in out:
        next(iter(out.values())).attrs["problems"][:0] = problems
    for p in problems[:20]:
        logger.warning(p)
    if len(problems) > 20:
        logger.warning("%s: … und %d weitere Hinweise", path.name, len(problems) - 20)
    return out


def list_dxf_layers(path: str | PathLike) -> pd.DataFrame:
    """Layers of a DXF with entity type and count, block references exploded.

    Returns a DataFrame with columns ``layer``, ``entity_type``, ``count``, sorted by layer and
    entity type.

    >>> list_dxf_layers("alkis.dxf").head()  # doctest: +SKIP
    """
    from nachverdichtung.io.dxf_ezdxf import count_entities

    path = Path(path)
    _check_file(path)
    doc, _ = _open(path, None)
    try:
        counts = count_entities(doc)
    except Exception as exc:  # noqa: BLE001 - broken structures surface while iterating
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
    from nachverdichtung.io.dxf_write import write

    write(Path(path), parcels=parcels, buildings=buildings, roads=roads, landuse=landuse,
          version=version)
