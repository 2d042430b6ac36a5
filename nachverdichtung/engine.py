"""Distributed execution for large areas: the same assessment, run per spatial partition.

The region is cut into square tiles, and every tile reads **only its own window** of every input
(``load_layers(config, window=…)``, see :mod:`nachverdichtung.io.window`; rasters are read by
window anyway). What a tile cannot see is computed over the whole region first:

1. **Cheap pass** (driver): the parcels' bounding boxes (:func:`pyogrio.read_bounds`, no
   attributes) give the tile grid; the roads (geometry, kind and name) give the streets and the
   street blocks of the whole region.
2. **Building lines** (one task per tile): each tile reads its buildings, assigns each to its
   street and measures its depth (:func:`~nachverdichtung.candidates.street_depths`). The driver
   forms every street's rear building line and every block's rear-house count from all of them
   (:func:`~nachverdichtung.candidates.street_lines`, :func:`~nachverdichtung.candidates.rear_houses`),
   exactly as the single-machine path does over the whole region. Without a settlement layer the tiles
   also cluster their main buildings, and the driver joins the clusters of the region (a derived
   Innenbereich, :mod:`nachverdichtung.settlement` steps 1–4; each window adds its land use, step 5).
3. **Areas** (one task per tile): the tile reads the window ``tile + margin_m + halo_m`` and runs
   the *same* function as the single-machine path, :func:`nachverdichtung.pipeline.assess`, with
   the region's streets and blocks. It keeps what it **owns** (a parcel by the centre of its
   bounding box, an area by its main parcel) and what is **settled**: an area whose merged piece's
   parcels (its extent) lie inside ``tile + margin_m`` — so its backland is complete and the
   criteria see ``halo_m`` around it —, and a parcel whose own pieces and areas are settled.
4. **Rounds**: what a tile owns but could not settle (an area reaching farther than the margin)
   is computed again in a window around exactly those parcels, the margin doubling each round,
   until everything is settled (at the latest when the window covers the region).

Results therefore equal the single-machine run as long as ``halo_m`` covers the largest search
radius of any criterion (the default 300 m does). Only the first pass of the candidate stage runs
on the whole window; the criteria rate only the areas the tile keeps.

Partitions run on a :class:`distributed.Client` (a ``LocalCluster`` or a cluster by address),
or with a local dask scheduler (``"threads"``, ``"processes"``, ``"synchronous"``).

Examples
--------
>>> from nachverdichtung.config import load_config
>>> result = assess_partitioned(load_config("config.yml"), tile_size_m=2500)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .candidates import (EXTENT, STREET_SEARCH_M, CandidateResult, build_streets, excluded_rows, front_zones,
                         point_in, rear_houses, street_blocks, street_depths, street_lines)
from .errors import ConfigError, NachverdichtungError
from .io.alkis import role_files
from .io.postgis import is_database_url
from .io.clean import geometry_array as _arr
from .io.window import file_key
from .layers import (Layers, check_region, load_buildings, load_input, load_layers, load_roads,
                     load_unplaced_parcels)
from .parallel import serial
from .pipeline import Assessment, assess, build_manifest, check_paths
from .scenarios import comparison
from .sensitivity import sensitivity
from .settlement import add_built_landuse, close_clusters, cluster_buildings, count_inside, main_buildings

log = logging.getLogger(__name__)

__all__ = ["assess_partitioned", "partition_grid", "window_layers", "plan_partitions", "Plan", "start_client"]

#: Columns of the context layers a partition sends back for the maps and the report.
CONTEXT_COLUMNS = {"buildings": ["funktion", "geschosse", "kategorie"], "roads": ["art", "name"]}
#: How far a building may reach from the centre of its bounding box, in m [Konvention: half the
#: diagonal of a 350 m × 350 m building; larger single building polygons do not occur in ALKIS
#: residential areas]. The building pass reads this much around each tile.
BUILDING_REACH_M = 250.0
#: A street-search radius with a float safety margin (m): every street a building or parcel of the
#: window can be assigned to.
_STREET_REACH_M = STREET_SEARCH_M + 1.0
#: Blocks are cut this far outside the window (m): every point of the window keeps its block.
_BLOCK_CLIP_M = 10.0
#: A derived Innenbereich: a window gets the region's building clusters within this distance (m), so a
#: built-up land-use polygon meeting the window joins the settlement of a cluster up to this far away
#: (settlement step 5) [Konvention: Wohnbau-, Misch- und Gewerbeflächen of ALKIS are blocks or quarters
#: well below 1 km across; a polygon reaching a cluster farther away joins it only on the single path].
SETTLEMENT_REACH_M = 1000.0

Box = tuple[float, float, float, float]


def _grow(box: Box, d: float) -> Box:
    """``box`` enlarged by ``d`` on every side."""
    return (box[0] - d, box[1] - d, box[2] + d, box[3] + d)


def _inside(bounds: np.ndarray, box: Box) -> np.ndarray:
    """Whether each bounding box (n × 4) lies inside ``box`` (NaN rows: False)."""
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    return (b[:, 0] >= box[0]) & (b[:, 1] >= box[1]) & (b[:, 2] <= box[2]) & (b[:, 3] <= box[3])


def _centre_tiles(bounds: np.ndarray, origin: tuple[float, float], size: float) -> np.ndarray:
    """Tile (column, row) of the centre of each bounding box ``(xmin, ymin, xmax, ymax)``."""
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    return np.stack([np.floor((cx - origin[0]) / size), np.floor((cy - origin[1]) / size)], axis=1).astype(np.int64)


def _key(tiles: np.ndarray) -> np.ndarray:
    """One integer per tile (column, row)."""
    tiles = np.asarray(tiles, dtype=np.int64).reshape(-1, 2)
    return tiles[:, 0] * (1 << 31) + tiles[:, 1]


def partition_grid(parcels: gpd.GeoDataFrame, tile_size_m: float) -> tuple[np.ndarray, tuple[float, float]]:
    """Tile (column, row) of each parcel's bounding-box centre on a square grid, and the grid origin."""
    bounds = shapely.bounds(_arr(parcels.geometry))
    origin = (float(np.floor(np.nanmin(bounds[:, 0]))), float(np.floor(np.nanmin(bounds[:, 1]))))
    return _centre_tiles(bounds, origin, tile_size_m), origin


