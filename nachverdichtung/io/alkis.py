"""Read ALKIS cadastre data into the canonical roles parcels, buildings, roads and land use.

A *preset* (``presets/*.yml``) says which layers and fields of a delivery fill which role; the
config can override layer and field names per role. Shapefile folders, GeoPackages and DXF files
are supported (DXF through :mod:`nachverdichtung.io.dxf`); NAS (``.xml``/``.nas``) where the local
GDAL has the NAS driver (see :mod:`nachverdichtung.io.nas`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..errors import ConfigError, InputError
from .contract import Read
from .dxf import read_alkis_dxf
from .names import canonical_name, find_field, match_layer
from .nas import NAS_SUFFIXES, check_nas
from .postgis import DatabaseSource, is_database_url, table_boxes, table_columns, table_summary
from .roles import ROLE_LABEL, ROLES, has_preset, preset_names
from .roles import load_preset as _load_preset
from .vector import list_layers, read_extents, read_vector
from .window import current_window, reading_window

log = logging.getLogger(__name__)

__all__ = ["ROLES", "ROLE_LABEL", "load_preset", "detect_preset", "read_alkis", "canonical_name", "role_files",
           "RoleExtent", "role_extents", "read_unplaced_parcels"]


def load_preset(name: str) -> dict:
    """A cadastre preset by name (``io/presets/<name>.yml``); an unknown name is bad input."""
    if not has_preset(name):
        raise InputError(f"unbekanntes Preset {name!r}", fix=f"eines von {', '.join(preset_names())} wählen")
    return _load_preset(name)


def detect_preset(path: Path) -> str:
    """Guess the preset from the layer names of a delivery."""
    if path.suffix.lower() == ".dxf":
        return "auto"  # the DXF reader chooses by the layer names (io.dxf.detect_dxf_preset)
    names = {canonical_name(n) for n in list_layers(path)}
    if "axflurstueck" in names:
        return "ax"
    if names & {"flurstueck", "flurstuecke"}:
        return "vereinfacht"
    raise InputError(
        f"Schema der ALKIS-Daten nicht erkannt (Layer: {', '.join(sorted(names)) or 'keine'})",
        file=path, fix="'preset: ax' oder 'preset: vereinfacht' und ggf. 'layers:' unter 'alkis' angeben",
    )


def _layer_path(container: Path, layer: str) -> tuple[Path, str | None]:
    if container.is_dir():
        return container / f"{layer}.shp", None
    return container, layer


def read_alkis(alkis, *, target_crs: str, roles: tuple[str, ...] = ROLES) -> dict[str, Read]:
    """Read a cadastre delivery into canonical role frames.

    Parameters
    ----------
    alkis
        The :class:`~nachverdichtung.config.AlkisConfig`.
    target_crs
        CRS of the returned frames.
    roles
        The roles to read from a Shapefile folder or GeoPackage (DXF and databases give all).

    Returns
    -------
    dict
        ``{"parcels", "buildings", "roads", "landuse"}`` → :class:`~nachverdichtung.io.contract.Read`
        of a GeoDataFrame with the canonical columns of ``docs/data_model.md`` (not yet validated),
        its problems and its source.
    """
    if is_database_url(alkis.path):
        return _read_database(alkis, target_crs=target_crs, roles=roles)
    path = Path(alkis.path)
    if not path.exists():
        raise InputError("ALKIS-Daten nicht gefunden", file=path, fix="Pfad unter 'alkis.path' prüfen")
    if path.suffix.lower() in NAS_SUFFIXES:
        check_nas(path)  # refuses DOCTYPE/ENTITY and explains the alternative without a NAS driver
        if alkis.preset == "auto":
            alkis = dataclasses.replace(alkis, preset="ax")
    preset_name = detect_preset(path) if alkis.preset == "auto" else alkis.preset
    if path.suffix.lower() == ".dxf":
        return _read_dxf(path, preset_name, alkis, target_crs)
    preset = load_preset(preset_name)
    available = list_layers(path)
    return {role: _read_role(path, available, role, preset["roles"][role], alkis, target_crs) for role in roles}


def role_files(alkis, role: str) -> list[tuple[Path, str | None]]:
    """The (file, layer) pairs a role is read from, for a Shapefile folder or GeoPackage delivery.

    Empty for DXF, NAS and database deliveries (they are not read layer by layer). Used by the dask
    engine for its cheap pass (``pyogrio.read_bounds`` of the parcels).
    """
    path = Path(str(alkis.path))
    if is_database_url(alkis.path) or not path.exists() or path.suffix.lower() in NAS_SUFFIXES + (".dxf",):
        return []
    spec = load_preset(detect_preset(path) if alkis.preset == "auto" else alkis.preset)["roles"][role]
    return [_layer_path(path, layer) for layer in _role_layers(alkis, role, spec, list_layers(path))]


def _role_layers(alkis, role: str, spec: Mapping, available: list[str]) -> list[str]:
    """The layers (or tables) of ``available`` a role is read from, as :func:`_read_role` picks them."""
    override = alkis.layers.get(role)
    if isinstance(override, Mapping):
        wanted = list(override)
    elif override:
        wanted = [override] if isinstance(override, str) else list(override)
    else:
        wanted = list(spec["layer_classes"]) if spec.get("layer_classes") else list(spec["layers"])
    found = [m for w in wanted if (m := match_layer(available, w))]
    several = isinstance(override, Mapping) or (not override and spec.get("layer_classes"))
    return found if several else found[:1]


@dataclasses.dataclass(frozen=True)
class RoleExtent:
    """One file (and layer) or table of a role without its attributes.

    Attributes
    ----------
    file, layer
        Where the features are (a database table: ``schema.table`` and the table).
    count, placed
        Features, and features with a geometry.
    geometry_type
        The declared geometry type (OGR names, '' if unknown).
    bounds
        ``(n, 4)`` boxes in the target CRS (NaN: no geometry), or ``None`` when not asked for.
    fids
        OGR feature ids of the boxes (files only, else ``None``).
    """

    file: Path | str
    layer: str | None
    count: int
    placed: int
    geometry_type: str
    bounds: np.ndarray | None = None
    fids: np.ndarray | None = None


def role_extents(alkis, role: str, *, target_crs: str, boxes: bool = True) -> list[RoleExtent]:
    """The features of a role, file by file (or table by table), without attributes.

    Shapefile folders, GeoPackages and PostGIS schemas (empty for other deliveries). The dask
    engine's driver plans its partitions from the boxes and checks the role as
    :func:`~nachverdichtung.layers.load_layers` would. ``boxes=False`` only counts (a database is
    not streamed for it).
    """
    if is_database_url(alkis.path):
        return _table_extents(alkis, role, target_crs=target_crs, boxes=boxes)
    out = []
    for file, layer in role_files(alkis, role):
        fids, bounds = read_extents(file, layer=layer, crs=alkis.crs, target_crs=target_crs, what=ROLE_LABEL[role],
                                    fix_key="alkis")
        kind = str(pyogrio.read_info(file, layer=layer).get("geometry_type") or "")
        out.append(RoleExtent(file=file, layer=layer, count=len(fids), placed=int(np.isfinite(bounds).all(1).sum()),
                              geometry_type=kind, bounds=bounds, fids=fids))
    return out


def _table_extents(alkis, role: str, *, target_crs: str, boxes: bool) -> list[RoleExtent]:
    """:func:`role_extents` of a PostGIS schema; the parcels filtered by ``alkis.bbox``/``gemarkungen``."""
    source = DatabaseSource(alkis.path)
    try:
        available = source.layers()
        spec = load_preset(alkis.preset if alkis.preset != "auto" else _preset_from_names(available, source))["roles"]
        where = _gemarkung_filter(source, available, spec["parcels"], alkis) \
            if role == "parcels" and alkis.gemarkungen else None
        out = []
        for table in _role_layers(alkis, role, spec[role], available):
            count, placed, kind = table_summary(source.conn, source.schema, table, count=not boxes)
            bounds = None
            if boxes:
                bounds = table_boxes(source.conn, source.schema, table, target_crs=target_crs, crs=alkis.crs,
                                     where=where, bbox=alkis.bbox or None, bbox_crs=target_crs)
                count, placed = len(bounds), int(np.isfinite(bounds).all(axis=1).sum())
            out.append(RoleExtent(file=f"{source.schema}.{table}", layer=table, count=count, placed=placed,
                                  geometry_type=kind, bounds=bounds))
        if where is not None and not sum(e.count for e in out):
            raise _no_gemarkung_parcels(alkis, source)
        return out
    finally:
        source.close()


def read_unplaced_parcels(alkis, *, target_crs: str, fids: Mapping[str, np.ndarray]) -> Read:
    """The parcels without geometry (no spatial read finds them): by feature id from files
    (``{file_key: fids}``), or every row without geometry of a PostGIS parcel table."""
    if is_database_url(alkis.path):
        return _read_database(alkis, target_crs=target_crs, roles=("parcels",), null_geometry=True)["parcels"]
    with reading_window((0.0, 0.0, 0.0, 0.0), crs=target_crs, fids=fids):
        return read_alkis(alkis, target_crs=target_crs, roles=("parcels",))["parcels"]


def _read_dxf(path: Path, preset_name: str, alkis, target_crs: str) -> dict[str, Read]:
    """The roles of a DXF drawing (:mod:`nachverdichtung.io.dxf`), every role required."""
    reads = read_alkis_dxf(path, preset=preset_name, layers=alkis.layers or None, crs=alkis.crs,
                           encoding=alkis.encoding, gemarkung=alkis.gemarkung, flur=alkis.flur,
                           reader=alkis.dxf_reader, offset=_offset(alkis.offset, path),
                           tolerance=alkis.dxf_tolerance_m, number_distance=alkis.dxf_number_distance_m)
    out = {}
    for role in ROLES:
        if role not in reads:
            raise InputError(f"{ROLE_LABEL[role]}: im DXF nicht gefunden", file=path,
                             fix=f"Layerzuordnung für '{role}' unter 'alkis.layers' angeben "
                                 f"(Layer auflisten: nachverdichtung layers {path.name})")
        gdf = reads[role].frame
        if gdf.crs is not None and not gdf.crs.equals(target_crs):
            gdf = gdf.to_crs(target_crs)
        out[role] = dataclasses.replace(reads[role], frame=gdf,
                                        source={"file": str(path), "layer": None, "crs": str(alkis.crs)})
    return out


def _read_database(alkis, *, target_crs: str, roles: tuple[str, ...] = ROLES,
                   null_geometry: bool = False) -> dict[str, Read]:
    """The roles from a PostGIS import schema (norBIT ALKIS-Import, PostNAS), read only where needed.

    With ``alkis.gemarkungen`` the parcels of those Gemarkungen are read first and every other role
    only around them (``GEMARKUNG_HALO_M``); with ``alkis.bbox`` every role only inside the box.
    Inside a read window of the dask engine a Gemarkung may have no parcels (the driver checked the
    whole schema). ``null_geometry``: only the rows without geometry.
    """
    source = DatabaseSource(alkis.path, bbox=alkis.bbox or None, bbox_crs=target_crs, null_geometry=null_geometry)
    try:
        available = source.layers()
        preset = load_preset(alkis.preset if alkis.preset != "auto" else _preset_from_names(available, source))
        specs = preset["roles"]
        out = {}
        if alkis.gemarkungen:
            parcels = _read_role(source, available, "parcels", specs["parcels"], alkis, target_crs,
                                 where=_gemarkung_filter(source, available, specs["parcels"], alkis))
            if not len(parcels.frame) and current_window() is None and not null_geometry:
                raise _no_gemarkung_parcels(alkis, source)
            if len(parcels.frame) and not null_geometry:
                box = parcels.frame.total_bounds + np.array([-1, -1, 1, 1]) * GEMARKUNG_HALO_M
                source.bbox, source.bbox_crs = tuple(box), target_crs
            out["parcels"] = parcels
        for role in roles:
            if role not in out:
                out[role] = _read_role(source, available, role, specs[role], alkis, target_crs)
        return {role: out[role] for role in roles}
    finally:
        source.close()


def _no_gemarkung_parcels(alkis, source) -> InputError:
    return InputError(f"keine Flurstücke der Gemarkung(en) {', '.join(alkis.gemarkungen)}", file=str(source),
                      fix="die Gemarkungsnummern unter 'alkis.gemarkungen' prüfen")


#: Around the parcels of the chosen Gemarkungen, buildings, roads and land use are read this far
#: (Konvention: more than a street width plus a front garden, so the street a parcel fronts is read).
GEMARKUNG_HALO_M = 100.0


def _preset_from_names(available: list[str], source) -> str:
    names = {canonical_name(n) for n in available}
    if "axflurstueck" in names:
        return "ax"
    if names & {"flurstueck", "flurstuecke"}:
        return "vereinfacht"
    raise InputError(f"Schema der ALKIS-Daten nicht erkannt (Tabellen: {', '.join(sorted(names)) or 'keine'})",
                     file=str(source), fix="'preset: ax' und ggf. 'layers:' unter 'alkis' angeben")


def _gemarkung_filter(source, available: list[str], spec: Mapping, alkis) -> tuple[str, tuple[str, ...]]:
    """``(column, values)`` selecting the parcels of ``alkis.gemarkungen`` in the parcel table."""
    table = next((m for w in spec["layers"] if (m := match_layer(available, w))), None)
    columns = table_columns(source.conn, source.schema, table) if table else []
    wanted = list((alkis.fields.get("parcels", {}) or {}).get("gemarkung", [])) + \
        list(spec.get("fields", {}).get("gemarkung", []))
    column = next((c for w in wanted for c in columns if c.lower() == str(w).lower()), None)
    if column is None:
        raise InputError("Gemarkungsfilter: Feld mit der Gemarkungsnummer nicht gefunden", file=str(source),
                         fix="Feldnamen unter 'alkis.fields.parcels.gemarkung' angeben")
    return column, tuple(alkis.gemarkungen)


def _offset(value, path: Path) -> tuple[float, float]:
    if len(value) != 2:
        raise ConfigError(f"braucht zwei Zahlen [dx, dy], gefunden {list(value)}", key="alkis.offset",
                          fix="z. B. offset: [32000000, 5000000] unter alkis: angeben")
    return float(value[0]), float(value[1])


def _read_role(path: Path, available: list[str], role: str, spec: Mapping, alkis, target_crs: str, *,
               where=None) -> Read:
    label = ROLE_LABEL[role]
    override_layers = alkis.layers.get(role)
    override_fields = alkis.fields.get(role, {}) or {}
    if isinstance(override_layers, Mapping):  # layer name -> class
        spec = {**spec, "layer_classes": dict(override_layers)}
    elif override_layers:
        wanted = [override_layers] if isinstance(override_layers, str) else list(override_layers)
        spec = {**spec, "layers": wanted, "layer_classes": None}
    if spec.get("layer_classes"):
        read = _read_classed_layers(path, available, role, spec, alkis, target_crs)
    else:
        layer = next((m for w in spec["layers"] if (m := match_layer(available, w))), None)
        if layer is None:
            raise InputError(
                f"{label}: Layer {' / '.join(spec['layers'])} nicht vorhanden (vorhanden: {', '.join(available)})",
                file=path, fix=f"Layernamen unter 'alkis.layers.{role}' angeben",
            )
        read = _read(path, layer, label, alkis, target_crs, where=where)
        if spec.get("class_field"):
            read = read.with_frame(_classify(read, role, spec, override_fields))
    frame = _map_fields(read, role, spec.get("fields", {}), override_fields, spec.get("required", ()), label)
    return read.with_frame(frame)


def _read_classed_layers(path, available: list[str], role: str, spec: Mapping, alkis, target_crs: str) -> Read:
    """One layer per class (``layer_classes``): read each present one, tag it, and concatenate."""
    pieces = []
    for layer_name, cls in spec["layer_classes"].items():
        layer = match_layer(available, layer_name)
        if layer is None:
            continue
        read = _read(path, layer, ROLE_LABEL[role], alkis, target_crs)
        read.frame["_class"] = cls
        read.frame["_objektart"] = str(layer_name).lower()
        pieces.append(read)
    if not pieces:
        raise InputError(
            f"{ROLE_LABEL[role]}: keiner der Layer {', '.join(spec['layer_classes'])} vorhanden "
            f"(vorhanden: {', '.join(available)})", file=path,
            fix=f"Layernamen unter 'alkis.layers.{role}' angeben",
        )
    frame = gpd.GeoDataFrame(pd.concat([p.frame for p in pieces], ignore_index=True), crs=pieces[0].frame.crs)
    return Read(frame, tuple(msg for p in pieces for msg in p.problems), pieces[0].source)


def _classify(read: Read, role: str, spec: Mapping, override_fields: Mapping) -> gpd.GeoDataFrame:
    """The class (and object type) of each feature from the preset's class field; unclassed rows dropped."""
    gdf, label = read.frame, ROLE_LABEL[role]
    col = _field(gdf, list(override_fields.get("klasse", [])) + list(spec["class_field"]))
    if col is None:
        raise InputError(f"{label}: Feld {spec['class_field'][0]!r} fehlt", file=_src(read),
                         fix=f"Feldnamen unter 'alkis.fields.{role}.klasse' angeben")
    classes = {canonical_name(k): v for k, v in spec["classes"].items()}
    gdf["_class"] = gdf[col].astype(str).map(lambda v: classes.get(canonical_name(v)))
    if spec.get("objektarten"):
        types = {canonical_name(k): v for k, v in spec["objektarten"].items()}
        gdf["_objektart"] = gdf[col].astype(str).map(lambda v: types.get(canonical_name(v), ""))
    return gdf[gdf["_class"].notna()].copy()


