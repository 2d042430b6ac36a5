"""The :class:`Layers` container: loaded, validated, harmonised input.

Validation happens here, once, when data enters: geometries are repaired or dropped (and every
repair is recorded), duplicate parcel ids are made unique, required fields are checked, and all
layers are brought into the target CRS. Later stages trust what they get.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pyproj import CRS

from .config import source_list
from .errors import InputError
from .io.alkis import RoleExtent, read_alkis, read_unplaced_parcels, role_extents
from .io.clean import clean_features
from .io.clean import clean_polygons as _clean
from .io.codes import building_category, parse_flstkennz  # noqa: F401 - re-exported (public API)
from .io.contract import TARGET_CRS, Read
from .io.legal import read_legal
from .io.raster import RasterSource, read_raster
from .io.roles import ROLE_LABEL
from .io.thematic import CLASS_INPUTS, VECTOR_INPUTS, read_thematic
from .io.window import current_window, reading_window
from .landuse import unknown_codes

log = logging.getLogger(__name__)

__all__ = ["Layers", "load_layers", "load_buildings", "load_roads", "check_region", "load_unplaced_parcels", "load_input", "unusable_reason", "building_category", "clean_polygons", "parse_flstkennz",
           "VECTOR_INPUTS", "RASTER_INPUTS"]

RASTER_INPUTS = {
    "dem": "Geländemodell",
    "rain_depth": "Starkregen-Wassertiefe",
    "rain_velocity": "Starkregen-Fließgeschwindigkeit",
    "noise_lden": "Lärmkarte L_DEN",
    "noise_night": "Lärmkarte L_Night",
}


@dataclass(frozen=True)
class Layers:
    """Validated input layers, all in one metric CRS.

    Attributes
    ----------
    parcels, buildings, roads, landuse
        The required cadastre roles with the canonical columns of ``docs/data_model.md``.
    vectors
        Optional thematic vector layers by name (see ``VECTOR_INPUTS``).
    rasters
        Optional rasters by name (see ``RASTER_INPUTS``), opened lazily.
    problems
        Every repair and every dropped feature, one German sentence each, for the run log.
        Many cases of one kind (e.g. DXF texts) are one line with their count.
    problem_details
        The single cases behind such counted lines (for the run log only).
    sources
        Input name → file path, for the manifest.
    unusable
        Input name → why a configured input contributes nothing usable (e.g. a depth raster whose
        values are implausible for metres); its criteria are "nicht bewertet" with this reason.
    """

    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    crs: str = TARGET_CRS
    vectors: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    rasters: dict[str, RasterSource] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    problem_details: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    excluded_parcels: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["flstkennz", "grund"]))
    unusable: dict[str, str] = field(default_factory=dict)

    def vector(self, name: str) -> gpd.GeoDataFrame | None:
        """An optional vector layer, or ``None`` if it was not configured."""
        return self.vectors.get(name)

    def raster(self, name: str) -> RasterSource | None:
        """An optional raster, or ``None`` if it was not configured."""
        return self.rasters.get(name)

    def replace(self, **changes) -> "Layers":
        """A copy with some attributes replaced (for subsets and tests)."""
        return dataclasses.replace(self, **changes)


def clean_polygons(gdf: gpd.GeoDataFrame, *, what: str, problems: list[str]) -> gpd.GeoDataFrame:
    """Make polygon geometries valid, 2D and polygonal; drop what cannot be used, and record it.

    The one polygon cleaner is :func:`nachverdichtung.io.clean.clean_polygons`; this appends its
    problems (each kind of change once, with its count) to ``problems`` and returns the frame.
    """
    cleaned = _clean(gdf, what=what)
    problems.extend(cleaned.problems)
    return cleaned.frame


def _validate_parcels(gdf: gpd.GeoDataFrame, problems: list[str]) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    label = ROLE_LABEL["parcels"]
    raw = gdf
    kennz = gdf["flstkennz"].astype("string").str.strip()
    gdf = gdf.assign(flstkennz=kennz)
    no_id = (kennz.isna() | (kennz == "")).to_numpy()
    if no_id.any():
        gdf.loc[no_id, "flstkennz"] = _substitute_ids(gdf.geometry.array[no_id])
        problems.append(f"{label}: {int(no_id.sum())} Flurstücke ohne Kennzeichen erhielten Ersatz-Kennzeichen "
                        f"(OHNE_KENNZ_Rechtswert_Hochwert der Mitte)")
    cleaned = _clean(gdf, what=label)
    problems.extend(cleaned.problems)
    excluded = pd.DataFrame({"flstkennz": gdf.loc[raw.loc[cleaned.dropped].index, "flstkennz"].astype(str),
                             "grund": "Geometrie leer oder unbrauchbar"})
    gdf = cleaned.frame
    # duplicates: identical geometry -> drop (accounted), different geometry -> make unique
    dup = gdf["flstkennz"].duplicated(keep=False)
    if dup.any():
        wkb = shapely.to_wkb(shapely.normalize(np.asarray(gdf.geometry.array)))
        key = pd.Series(wkb, index=gdf.index)
        same = gdf.assign(_k=key).duplicated(subset=["flstkennz", "_k"], keep="first")
        if same.any():
            excluded = pd.concat([excluded, pd.DataFrame({"flstkennz": gdf.loc[same, "flstkennz"].astype(str),
                                                          "grund": "doppelt geliefert (gleiche Geometrie)"})])
            problems.append(f"{label}: {int(same.sum())} doppelt gelieferte Flurstücke (gleiche Geometrie) entfernt")
            gdf = gdf[~same]
        n = gdf.groupby("flstkennz").cumcount()
        clash = n > 0
        if clash.any():
            gdf.loc[clash, "flstkennz"] = gdf.loc[clash, "flstkennz"] + "#" + (n[clash] + 1).astype(str)
            problems.append(f"{label}: {int(clash.sum())} doppelte Kennzeichen mit verschiedener Geometrie "
                            f"durch Suffix '#2', '#3' … eindeutig gemacht")
    parsed = parse_flstkennz(gdf["flstkennz"])
    for col in ("gemarkung", "flur", "zaehler", "nenner"):
        if col not in gdf:
            gdf[col] = parsed[col]
    gdf["gemarkung"] = gdf["gemarkung"].astype(str).str.strip().str.zfill(4)
    for col in ("flur", "zaehler", "nenner"):
        gdf[col] = pd.to_numeric(gdf[col], errors="coerce").astype("Int64")
    gdf["nenner"] = gdf["nenner"].where(gdf["nenner"] > 0)
    gdf["flaeche_amtlich"] = pd.to_numeric(gdf["flaeche_amtlich"] if "flaeche_amtlich" in gdf
                                           else pd.Series(np.nan, index=gdf.index), errors="coerce").astype(float)
    gdf["flstkennz"] = gdf["flstkennz"].astype(str)
    return gdf.reset_index(drop=True), excluded.reset_index(drop=True)


def _substitute_ids(geoms) -> list[str]:
    """Ids for parcels delivered without one: ``OHNE_KENNZ_<E>_<N>`` of the centre of the bounding box
    (whole metres), so a planner finds the parcel, and every read of it (a window of the dask engine,
    too) names it alike; without geometry ``OHNE_KENNZ_OHNE_GEOMETRIE_<n>`` in delivery order."""
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    x, y = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    placed = np.isfinite(x) & np.isfinite(y)
    n = np.cumsum(~placed) - 1
    return [f"OHNE_KENNZ_{xi:.0f}_{yi:.0f}" if ok else f"OHNE_KENNZ_OHNE_GEOMETRIE_{k:06d}"
            for xi, yi, ok, k in zip(x, y, placed, n)]


def _validate_buildings(gdf: gpd.GeoDataFrame, problems: list[str]) -> gpd.GeoDataFrame:
    label = ROLE_LABEL["buildings"]
    gdf = clean_polygons(gdf, what=label, problems=problems)
    raw = gdf["funktion"]
    code = pd.to_numeric(raw, errors="coerce")
    bad = code.isna()
    if bad.any():
        # e.g. "31001_1010" (AdV key) -> take the last group of four digits
        digits = raw[bad].astype(str).str.extract(r"(\d{4})\D*$")[0]
        code[bad] = pd.to_numeric(digits, errors="coerce")
        still = code.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if still.any():
            problems.append(f"{label}: {int(still.sum())} nicht numerische Gebäudefunktionen als 9998 (unbekannt) gewertet")
    gdf["funktion"] = code.fillna(9998).astype(int)
    gdf["geschosse"] = pd.to_numeric(gdf["geschosse"] if "geschosse" in gdf else pd.Series(np.nan, index=gdf.index),
                                     errors="coerce").astype("Int64")
    gdf["kategorie"] = building_category(gdf["funktion"])
    return gdf.reset_index(drop=True)


def _validate_simple(gdf: gpd.GeoDataFrame, role: str, column: str, problems: list[str]) -> gpd.GeoDataFrame:
    gdf = clean_polygons(gdf, what=ROLE_LABEL[role], problems=problems)
    gdf[column] = gdf[column].astype(str)
    if role == "roads":
        gdf["name"] = gdf["name"].fillna("").astype(str) if "name" in gdf else ""
    return gdf.reset_index(drop=True)


_VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".gml", ".fgb", ".sqlite", ".kml")


def _is_vector(sources) -> bool:
    """Whether the sources of a raster role are class polygons (vector files or a folder of them)."""
    for src in sources:
        p = Path(src.path)
        files = [q for q in p.rglob("*") if q.is_file()] if p.is_dir() else [p]
        if any(q.suffix.lower() in _VECTOR_SUFFIXES for q in files):
            return True
    return False


def _clean_thematic(name: str, gdf: gpd.GeoDataFrame, problems: list[str]) -> gpd.GeoDataFrame:
    label, kind = (VECTOR_INPUTS[name][:2] if name in VECTOR_INPUTS else (CLASS_INPUTS[name][0], "polygon"))
    cleaned = _clean(gdf, what=label) if kind == "polygon" else clean_features(gdf, what=label)
    problems.extend(cleaned.problems)
    return cleaned.frame.reset_index(drop=True)


def _no_usable_geometry(role: str, read: Read, default_file) -> InputError:
    """The error for a role whose every geometry was dropped; names lines/points delivered for areas."""
    kinds = set(read.frame.geometry.geom_type.dropna().str.replace("Multi", "", regex=False))
    return _unusable_role(role, kinds, read.source.get("file") or default_file)


def _unusable_role(role: str, kinds: set[str], file) -> InputError:
    """The error for a role without usable geometry, whose geometries are of ``kinds``."""
    if kinds and kinds <= {"LineString", "LinearRing", "Point"}:
        found = "Linien" if "Point" not in kinds else ("Punkte" if kinds == {"Point"} else "Linien und Punkte")
        return InputError(f"{ROLE_LABEL[role]}: enthält nur {found}, erwartet werden Flächen (Polygone)", file=file,
                          fix="die Flächenobjekte liefern (z. B. ax_strassenverkehr statt Straßenachsen) oder "
                              "den Layer unter 'alkis.layers' zuordnen")
    return InputError(f"{ROLE_LABEL[role]}: keine brauchbaren Geometrien", file=file,
                      fix="Geometrien im GIS prüfen und reparieren")


def unusable_reason(loaded) -> str:
    """Why a loaded input contributes nothing usable ('' when it does).

    A raster whose values are implausible for its role, or a vector input none of whose features
    was understood (no category, legend word, class or trunk measure could be read).
    """
    if isinstance(loaded, RasterSource):
        return loaded.unusable
    if len(loaded) and "verstanden" in loaded and not loaded["verstanden"].any():
        return "; ".join(dict.fromkeys(loaded["hinweis"].astype(str)))
    return ""


def load_input(name: str, value, *, target_crs: str) -> Read:
    """Load one configured thematic input: a :class:`Read` of a :class:`RasterSource` or a GeoDataFrame.

    ``value`` is the config entry (one source or a tuple of sources). Several sources of a raster
    role are tiles of one mosaic; a raster role given as vector files is read as class polygons.
    Vector frames come back cleaned (polygons repaired, empty geometries dropped), with the
    cleaning in the problems.
    """
    sources = source_list(value)
    if name in RASTER_INPUTS and not (name in CLASS_INPUTS and _is_vector(sources)):
        first = sources[0]
        paths = [s.path for s in sources] if len(sources) > 1 else first.path
        return read_raster(paths, crs=first.crs, name=RASTER_INPUTS[name], key=f"inputs.{name}", role=name,
                           unit=first.unit)
    read = read_thematic(name, sources, target_crs=target_crs)
    problems = list(read.problems)
    frame = _clean_thematic(name, read.frame, problems)
    return Read(frame, tuple(problems), read.source)


def load_layers(config, *, progress: Callable[[str], None] | None = None, window=None) -> Layers:
    """Load, validate and harmonise every input named in the configuration.

    Every reader returns a :class:`~nachverdichtung.io.contract.Read`; their problems are collected
    here, in reading order, and reported once: logged as warnings and kept in ``Layers.problems``
    (which ``validate`` and the run log show).

    Parameters
    ----------
    config
        A :class:`~nachverdichtung.config.Config`.
    progress
        Called with a short German message before each input is read.
    window
        ``(xmin, ymin, xmax, ymax)`` in the target CRS: read only the vector features whose bounding
        box meets it (a partition of :mod:`nachverdichtung.engine`; see :mod:`nachverdichtung.io.window`).

    Raises
    ------
    InputError
        With one line naming the file, the problem and the fix.
    """
    with reading_window(window, crs=config.crs):
        return _load_layers(config, progress)


def load_buildings(config, *, window=None) -> gpd.GeoDataFrame:
    """The validated buildings only (with ``kategorie``), inside ``window`` if given.

    The first pass of the dask engine (:mod:`nachverdichtung.engine`) needs nothing else to find
    every street's rear building line.
    """
    with reading_window(window, crs=config.crs):
        read = read_alkis(config.alkis, target_crs=config.crs, roles=("buildings",))["buildings"]
    return _validate_buildings(read.frame, [])


def load_roads(config) -> gpd.GeoDataFrame:
    """The validated roads only (``art``, ``name``), exactly as :func:`load_layers` validates and
    checks them.

    The driver of the dask engine forms the region's streets and street blocks from them.
    """
    read = read_alkis(config.alkis, target_crs=config.crs, roles=("roads",))["roads"]
    if len(read.frame) == 0:
        raise _empty_role("roads", read.source.get("file") or config.alkis.path)
    roads = _validate_simple(read.frame, "roads", "art", [])
    if len(roads) == 0:
        raise _no_usable_geometry("roads", read, config.alkis.path)
    return roads


def check_region(config, role: str, *, boxes: bool = True) -> list[RoleExtent]:
    """A role's features over the whole delivery without attributes (:func:`role_extents`),
    refused as :func:`load_layers` refuses it: empty, or without usable geometry.

    The dask engine's driver checks the region with it before any partition reads a window (a
    window may well be empty). ``boxes=False`` only counts.
    """
    extents = role_extents(config.alkis, role, target_crs=config.crs, boxes=boxes)
    first = extents[0].file if extents else config.alkis.path
    if sum(e.count for e in extents) == 0:
        raise _empty_role(role, first)
    kinds = {k.replace("3D ", "").replace("Multi", "").split(" ")[0] for e in extents if (k := e.geometry_type)}
    if not sum(e.placed for e in extents) or (kinds and kinds <= {"LineString", "LinearRing", "Point"}):
        raise _unusable_role(role, kinds, first)
    return extents


def load_unplaced_parcels(config, fids: dict) -> tuple[pd.DataFrame, list[str]]:
    """The excluded-parcel rows and problems of the parcels without geometry (file deliveries: by
    id, ``{file_key: fids}``; PostGIS: every such row), as :func:`load_layers` validates them.

    The dask engine's driver lists them: no window finds them.
    """
    read = read_unplaced_parcels(config.alkis, target_crs=config.crs, fids=fids)
    problems = list(read.problems)
    _, excluded = _validate_parcels(read.frame, problems)
    return excluded, problems


def _empty_role(role: str, file) -> InputError:
    return InputError(f"{ROLE_LABEL[role]}: Layer ist leer", file=file,
                      fix="eine Lieferung mit Objekten verwenden oder die Layerzuordnung prüfen")


def _load_layers(config, progress) -> Layers:
    say = progress or (lambda msg: None)
    problems: list[str] = []
    say("ALKIS-Daten lesen")
    roles = read_alkis(config.alkis, target_crs=config.crs)
    details = [d for read in roles.values() for d in read.details]
    whole = current_window() is None  # a window of the dask engine may be empty (the driver checked the region)
    for role, read in roles.items():
        if len(read.frame) == 0 and whole:
            raise _empty_role(role, read.source.get("file"))
        problems.extend(read.problems)
    parcels, excluded = _validate_parcels(roles["parcels"].frame, problems)
    buildings = _validate_buildings(roles["buildings"].frame, problems)
    roads = _validate_simple(roles["roads"].frame, "roads", "art", problems)
    landuse = _validate_simple(roles["landuse"].frame, "landuse", "nutzung", problems)
    problems.extend(unknown_codes(landuse, what=ROLE_LABEL["landuse"]))
    for role, gdf in (("parcels", parcels), ("landuse", landuse), ("roads", roads)):
        if len(gdf) == 0 and whole:
            raise _no_usable_geometry(role, roles[role], config.alkis.path)
    sources = {"alkis": str(config.alkis.path)}
    vectors, rasters, unusable = _legal_layers(config, problems), {}, {}
    for f in dataclasses.fields(config.inputs):
        value = getattr(config.inputs, f.name)
        if value is None:
            continue
        listed = source_list(value)
        sources.update({f.name if len(listed) == 1 else f"{f.name}[{k}]": str(s.path) for k, s in enumerate(listed)})
        say(f"{RASTER_INPUTS.get(f.name) or VECTOR_INPUTS[f.name][0]} lesen")
        read = load_input(f.name, value, target_crs=config.crs)
        problems.extend(read.problems)
        if unusable_reason(read.frame):
            unusable[f.name] = unusable_reason(read.frame)
        elif isinstance(read.frame, RasterSource):
            rasters[f.name] = read.frame
        else:
            vectors[f.name] = read.frame
    _check_raster_coverage(rasters, parcels, config.crs, problems)
    for msg in problems:
        log.warning(msg)
    return Layers(parcels=parcels, buildings=buildings, roads=roads, landuse=landuse, crs=config.crs,
                  vectors=vectors, rasters=rasters, problems=tuple(problems), sources=sources,
                  excluded_parcels=excluded, problem_details=tuple(details), unusable=unusable)


def _legal_layers(config, problems: list[str]) -> dict[str, gpd.GeoDataFrame]:
    """The restriction object types of the delivery (``legal_*`` layers), polygons cleaned."""
    legal = read_legal(config.alkis.path, encoding=config.alkis.encoding, crs=config.alkis.crs,
                       target_crs=config.crs, layers=config.alkis.layers)
    problems.extend(legal.problems)
    out = {}
    for key, gdf in legal.frame.items():
        label = f"{gdf['objektart'].iloc[0]}" if len(gdf) else key
        out[key] = clean_polygons(gdf, what=label, problems=problems).reset_index(drop=True)
    return out


def _check_raster_coverage(rasters: dict, parcels: gpd.GeoDataFrame, crs: str, problems: list[str]) -> None:
    """Record rasters that miss the parcels' extent entirely or cover only part of it."""
    extent = shapely.box(*parcels.total_bounds)
    for name, r in rasters.items():
        box = gpd.GeoSeries([shapely.box(*r.bounds)], crs=CRS.from_wkt(r.crs)).to_crs(crs).iloc[0]
        share = shapely.area(shapely.intersection(extent, box)) / max(shapely.area(extent), 1e-9)
        label = RASTER_INPUTS[name]
        if share <= 0:
            problems.append(f"{r.display}: {label} deckt das Untersuchungsgebiet nicht ab; "
                            f"betroffene Kriterien werden nicht bewertet")
        elif share < 0.99:
            problems.append(f"{r.display}: {label} deckt nur {100 * share:.0f} % des Untersuchungsgebiets ab")