def _rows_near(gdf: gpd.GeoDataFrame, geoms, distance: float = 0.0) -> np.ndarray:
    """Sorted unique positions of ``gdf`` rows intersecting (or within ``distance`` of) ``geoms``."""
    if len(gdf) == 0:
        return np.zeros(0, dtype=np.int64)
    geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
    if len(geoms) == 0:
        return np.zeros(0, dtype=np.int64)
    if distance > 0:
        _, hit = gdf.sindex.query(geoms, predicate="dwithin", distance=distance)
    else:
        _, hit = gdf.sindex.query(geoms, predicate="intersects")
    return np.unique(hit)


def window_layers(layers: Layers, window: Box) -> Layers:
    """The layers as a read of ``window`` would give them: every feature that meets the box."""
    box = shapely.box(*window)
    cut = lambda gdf: gdf.iloc[_rows_near(gdf, box)]  # noqa: E731
    return layers.replace(parcels=cut(layers.parcels), buildings=cut(layers.buildings), roads=cut(layers.roads),
                          landuse=cut(layers.landuse), vectors={k: cut(v) for k, v in layers.vectors.items()},
                          problems=(), excluded_parcels=layers.excluded_parcels.iloc[0:0])


@dataclass(frozen=True)
class Plan:
    """The driver's partition plan: grid, occupied tiles, streets and blocks of the whole region.

    Attributes
    ----------
    origin, size, halo, margin
        Grid origin, tile edge, halo and margin in m (see the module docstring).
    tiles
        Occupied tiles (column, row), sorted.
    streets
        The streets of the region (:func:`~nachverdichtung.candidates.build_streets`); after the
        building pass with ``baulinie_m``, ``n_hauptgebaeude`` and ``vorderzone``.
    blocks
        Street blocks of the region (``block_id`` their position); after the building pass with
        ``hinterhaeuser``.
    order
        Parcel bounding boxes in input order (columns ``xmin … ymax``, ``pos``), to restore the order.
    region
        The bounding box of all parcels.
    unplaced, problems
        The parcels without geometry (excluded rows: no window finds them) and what reading them found.
    settlement
        Without a settlement layer (and ``settlement_derive``): after the building pass the region's
        building clusters with enough main buildings, closed (steps 1–4 of
        :mod:`~nachverdichtung.settlement`); each window adds its built-up land use (step 5).
    derives
        Whether the Innenbereich is derived (no settlement layer, ``settlement_derive``).
    """

    origin: tuple[float, float]
    size: float
    halo: float
    margin: float
    tiles: tuple[tuple[int, int], ...]
    streets: gpd.GeoDataFrame
    blocks: gpd.GeoDataFrame
    order: pd.DataFrame
    region: Box
    unplaced: pd.DataFrame | None = None
    problems: tuple[str, ...] = ()
    settlement: gpd.GeoDataFrame | None = None
    derives: bool = False

    def tile_box(self, tile: tuple[int, int]) -> Box:
        """The tile's square."""
        x0, y0 = self.origin[0] + tile[0] * self.size, self.origin[1] + tile[1] * self.size
        return (x0, y0, x0 + self.size, y0 + self.size)


@dataclass(frozen=True)
class _Region:
    """What the driver's cheap pass knows of a delivery (Shapefile folder, GeoPackage, PostGIS)."""

    bounds: np.ndarray  # parcel bounding boxes in the target CRS, NaN rows: no geometry
    roads: gpd.GeoDataFrame  # the validated roads
    unplaced: pd.DataFrame  # the parcels without geometry, as excluded rows (flstkennz, grund)
    problems: tuple[str, ...]  # what reading them found


def _cheap_pass(config) -> _Region:
    """Parcel boxes (no attributes), the validated roads, and every role checked over the region
    as the single path checks it (:func:`~nachverdichtung.layers.check_region`)."""
    if not role_files(config.alkis, "parcels") and not is_database_url(config.alkis.path):
        raise ConfigError("die dask-Engine liest ALKIS-Daten fensterweise nur aus Shapefile-Ordnern, "
                          "GeoPackages und PostGIS", file=config.file, key="alkis.path",
                          fix="die Lieferung als Shapefile-Ordner, GeoPackage oder PostGIS-Schema angeben "
                              "(NAS z. B. mit ogr2ogr in ein GeoPackage umwandeln) oder ohne '--engine dask' rechnen")
    extents = check_region(config, "parcels")
    for role in ("buildings", "landuse"):
        check_region(config, role, boxes=False)
    roads = load_roads(config)
    bounds = np.concatenate([e.bounds for e in extents])
    missing = {file_key(e.file, e.layer): e.fids[~np.isfinite(e.bounds).all(axis=1)]
               for e in extents if e.fids is not None}
    unplaced, problems = (load_unplaced_parcels(config, missing) if any(e.placed < e.count for e in extents)
                          else (pd.DataFrame(columns=["flstkennz", "grund"]), []))
    return _Region(bounds=bounds, roads=roads, unplaced=unplaced, problems=tuple(problems))