def _src(read: Read) -> str:
    return read.source.get("file", "?")


def _read(path: Path, layer: str, label: str, alkis, target_crs: str, *, where=None) -> Read:
    if isinstance(path, DatabaseSource):
        return path.read(layer, what=label, target_crs=target_crs, crs=alkis.crs, where=where)
    file, layer_arg = _layer_path(path, layer)
    return read_vector(file, layer=layer_arg, encoding=alkis.encoding, crs=alkis.crs, target_crs=target_crs,
                       what=label, fix_key="alkis")


def _field(gdf: gpd.GeoDataFrame, candidates) -> str | None:
    return find_field([c for c in gdf.columns if c != gdf.geometry.name], candidates)


def _map_fields(read: Read, role, fields, override, required, label) -> gpd.GeoDataFrame:
    gdf = read.frame
    out = {}
    for canon, cands in fields.items():
        names = ([override[canon]] if isinstance(override.get(canon), str) else list(override.get(canon, []))) \
            + list(cands)
        col = _field(gdf, names)
        if col is None:
            if canon in required:
                cols = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
                raise InputError(
                    f"{label}: Pflichtfeld {canon!r} fehlt (gesucht: {', '.join(names)}; vorhanden: {cols})",
                    file=_src(read), fix=f"Feldnamen unter 'alkis.fields.{role}.{canon}' angeben",
                )
            continue
        out[canon] = gdf[col]
    if "_class" in gdf:
        out["art" if role == "roads" else "nutzung"] = gdf["_class"]
    if "_objektart" in gdf and role == "landuse":
        out["objektart"] = gdf["_objektart"]
    return gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=gdf.crs, index=pd.RangeIndex(len(gdf)))