def plan_partitions(config, *, tile_size_m: float, halo_m: float, margin_m: float = 150.0,
                    layers: Layers | None = None) -> Plan:
    """The cheap driver pass: parcel boxes, the region's streets and street blocks.

    With ``layers`` the plan is made from them (no reading).
    """
    if layers is not None:
        roads, bounds = layers.roads, shapely.bounds(_arr(layers.parcels.geometry))
        unplaced, problems = layers.excluded_parcels.iloc[0:0], ()
    else:
        region = _cheap_pass(config)
        roads, bounds, unplaced, problems = region.roads, region.bounds, region.unplaced, region.problems
    ok = np.isfinite(bounds).all(axis=1)
    order = pd.DataFrame(bounds[ok], columns=list(EXTENT)).assign(pos=np.flatnonzero(ok))
    origin = (float(np.floor(bounds[ok, 0].min())), float(np.floor(bounds[ok, 1].min())))
    tiles = sorted(set(map(tuple, _centre_tiles(bounds[ok], origin, tile_size_m).tolist())))
    region = (*bounds[ok, 0:2].min(axis=0), *bounds[ok, 2:4].max(axis=0))
    extent = gpd.GeoDataFrame(geometry=[shapely.box(*region)], crs=config.crs)
    cp = config.candidates
    blocks = street_blocks(roads, extent, margin_m=cp.block_margin_m, min_m2=cp.min_piece_m2)
    given = layers.vector("settlement") is not None if layers is not None else config.inputs.settlement is not None
    return Plan(origin=origin, size=tile_size_m, halo=halo_m, margin=margin_m, tiles=tuple(tiles),
                streets=build_streets(roads), blocks=blocks, order=order, region=tuple(map(float, region)),
                unplaced=unplaced, problems=tuple(problems), derives=cp.settlement_derive and not given)


def _own(frame: gpd.GeoDataFrame, tile: tuple[int, int], origin, size: float) -> np.ndarray:
    """Whether the centre of each row's bounding box lies in ``tile``."""
    if not len(frame):
        return np.zeros(0, dtype=bool)
    tiles = _centre_tiles(shapely.bounds(_arr(frame.geometry)), origin, size)
    return _key(tiles) == _key(np.array(tile))[0]


# --------------------------------------------------------------------------------------------------
# pass 2: the buildings' streets and depths


@dataclass(frozen=True)
class _LineTask:
    """One tile of the building pass (``buildings`` given for the in-memory path)."""

    tile: tuple[int, int]
    origin: tuple[float, float]
    size: float
    read: Box
    buildings: gpd.GeoDataFrame | None = None
    clusters: bool = False  # also the clusters of its main buildings (derived Innenbereich)


def _run_lines(config, task: _LineTask, streets: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame,
               _settlement=None) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None]:
    """Street (``street_id``), depth and block (``block_id``) of every building the tile owns; with
    ``task.clusters`` also the clusters of its main buildings and their counts (settlement step 2)."""
    b = load_buildings(config, window=task.read) if task.buildings is None else task.buildings
    b = b[_own(b, task.tile, task.origin, task.size)]
    return _building_table(config, b, streets, blocks), _tile_clusters(config, b) if task.clusters else None


def _tile_clusters(config, b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The clusters of the tile's own main buildings (buffers dissolved) with their main-building counts."""
    geoms, counts = cluster_buildings(main_buildings(b), gap_m=config.candidates.settlement_gap_m)
    return gpd.GeoDataFrame({"hauptgebaeude": counts}, geometry=geoms, crs=b.crs)


def _building_table(config, b: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> pd.DataFrame:
    """Main-building flag, street, depth and block of the buildings ``b``."""
    p = config.candidates
    geoms = _arr(b.geometry)
    sub = streets.iloc[_rows_near(streets, geoms, _STREET_REACH_M)]
    st, depth = street_depths(b, sub, cell=p.grid_cell_m, max_cells=p.max_grid_cells)
    # the blocks meeting the buildings' common box: a superset, point_in decides; testing each
    # building against the tree would walk a large open block once per building (minutes at 1M)
    blk_sub = blocks.iloc[_rows_near(blocks, shapely.box(*shapely.total_bounds(geoms)))] if len(b) \
        else blocks.iloc[:0]
    blk = point_in(blk_sub, shapely.point_on_surface(geoms))
    return pd.DataFrame({
        "main": (b["kategorie"] == "haupt").to_numpy(),
        "street": np.where(st >= 0, sub["street_id"].to_numpy()[np.maximum(st, 0)], -1) if len(sub) else st,
        "depth": depth,
        "block": np.where(blk >= 0, blk_sub["block_id"].to_numpy()[np.maximum(blk, 0)], -1) if len(blk_sub) else blk})


def _with_lines(plan: Plan, lines: pd.DataFrame, config) -> Plan:
    """The plan with every street's rear building line and every block's rear-house count."""
    p = config.candidates
    streets, blocks = plan.streets.copy(), plan.blocks.copy()
    main, st, depth = lines["main"].to_numpy(bool), lines["street"].to_numpy(np.int64), lines["depth"].to_numpy(float)
    streets["baulinie_m"], streets["n_hauptgebaeude"] = street_lines(main, st, depth, len(streets), p)
    front_zones(streets, p)
    blocks["hinterhaeuser"] = rear_houses(main, st, depth, lines["block"].to_numpy(np.int64),
                                          streets["baulinie_m"].to_numpy(), len(blocks), p)
    return replace(plan, streets=streets, blocks=blocks)


def _with_settlement(plan: Plan, pieces: list[gpd.GeoDataFrame], config) -> Plan:
    """The plan with the region's closed building clusters (a derived Innenbereich, steps 1–4), from
    the tiles' clusters: dissolved, each tile cluster's count added to the region cluster holding it."""
    p, crs = config.candidates, config.crs
    tiles = pd.concat(pieces, ignore_index=True) if pieces else gpd.GeoDataFrame({"hauptgebaeude": []}, geometry=[])
    geoms = _arr(tiles.geometry)
    clusters = shapely.get_parts(shapely.union_all(geoms)) if len(geoms) else np.array([], dtype=object)
    counts = count_inside(clusters, shapely.point_on_surface(geoms), tiles["hauptgebaeude"].to_numpy())
    closed = close_clusters(clusters, counts, gap_m=p.settlement_gap_m, min_buildings=p.settlement_min_buildings,
                            margin_m=p.settlement_margin_m)
    kept = counts[counts >= p.settlement_min_buildings]
    note = (f"Innenbereich abgeleitet (kein inputs.settlement): {len(closed)} zusammenhängende Siedlung(en) der "
            f"ganzen Region mit {int(kept.sum())} Hauptgebäuden; Abstand {p.settlement_gap_m:g} m, mindestens "
            f"{p.settlement_min_buildings} Hauptgebäude (docs/criteria.md), je Kachel um die bebaute Nutzung "
            f"ergänzt. Ein abgeleiteter Innenbereich ersetzt keine Prüfung nach § 34/35 BauGB")
    log.warning(note)
    settlement = gpd.GeoDataFrame({"hauptgebaeude": kept}, geometry=list(closed), crs=crs)
    return replace(plan, settlement=settlement, problems=(*plan.problems, note))


# --------------------------------------------------------------------------------------------------
# pass 3: the areas, settled per window


@dataclass(frozen=True)
class _Task:
    """One window of the area pass.

    ``inner`` is where an area's extent must lie to be kept, ``window`` = ``inner`` + halo is read.
    A tile task owns by ``tile``; a later round owns the parcels in ``own``. ``share`` is the tile's
    part of the region-wide outputs (the derived Innenbereich): the tile, reaching to the window's edge
    on each side without an occupied neighbour tile.
    """

    inner: Box
    window: Box
    origin: tuple[float, float]
    size: float
    tile: tuple[int, int] | None = None
    own: frozenset | None = None
    layers: Layers | None = None
    share: Box | None = None


@dataclass(frozen=True)
class _Settled:
    """What a window keeps: areas and parcels (masks) and the owned parcels it could not settle."""

    areas: np.ndarray
    parcels: np.ndarray
    deferred: pd.DataFrame


def _owned_parcels(parcels: gpd.GeoDataFrame, task: _Task) -> np.ndarray:
    """Whether the task owns each parcel: by its tile (first round) or by name (later rounds)."""
    if task.own is not None:
        return parcels["flstkennz"].astype(str).isin(task.own).to_numpy()
    return _own(parcels, task.tile, task.origin, task.size)


def _settle(cand: CandidateResult, parcels: gpd.GeoDataFrame, task: _Task) -> _Settled:
    """Which areas and parcels the window keeps (see the module docstring, step 3)."""
    n, areas = len(parcels), cand.areas
    ext = cand.parcel_extent
    settled0 = np.isnan(ext[:, 0]) | _inside(ext, task.inner)
    pos = pd.Series(np.arange(n), index=parcels["flstkennz"].astype(str).to_numpy())
    main = pos.reindex(areas["haupt_flurstueck"].astype(str).to_numpy()).to_numpy()
    has_main = ~np.isnan(main)
    mp = np.where(has_main, main, 0).astype(np.int64)
    a_ext = np.where(np.isnan(cand.area_extent), shapely.bounds(_arr(areas.geometry)), cand.area_extent) \
        if len(areas) else np.zeros((0, 4))
    ok = _inside(a_ext, task.inner) & np.where(has_main, settled0[mp], True)
    owned = _owned_parcels(parcels, task)
    own_area = np.where(has_main, owned[mp], _own(areas, task.tile, task.origin, task.size) if task.tile else False)
    lists = areas["flurstuecke"].astype(str).str.split(",")
    pair_a = np.repeat(np.arange(len(areas)), lists.str.len().to_numpy())
    pair_p = pos.reindex(lists.explode().to_numpy(dtype=object)).to_numpy()
    found = ~np.isnan(pair_p)
    pair_a, pair_p = pair_a[found], pair_p[found].astype(np.int64)
    settled = settled0.copy()
    settled[pair_p[~ok[pair_a]]] = False
    need = np.where(np.isnan(ext), shapely.bounds(_arr(parcels.geometry)), ext)
    need = _widen(need, pair_p, a_ext[pair_a])
    with_main = has_main[pair_a]
    need = _widen(need, pair_p[with_main], need[mp[pair_a[with_main]]])
    deferred = owned & ~settled
    return _Settled(areas=ok & own_area, parcels=owned & settled,
                    deferred=pd.DataFrame(need[deferred], columns=list(EXTENT)).assign(
                        flstkennz=parcels["flstkennz"].astype(str).to_numpy()[deferred]))


def _widen(boxes: np.ndarray, at: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``boxes`` with row ``at[k]`` widened to cover ``other[k]``."""
    out = boxes.copy()
    np.minimum.at(out[:, 0], at, other[:, 0])
    np.minimum.at(out[:, 1], at, other[:, 1])
    np.maximum.at(out[:, 2], at, other[:, 2])
    np.maximum.at(out[:, 3], at, other[:, 3])
    return out


def _run_partition(config, task: _Task, streets: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame,
                   clusters: gpd.GeoDataFrame | None = None) -> dict:
    """Read the window, assess it with :func:`assess` and keep what it owns and settled.

    ``clusters``: the region's closed building clusters near the window (a derived Innenbereich); the
    window adds its built-up land use to them (settlement step 5) instead of deriving its own.
    """
    t0 = time.perf_counter()
    if task.layers is None:
        loaded = load_layers(_windowed(config, task.window), window=task.window)
    else:
        loaded = task.layers
    box = shapely.box(*task.window)
    sub_streets = streets.iloc[_rows_near(streets, box, _STREET_REACH_M)]
    sub_blocks = blocks  # the blocks meeting the window, cut to it (_near)
    memo: dict = {}
    settlement = None if clusters is None else add_built_landuse(
        _arr(clusters.geometry), loaded.landuse, main_buildings(loaded.buildings), config.crs)
    res = assess(config, layers=loaded, blocks=sub_blocks, streets=sub_streets, settlement=settlement, partition=True,
                 select=lambda cand: memo.setdefault("s", _settle(cand, loaded.parcels, task)).areas)
    settled: _Settled = memo["s"]
    areas = res.areas
    pos = pd.to_numeric(areas["block_id"], errors="coerce").fillna(-1).astype(np.int64).to_numpy()
    gid = sub_blocks["block_id"].to_numpy()
    areas = areas.assign(block_id=np.where(pos >= 0, gid[np.maximum(pos, 0)] if len(gid) else -1, -1))
    rows = res.parcels.iloc[:len(loaded.parcels)][settled.parcels]
    out = {"areas": areas, "parcels": rows, "deferred": settled.deferred, "dauer_s": time.perf_counter() - t0,
           "zeiten_s": res.manifest.get("zeiten_s", {}), "parcels_gelesen": len(loaded.parcels),
           "gebaeude_gelesen": len(loaded.buildings)}
    if task.tile is not None:  # the first round also sends the context for the maps and the report
        out.update(_context(loaded, res, task))
    return out


def _context(loaded: Layers, res: Assessment, task: _Task) -> dict:
    """The tile's share of the context layers, problems and sources (first round only)."""
    context = {role: gdf[_own(gdf, task.tile, task.origin, task.size)][[c for c in cols if c in gdf] + ["geometry"]]
               for role, cols in CONTEXT_COLUMNS.items() if (gdf := getattr(loaded, role)) is not None}
    return {"context": context, "slivers": res.candidates.slivers, "excluded": loaded.excluded_parcels,
            "settlement": _tile_settlement(res.candidates.settlement, task),
            "problems": list(res.layers.problems), "sources": dict(loaded.sources), "unusable": dict(loaded.unusable),
            "rasters": dict(loaded.rasters), "vectors": {k: v.iloc[0:0] for k, v in loaded.vectors.items()},
            "szenarien": res.manifest.get("szenarien", [])}


def _tile_settlement(settlement: gpd.GeoDataFrame | None, task: _Task) -> np.ndarray:
    """The window's derived Innenbereich cut to its share (``_Task.share``; the driver joins the pieces)."""
    if settlement is None or not len(settlement) or (settlement["quelle"] != "abgeleitet").all():
        return np.array([], dtype=object)
    cut = shapely.clip_by_rect(_arr(settlement.geometry), *task.share)
    return cut[~shapely.is_empty(cut)]


def _region_settlement(first: list[dict], plan: Plan, layers: Layers, given: Layers | None,
                       config) -> gpd.GeoDataFrame | None:
    """The Innenbereich of the whole region for the outputs (as the single path's
    ``CandidateResult.settlement``): the given layer, or the first round's derived pieces joined, with
    the main buildings of each part counted on the driver (it holds every building for the maps)."""
    crs = config.crs
    if not plan.derives:
        frame = given.vector("settlement") if given is not None else (
            load_input("settlement", config.inputs.settlement, target_crs=crs).frame
            if config.inputs.settlement is not None else None)
        return None if frame is None else gpd.GeoDataFrame(
            {"quelle": ["Eingabe"] * len(frame)}, geometry=frame.geometry.values, crs=frame.crs)
    pieces = np.concatenate([p["settlement"] for p in first] or [np.array([], dtype=object)])
    parts = shapely.get_parts(shapely.union_all(pieces)) if len(pieces) else np.array([], dtype=object)
    parts = parts[shapely.area(parts) > 1.0]
    n = count_inside(parts, shapely.point_on_surface(main_buildings(layers.buildings)))
    return gpd.GeoDataFrame({"quelle": "abgeleitet", "hauptgebaeude": n}, geometry=list(parts), crs=crs)


def _windowed(config, window: Box):
    """The configuration of one partition: a database delivery is read inside the window (and inside
    ``alkis.bbox`` when the configuration gives one)."""
    if not is_database_url(config.alkis.path):
        return config
    box = window
    if config.alkis.bbox:
        b = config.alkis.bbox
        box = (max(window[0], b[0]), max(window[1], b[1]), min(window[2], b[2]), min(window[3], b[3]))
    return replace(config, alkis=replace(config.alkis, bbox=tuple(map(float, box))))


def _first_round(plan: Plan, layers: Layers | None) -> list[_Task]:
    """One task per occupied tile: its window is the tile plus margin plus halo."""
    tasks, occupied = [], set(plan.tiles)
    for tile in plan.tiles:
        inner = _grow(plan.tile_box(tile), plan.margin)
        window = _grow(inner, plan.halo)
        box, (c, r) = plan.tile_box(tile), tile
        share = (box[0] if (c - 1, r) in occupied else window[0], box[1] if (c, r - 1) in occupied else window[1],
                 box[2] if (c + 1, r) in occupied else window[2], box[3] if (c, r + 1) in occupied else window[3])
        tasks.append(_Task(inner=inner, window=window, origin=plan.origin, size=plan.size, tile=tile, share=share,
                           layers=window_layers(layers, window) if layers is not None else None))
    return tasks


def _next_round(plan: Plan, deferred: pd.DataFrame, k: int, layers: Layers | None) -> list[_Task]:
    """Windows around the parcels not yet settled, the margin doubled ``k`` times; overlapping ones joined."""
    grow = plan.margin * 2 ** k
    inner = np.asarray(deferred[list(EXTENT)].to_numpy(dtype=float)) + np.array([-grow, -grow, grow, grow])
    boxes = shapely.box(inner[:, 0], inner[:, 1], inner[:, 2], inner[:, 3])
    ti, tj = shapely.STRtree(boxes).query(boxes, predicate="intersects")
    _, comp = connected_components(coo_matrix((np.ones(len(ti)), (ti, tj)), shape=(len(boxes), len(boxes))),
                                   directed=False)
    kennz = deferred["flstkennz"].to_numpy(dtype=object)
    tasks = []
    for c in np.unique(comp):
        member = comp == c
        box = (*inner[member, 0:2].min(axis=0), *inner[member, 2:4].max(axis=0))
        window = _grow(box, plan.halo)
        tasks.append(_Task(inner=box, window=window, origin=plan.origin, size=plan.size,
                           own=frozenset(kennz[member].tolist()),
                           layers=window_layers(layers, window) if layers is not None else None))
    return tasks


def _near(plan: Plan, box: Box) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """The region's streets, blocks and (derived) settlement clusters a task reading ``box`` can use:
    the streets within the street search radius, the blocks meeting it, cut ``_BLOCK_CLIP_M`` outside
    it, and the clusters within ``SETTLEMENT_REACH_M``, whole. Each task gets only these, not the whole
    region's (1M parcels: 1.4 MB per task instead of 105 MB pickled on every worker)."""
    shape = shapely.box(*box)
    streets = plan.streets.iloc[_rows_near(plan.streets, shape, _STREET_REACH_M)]
    blocks = plan.blocks.iloc[_rows_near(plan.blocks, shape)].copy()
    blocks["geometry"] = shapely.clip_by_rect(_arr(blocks.geometry), *_grow(box, _BLOCK_CLIP_M))
    s = plan.settlement
    return streets, blocks, (s.iloc[_rows_near(s, shape, SETTLEMENT_REACH_M)] if s is not None else None)


def _compute(fn, config, tasks: list, context: Callable, scheduler, num_workers, say, what: str) -> list:
    """Run ``fn(config, task, *context(task))`` per task: on a ``distributed.Client`` with progress,
    or with a local dask scheduler."""
    if not tasks:
        return []
    if not isinstance(scheduler, str):  # a distributed.Client
        from distributed import as_completed  # optional dependency (pip install nachverdichtung[dask])

        futures = [scheduler.submit(_serially, fn, config, t, *context(t), pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        parts: list = [None] * len(futures)
        for done, (future, part) in enumerate(as_completed(futures, with_results=True), start=1):
            if isinstance(part, BaseException):  # a lost worker or data: the cluster, not the input
                raise NachverdichtungError(f"dask-Cluster: {what} abgebrochen ({type(part).__name__}: "
                                           f"{' '.join(str(part).split())[:160]})",
                                           fix="Worker und Verbindung zum Scheduler prüfen (Speicher je Worker, "
                                               "Netz) und den Lauf neu starten")
            parts[index[future.key]] = part
            say(f"{what} {done}/{len(futures)} fertig")
        return parts
    import dask  # optional dependency

    kw = {"num_workers": num_workers} if scheduler in ("threads", "processes") and num_workers else {}
    return list(dask.compute(*[dask.delayed(_serially)(fn, config, t, *context(t)) for t in tasks],
                             scheduler=scheduler, **kw))


def _serially(fn, *args):
    """``fn(*args)`` with element-wise geometry in the task's own thread: the cluster already runs one task
    per core (:func:`nachverdichtung.parallel.serial`)."""
    with serial():
        return fn(*args)


def _restore_order(acc: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The parcel table in input order (matched by bounding box; unmatched rows keep their order at the end)."""
    b = pd.DataFrame(shapely.bounds(_arr(acc.geometry)), columns=list(EXTENT))
    pos = b.merge(plan.order.drop_duplicates(list(EXTENT)), how="left", on=list(EXTENT))["pos"].to_numpy(dtype=float)
    pos = np.where(np.isnan(pos), np.inf, pos)
    return acc.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)


def _merge_areas(parts: list[dict], crs) -> gpd.GeoDataFrame:
    """The areas of every partition, once each, planner areas first, then by id (as the single path)."""
    areas = pd.concat([p["areas"] for p in parts])
    areas = areas[~areas.index.duplicated(keep="first")]
    if len(areas):
        key = np.where(areas["quelle"].astype(str).to_numpy() == "planer", 0, 1)
        areas = areas.assign(_k=key).sort_values(["_k", "flaeche_id"], kind="stable").drop(columns="_k")
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=crs)
    areas.index.name = "flaeche_id"
    return areas


def _driver_layers(first: list[dict], plan: Plan, layers: Layers | None, acc: gpd.GeoDataFrame, config) -> Layers:
    """The layers the exports see: the given ones, or the first round's context (few columns each)."""
    problems = tuple(dict.fromkeys([*plan.problems, *(m for p in first for m in p["problems"])]))
    excluded = pd.concat([plan.unplaced, *(p["excluded"] for p in first)], ignore_index=True).drop_duplicates()
    if layers is not None:
        return layers.replace(excluded_parcels=excluded if not len(layers.excluded_parcels)
                              else layers.excluded_parcels,
                              problems=tuple(dict.fromkeys([*layers.problems, *plan.problems])))
    crs = config.crs
    ctx = {role: gpd.GeoDataFrame(pd.concat([p["context"][role] for p in first], ignore_index=True),
                                  geometry="geometry", crs=crs) for role in CONTEXT_COLUMNS}
    one = first[0] if first else {}
    parcels = acc[acc.geometry.notna()][["flstkennz", "gemarkung", "flur", "zaehler", "nenner", "geometry"]]
    return Layers(parcels=gpd.GeoDataFrame(parcels, geometry="geometry", crs=crs), buildings=ctx["buildings"],
                  roads=ctx["roads"], landuse=gpd.GeoDataFrame({"nutzung": []}, geometry=[], crs=crs), crs=crs,
                  vectors=one.get("vectors", {}), rasters=one.get("rasters", {}), problems=problems,
                  sources=one.get("sources", {}), excluded_parcels=excluded,
                  unusable={k: v for p in first for k, v in p["unusable"].items()})


def _merge(parts: list[dict], first: list[dict], plan: Plan, layers: Layers | None,
           config) -> tuple[Layers, CandidateResult]:
    """One candidate result and the driver's layers from the partitions' pieces."""
    crs, given = config.crs, layers
    areas = _merge_areas(parts, crs)
    acc = pd.concat([p["parcels"] for p in parts], ignore_index=True)
    acc = gpd.GeoDataFrame(_restore_order(acc, plan), geometry="geometry", crs=crs)
    layers = _driver_layers(first, plan, layers, acc, config)
    acc = gpd.GeoDataFrame(excluded_rows(acc, layers.excluded_parcels), geometry="geometry", crs=crs)
    layers = layers.replace(problems=layers.problems + _lost(acc, plan) + _shared_ids(acc))
    cand = CandidateResult(areas=areas, parcels=acc, streets=plan.streets, blocks=plan.blocks,
                           slivers=int(sum(p["slivers"] for p in first)),
                           settlement=_region_settlement(first, plan, layers, given, config))
    return layers, cand


def _lost(acc: pd.DataFrame, plan: Plan) -> tuple[str, ...]:
    """A problem line when the merged parcel table has fewer rows than the delivery has parcels.

    Every parcel is owned by the tile of its box centre and settled in some round, so this should
    never happen; if it does, the run log says so instead of losing parcels silently.
    """
    delivered = len(plan.order) + (len(plan.unplaced) if plan.unplaced is not None else 0)
    if len(acc) >= delivered:
        return ()
    msg = (f"Flurstücke: {delivered - len(acc)} von {delivered} gelieferten fehlen im Ergebnis der dask-Engine "
           f"(bitte melden; ohne '--engine dask' rechnen)")
    log.warning(msg)
    return (msg,)


def _shared_ids(acc: pd.DataFrame) -> tuple[str, ...]:
    """A problem line when parcels of different partitions carry the same id.

    A window makes the duplicates it sees unique (``#2``, ``#3`` … as the single path), but two
    parcels with one id far apart (no window sees both) keep it both: the run log names them
    instead of passing the ambiguity on silently.
    """
    ids = acc.loc[acc.geometry.notna(), "flstkennz"].astype(str)
    shared = ids[ids.duplicated(keep=False)].unique()
    if not len(shared):
        return ()
    shown = ", ".join(shared[:5]) + (" …" if len(shared) > 5 else "")
    msg = (f"Flurstücke: {len(shared)} Kennzeichen kommen in verschiedenen Partitionen mehrfach vor ({shown}); "
           f"die dask-Engine macht sie nicht eindeutig: die Kennzeichen in der Lieferung bereinigen oder ohne "
           f"'--engine dask' rechnen (dort erhalten sie '#2', '#3' …)")
    log.warning(msg)
    return (msg,)


def _area_rounds(config, plan: Plan, layers: Layers | None, scheduler, num_workers, say) -> tuple[list, list, list]:
    """Pass 3: the first round per tile, then rounds around what is not settled yet."""
    context = lambda task: _near(plan, task.window)  # noqa: E731
    first = _compute(_run_partition, config, _first_round(plan, layers), context, scheduler, num_workers, say,
                     "Partition")
    parts, rounds = list(first), [len(first)]
    deferred = pd.concat([p["deferred"] for p in first], ignore_index=True)
    k = 1
    while len(deferred):
        if k > 40:  # the margin has long covered any region: a bug, not bad input
            raise RuntimeError(f"{len(deferred)} Flurstücke nach {k} Runden nicht abgeschlossen")
        tasks = _next_round(plan, deferred, k, layers)
        say(f"Runde {k + 1}: {len(deferred)} Flurstücke in {len(tasks)} größeren Fenstern nachrechnen")
        done = _compute(_run_partition, config, tasks, context, scheduler, num_workers, say, f"Runde {k + 1}:")
        parts += done
        rounds.append(len(tasks))
        deferred = pd.concat([p["deferred"] for p in done], ignore_index=True)
        k += 1
    return parts, first, rounds


def assess_partitioned(config, *, tile_size_m: float = 2500.0, halo_m: float = 300.0, margin_m: float = 150.0,
                       scheduler="threads", num_workers: int | None = 2, layers: Layers | None = None,
                       progress: Callable[[str], None] | None = None) -> Assessment:
    """Run the assessment per spatial partition and concatenate the results.

    Parameters
    ----------
    config
        The configuration (as for :func:`nachverdichtung.pipeline.assess`).
    tile_size_m
        Edge of the square partition tiles in m.
    halo_m
        Context around each kept area in m: at least the largest search radius of any criterion.
    margin_m
        How far a tile's areas may reach beyond the tile in the first round (m); farther ones are
        computed again in a larger window.
    scheduler
        A :class:`distributed.Client` (see :func:`start_client`), or ``"threads"``, ``"processes"``,
        ``"synchronous"`` for a local dask scheduler.
    num_workers
        Workers for the local schedulers.
    layers
        Already loaded layers (no windowed reading; the partitions get their cut of them).

    Returns
    -------
    Assessment
        The same shape as the single-machine result; ``manifest["partitionen"]`` gives the number
        of tiles, ``manifest["runden"]`` the windows per round.
    """
    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    if layers is None:
        check_paths(config)
        say("Partitionen planen (Flurstücksumringe, Straßen, Blöcke)")
    plan = plan_partitions(config, tile_size_m=tile_size_m, halo_m=halo_m, margin_m=margin_m, layers=layers)
    timings["partitionieren"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    say(f"Baulinien: Gebäude in {len(plan.tiles)} Kacheln zuordnen")
    line_parts = _compute(_run_lines, config, _line_tasks(plan, layers), lambda task: _near(plan, task.read),
                          scheduler, num_workers, say, "Baulinien: Kachel")
    plan = _with_lines(plan, pd.concat([lines for lines, _ in line_parts], ignore_index=True), config)
    if plan.derives:
        plan = _with_settlement(plan, [c for _, c in line_parts if c is not None and len(c)], config)
    timings["baulinien"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    say(f"{len(plan.tiles)} Partitionen rechnen")
    parts, first, rounds = _area_rounds(config, plan, layers, scheduler, num_workers, say)
    timings["partitionen_rechnen"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    layers, cand = _merge(parts, first, plan, layers, config)
    timings["zusammenfuehren"] = round(time.perf_counter() - t0, 3)
    return _result(config, layers, cand, parts, first, rounds, started, timings, plan)


def _line_tasks(plan: Plan, layers: Layers | None) -> list[_LineTask]:
    """One building-pass task per tile; with ``layers`` each carries its cut of the buildings."""
    tasks = []
    for tile in plan.tiles:
        read = _grow(plan.tile_box(tile), BUILDING_REACH_M)
        b = layers.buildings.iloc[_rows_near(layers.buildings, shapely.box(*read))] if layers is not None else None
        tasks.append(_LineTask(tile=tile, origin=plan.origin, size=plan.size, read=read, buildings=b,
                               clusters=plan.derives))
    return tasks


def _result(config, layers: Layers, cand: CandidateResult, parts: list[dict], first: list[dict], rounds: list[int],
            started, timings: dict, plan: Plan) -> Assessment:
    """The merged assessment with its manifest, sensitivity sweep and scenario table."""
    summed = pd.DataFrame([p["zeiten_s"] for p in parts]).sum().round(3).to_dict() if parts else {}
    manifest = build_manifest(
        config, layers, started=started, timings=timings,
        counts={"flurstuecke": int(len(cand.parcels)), "flaechen": int(len(cand.areas)), "splitter": cand.slivers},
        zeiten_partitionen_summe_s=summed, partitionen=len(plan.tiles), runden=rounds, kachel_m=plan.size,
        halo_m=plan.halo, rand_m=plan.margin,
        gelesen={"flurstuecke": int(sum(p.get("parcels_gelesen", 0) for p in parts)),
                 "gebaeude": int(sum(p.get("gebaeude_gelesen", 0) for p in parts))},
        szenarien=first[0]["szenarien"] if first else [])  # per configuration, the same in every tile
    areas = cand.areas
    # levers and scenario classes are per area (computed in the tiles); the sweep needs all areas
    sens = sensitivity(areas, dict(config.criteria), missing=config.rating.missing, advisory=config.rating.advisory,
                       scenarios=config.scenarios)
    return Assessment(areas=areas, parcels=cand.parcels, layers=layers, candidates=cand, config=config,
                      criteria=tuple(config.criteria), manifest=manifest, sensitivity=sens,
                      scenario_table=comparison(areas, config.scenarios))


def start_client(*, workers: int = 2, scheduler: str | None = None):
    """A :class:`distributed.Client`: to the cluster at ``scheduler`` (``tcp://host:port``), or on a new
    ``LocalCluster`` of ``workers`` single-threaded worker processes.

    Raises
    ------
    ConfigError
        When the scheduler cannot be reached (one line, exit 2 on the command line).
    """
    from distributed import Client, LocalCluster  # optional dependency (pip install nachverdichtung[dask])

    if scheduler:
        try:
            return Client(scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"dask-Scheduler {scheduler} nicht erreichbar ({' '.join(str(exc).split())[:120]})",
                              key="--scheduler", fix="Adresse tcp://HOST:PORT eines laufenden dask-Schedulers "
                                                     "angeben oder '--scheduler' weglassen") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster)
