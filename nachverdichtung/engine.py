"""Distributed execution for large areas: the same assessment, run per spatial partition.

The region is cut into square tiles. A cheap pass on the driver gives the tile grid (the parcels'
bounding boxes, :func:`pyogrio.read_bounds`, no attributes), the street blocks of the whole region
and the extent of every street (roads: geometry and name only). Each partition then reads **only
its own window** of every input (``load_layers(config, window=…)``, see
:mod:`nachverdichtung.io.window`; rasters are read by window anyway) and runs the *same*
function as the single-machine path, :func:`nachverdichtung.pipeline.assess`, with the blocks of
the whole region. The window of a tile is the tile plus ``halo_m``, widened to

* every street block meeting that box (a block's rear-house count needs all of its buildings), and
* every street reaching it (the rear building line is a quantile over the whole street), plus twice
  ``STREET_SEARCH_M`` for the buildings those streets may be assigned and their other roads.

An area is kept by the tile that holds the centre of its main parcel's bounding box, a parcel by
the tile of its own box centre. Results equal the single-machine run as long as ``halo_m``
covers the largest search radius of any criterion (the default 300 m does).

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
import pyogrio
import shapely

from .candidates import STREET_SEARCH_M, CandidateResult, connected_streets, excluded_rows, street_blocks
from .errors import ConfigError
from .io.alkis import read_alkis, role_files
from .io.clean import geometry_array as _arr
from .layers import Layers, clean_polygons, load_layers
from .pipeline import Assessment, assess, build_manifest, check_paths
from .scenarios import comparison
from .sensitivity import sensitivity

log = logging.getLogger(__name__)

__all__ = ["assess_partitioned", "partition_grid", "partition_layers", "plan_partitions", "Plan", "start_client"]

#: Columns of the context layers a partition sends back for the maps and the report.
CONTEXT_COLUMNS = {"buildings": ["funktion", "geschosse", "kategorie"], "roads": ["art", "name"]}


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


@dataclass(frozen=True)
class Plan:
    """The driver's partition plan: grid, occupied tiles, blocks and street extents of the region.

    Attributes
    ----------
    origin, size, halo
        Grid origin, tile edge and halo in m.
    tiles
        Occupied tiles (column, row), sorted.
    blocks
        Street blocks of the whole region (``block_id`` is their global number).
    street_boxes
        Bounding box of every street (roads of one name connected, :func:`connected_streets`) as polygons.
    order
        Parcel bounding boxes in input order (columns ``xmin … ymax``, ``pos``), to restore the order.
    """

    origin: tuple[float, float]
    size: float
    halo: float
    tiles: tuple[tuple[int, int], ...]
    blocks: gpd.GeoDataFrame
    street_boxes: np.ndarray
    order: pd.DataFrame

    def halo_box(self, tile: tuple[int, int]):
        """The tile enlarged by the halo."""
        x0, y0 = self.origin[0] + tile[0] * self.size, self.origin[1] + tile[1] * self.size
        return shapely.box(x0 - self.halo, y0 - self.halo, x0 + self.size + self.halo, y0 + self.size + self.halo)

    def window(self, tile: tuple[int, int]) -> tuple[object, np.ndarray, tuple[float, ...]]:
        """``(context box, block positions, read window)`` of one tile (see the module docstring)."""
        box = self.halo_box(tile)
        hit = np.unique(self.blocks.sindex.query(box, predicate="intersects")) if len(self.blocks) else []
        ctx = shapely.box(*shapely.bounds(shapely.union_all([box, *_arr(self.blocks.geometry)[hit]])))
        read = ctx
        if len(self.street_boxes):
            near = shapely.STRtree(self.street_boxes).query(ctx, predicate="dwithin", distance=STREET_SEARCH_M)
            read = shapely.box(*shapely.bounds(shapely.union_all([ctx, *self.street_boxes[near]])))
        return ctx, np.asarray(hit, dtype=np.int64), tuple(shapely.bounds(read) + np.array([-1, -1, 1, 1])
                                                             * 2 * STREET_SEARCH_M)


def _street_boxes(roads: gpd.GeoDataFrame) -> np.ndarray:
    """The bounding box of every street component as a polygon."""
    if not len(roads):
        return np.zeros(0, dtype=object)
    comp = connected_streets(roads)
    b = pd.DataFrame(shapely.bounds(_arr(roads.geometry)), columns=["x0", "y0", "x1", "y1"]).groupby(comp)
    box = pd.concat([b["x0"].min(), b["y0"].min(), b["x1"].max(), b["y1"].max()], axis=1).to_numpy()
    return shapely.box(box[:, 0], box[:, 1], box[:, 2], box[:, 3])


def plan_partitions(config, *, tile_size_m: float, halo_m: float, layers: Layers | None = None) -> Plan:
    """The cheap driver pass: parcel boxes (no attributes), roads, street blocks of the whole region.

    With ``layers`` the plan is made from them (no reading).
    """
    if layers is not None:
        roads, bounds = layers.roads, shapely.bounds(_arr(layers.parcels.geometry))
    else:
        files = role_files(config.alkis, "parcels")
        if not files:
            raise ConfigError("die dask-Engine liest ALKIS-Daten fensterweise nur aus Shapefile-Ordnern und "
                              "GeoPackages", file=config.file, key="alkis.path",
                              fix="die Lieferung als Shapefile-Ordner oder GeoPackage angeben oder ohne "
                                  "'--engine dask' rechnen")
        bounds = np.concatenate([pyogrio.read_bounds(f, layer=lyr)[1].T for f, lyr in files])
        raw = read_alkis(config.alkis, target_crs=config.crs, roles=("roads",))["roads"].frame
        roads = clean_polygons(raw, what="Verkehrsflächen", problems=[]).reset_index(drop=True)
        roads["name"] = roads["name"].fillna("").astype(str) if "name" in roads else ""
    ok = np.isfinite(bounds).all(axis=1)
    order = pd.DataFrame(bounds[ok], columns=["xmin", "ymin", "xmax", "ymax"]).assign(pos=np.flatnonzero(ok))
    origin = (float(np.floor(bounds[ok, 0].min())), float(np.floor(bounds[ok, 1].min())))
    tiles = sorted(set(map(tuple, _centre_tiles(bounds[ok], origin, tile_size_m).tolist())))
    extent = gpd.GeoDataFrame(geometry=[shapely.box(*bounds[ok, 0:2].min(axis=0), *bounds[ok, 2:4].max(axis=0))],
                              crs=config.crs)
    cp = config.candidates
    blocks = street_blocks(roads, extent, margin_m=cp.block_margin_m, min_m2=cp.min_piece_m2)
    return Plan(origin=origin, size=tile_size_m, halo=halo_m, tiles=tuple(tiles), blocks=blocks,
                street_boxes=_street_boxes(roads), order=order)


def _rows_near(gdf: gpd.GeoDataFrame, geoms, distance: float = 0.0) -> np.ndarray:
    """Sorted unique positions of ``gdf`` rows intersecting (or within ``distance`` of) ``geoms``."""
    if len(gdf) == 0:
        return np.zeros(0, dtype=np.int64)
    geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
    if distance > 0:
        _, hit = gdf.sindex.query(geoms, predicate="dwithin", distance=distance)
    else:
        _, hit = gdf.sindex.query(geoms, predicate="intersects")
    return np.unique(hit)


def partition_layers(layers: Layers, halo_box, *, street_keys: np.ndarray) -> Layers:
    """The context of one partition: everything the areas inside ``halo_box`` can depend on.

    Parameters
    ----------
    layers
        The layers of the whole region (or of a read window that contains this context).
    halo_box
        The tile enlarged by the halo and its blocks (a shapely polygon).
    street_keys
        Street key of every road (:func:`connected_streets`): whole streets are taken so that their
        rear building line is the same as in the whole region.
    """
    parcels = layers.parcels.iloc[_rows_near(layers.parcels, halo_box)]
    # every street that can reach a parcel of the partition (front zones ≤ max building line + setback)
    near = _rows_near(layers.roads, halo_box, STREET_SEARCH_M)
    whole = np.flatnonzero(np.isin(street_keys, street_keys[near]))
    # every building that can be assigned to one of these streets (shapes the rear building line) …
    b_pos = np.union1d(_rows_near(layers.buildings, _arr(layers.roads.geometry)[whole], STREET_SEARCH_M),
                       _rows_near(layers.buildings, halo_box, STREET_SEARCH_M))
    buildings = layers.buildings.iloc[b_pos]
    # … and every road those buildings might be nearer to
    extra = _rows_near(layers.roads, _arr(buildings.geometry), STREET_SEARCH_M) if len(buildings) else near
    roads = layers.roads.iloc[np.union1d(whole, extra)]
    vectors = {name: gdf.iloc[_rows_near(gdf, halo_box)] for name, gdf in layers.vectors.items()}
    return layers.replace(parcels=parcels, buildings=buildings, roads=roads, vectors=vectors)


@dataclass(frozen=True)
class _Task:
    """What one partition needs: its tile, boxes, blocks and (for the in-memory path) its layers."""

    tile: tuple[int, int]
    origin: tuple[float, float]
    size: float
    context: object
    window: tuple[float, ...]
    blocks: gpd.GeoDataFrame
    layers: Layers | None = None


def _own(frame: gpd.GeoDataFrame, task: _Task) -> np.ndarray:
    """Whether the centre of each row's bounding box lies in the task's tile."""
    if not len(frame):
        return np.zeros(0, dtype=bool)
    tiles = _centre_tiles(shapely.bounds(_arr(frame.geometry)), task.origin, task.size)
    return _key(tiles) == _key(np.array(task.tile))[0]


def _run_partition(config, task: _Task) -> dict:
    """Read the window, assess it with :func:`assess` and keep what belongs to the tile."""
    t0 = time.perf_counter()
    if task.layers is None:
        loaded = load_layers(_windowed(config, task.window), window=task.window)
        sub, rows = partition_layers(loaded, task.context, street_keys=connected_streets(loaded.roads)), \
            {"parcels_gelesen": len(loaded.parcels), "gebaeude_gelesen": len(loaded.buildings)}
    else:
        sub, rows = task.layers, {}
    res = assess(config, layers=sub, blocks=task.blocks)
    areas, parcels = res.areas, sub.parcels
    pos = pd.to_numeric(areas["block_id"], errors="coerce").fillna(-1).astype(np.int64).to_numpy()
    areas = areas.assign(block_id=np.where(pos >= 0, task.blocks["block_id"].to_numpy()[np.maximum(pos, 0)], -1))
    tile_of = pd.Series(_own(parcels, task), index=parcels["flstkennz"].astype(str).to_numpy())
    main = areas["haupt_flurstueck"].astype(str).map(tile_of) if len(areas) else pd.Series([], dtype=object)
    keep = np.where(main.isna(), _own(areas, task), main.fillna(False).astype(bool)) if len(areas) else []
    acc = res.parcels[res.parcels.geometry.notna()]
    context = {role: gdf[_own(gdf, task)][[c for c in cols if c in gdf] + ["geometry"]]
               for role, cols in CONTEXT_COLUMNS.items() if (gdf := getattr(sub, role)) is not None}
    return {"areas": areas[np.asarray(keep, dtype=bool)], "parcels": acc[_own(acc, task)], "context": context,
            "streets": res.candidates.streets, "slivers": res.candidates.slivers,
            "hinterhaeuser": pd.Series(res.candidates.blocks["hinterhaeuser"].to_numpy(),
                                       index=task.blocks["block_id"].to_numpy()),
            "excluded": sub.excluded_parcels, "problems": list(res.layers.problems),
            "sources": dict(sub.sources), "unusable": dict(sub.unusable), "rasters": dict(sub.rasters),
            "vectors": {k: v.iloc[0:0] for k, v in sub.vectors.items()},
            "zeiten_s": res.manifest.get("zeiten_s", {}), "dauer_s": time.perf_counter() - t0,
            "szenarien": res.manifest.get("szenarien", []), "n_flaechen_halo": len(res.areas), **rows}


def _windowed(config, window: tuple[float, ...]):
    """The configuration of one partition: a database delivery is read inside the window, too."""
    return replace(config, alkis=replace(config.alkis, bbox=tuple(window))) if not config.alkis.bbox else config


def _tasks(config, plan: Plan, layers: Layers | None) -> list[_Task]:
    """One task per occupied tile; with ``layers`` each carries its cut of them."""
    keys = connected_streets(layers.roads) if layers is not None else None
    tasks = []
    for tile in plan.tiles:
        ctx, hit, window = plan.window(tile)
        sub = partition_layers(layers, ctx, street_keys=keys) if layers is not None else None
        if sub is not None:
            sub = sub.replace(problems=(), excluded_parcels=sub.excluded_parcels.iloc[0:0])
        tasks.append(_Task(tile=tile, origin=plan.origin, size=plan.size, context=ctx, window=window,
                           blocks=plan.blocks.iloc[hit].reset_index(drop=True), layers=sub))
    return tasks


def _compute(config, tasks: list[_Task], scheduler, num_workers, say) -> list[dict]:
    """Run the partitions: on a ``distributed.Client`` with progress, or with a local dask scheduler."""
    if not isinstance(scheduler, str):  # a distributed.Client
        from distributed import as_completed  # optional dependency (pip install nachverdichtung[dask])

        futures = [scheduler.submit(_run_partition, config, t, pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        parts: list = [None] * len(futures)
        for done, (future, part) in enumerate(as_completed(futures, with_results=True), start=1):
            parts[index[future.key]] = part
            say(f"Partition {done}/{len(futures)} fertig")
        return parts
    import dask  # optional dependency

    kw = {"num_workers": num_workers} if scheduler in ("threads", "processes") and num_workers else {}
    return list(dask.compute(*[dask.delayed(_run_partition)(config, t) for t in tasks], scheduler=scheduler, **kw))


def _restore_order(acc: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The parcel table in input order (matched by bounding box; unmatched rows keep their order at the end)."""
    b = pd.DataFrame(shapely.bounds(_arr(acc.geometry)), columns=["xmin", "ymin", "xmax", "ymax"])
    pos = b.merge(plan.order.drop_duplicates(["xmin", "ymin", "xmax", "ymax"]), how="left",
                  on=["xmin", "ymin", "xmax", "ymax"])["pos"].to_numpy(dtype=float)
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


def _driver_layers(parts: list[dict], layers: Layers | None, acc: gpd.GeoDataFrame, config) -> Layers:
    """The layers the exports see: the given ones, or the partitions' context (few columns each)."""
    problems = tuple(dict.fromkeys(m for p in parts for m in p["problems"]))
    excluded = pd.concat([p["excluded"] for p in parts] or [pd.DataFrame(columns=["flstkennz", "grund"])],
                         ignore_index=True).drop_duplicates()
    if layers is not None:
        return layers.replace(excluded_parcels=excluded if not len(layers.excluded_parcels)
                              else layers.excluded_parcels)
    crs = config.crs
    ctx = {role: gpd.GeoDataFrame(pd.concat([p["context"][role] for p in parts], ignore_index=True),
                                  geometry="geometry", crs=crs) for role in CONTEXT_COLUMNS}
    first = parts[0] if parts else {}
    parcels = acc[acc.geometry.notna()][["flstkennz", "gemarkung", "flur", "zaehler", "nenner", "geometry"]]
    return Layers(parcels=gpd.GeoDataFrame(parcels, geometry="geometry", crs=crs), buildings=ctx["buildings"],
                  roads=ctx["roads"], landuse=gpd.GeoDataFrame({"nutzung": []}, geometry=[], crs=crs), crs=crs,
                  vectors=first.get("vectors", {}), rasters=first.get("rasters", {}), problems=problems,
                  sources=first.get("sources", {}), excluded_parcels=excluded,
                  unusable={k: v for p in parts for k, v in p["unusable"].items()})


def _merge(parts: list[dict], plan: Plan, layers: Layers | None, config) -> tuple[Layers, CandidateResult]:
    """One candidate result and the driver's layers from the partitions' pieces."""
    crs = config.crs
    areas = _merge_areas(parts, crs)
    acc = pd.concat([p["parcels"] for p in parts], ignore_index=True)
    acc = gpd.GeoDataFrame(_restore_order(acc, plan), geometry="geometry", crs=crs)
    layers = _driver_layers(parts, layers, acc, config)
    acc = gpd.GeoDataFrame(excluded_rows(acc, layers.excluded_parcels), geometry="geometry", crs=crs)
    blocks = plan.blocks.copy()
    hh = pd.concat([p["hinterhaeuser"] for p in parts])
    blocks["hinterhaeuser"] = hh[~hh.index.duplicated()].reindex(blocks["block_id"]).fillna(0).astype(np.int64) \
        .to_numpy()
    streets = pd.concat([p["streets"] for p in parts], ignore_index=True)
    streets = gpd.GeoDataFrame(streets.drop_duplicates(subset="name", keep="first")
                               if "name" in streets else streets, geometry="geometry", crs=crs)
    cand = CandidateResult(areas=areas, parcels=acc, streets=streets, blocks=blocks,
                           slivers=int(sum(p["slivers"] for p in parts)))
    return layers, cand


def assess_partitioned(config, *, tile_size_m: float = 2500.0, halo_m: float = 300.0, scheduler="threads",
                       num_workers: int | None = 2, layers: Layers | None = None,
                       progress: Callable[[str], None] | None = None) -> Assessment:
    """Run the assessment per spatial partition and concatenate the results.

    Parameters
    ----------
    config
        The configuration (as for :func:`nachverdichtung.pipeline.assess`).
    tile_size_m
        Edge of the square partition tiles in m.
    halo_m
        Context around each tile in m: at least the largest search radius of any criterion.
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
        of partitions.
    """
    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    if layers is None:
        check_paths(config)
        say("Partitionen planen (Flurstücksumringe, Straßen, Blöcke)")
    plan = plan_partitions(config, tile_size_m=tile_size_m, halo_m=halo_m, layers=layers)
    tasks = _tasks(config, plan, layers)
    timings["partitionieren"] = round(time.perf_counter() - t0, 3)
    say(f"{len(tasks)} Partitionen rechnen")
    t0 = time.perf_counter()
    parts = _compute(config, tasks, scheduler, num_workers, say)
    timings["partitionen_rechnen"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    layers, cand = _merge(parts, plan, layers, config)
    timings["zusammenfuehren"] = round(time.perf_counter() - t0, 3)
    summed = pd.DataFrame([p["zeiten_s"] for p in parts]).sum().round(3).to_dict() if parts else {}
    manifest = build_manifest(
        config, layers, started=started, timings=timings,
        counts={"flurstuecke": int(len(cand.parcels)), "flaechen": int(len(cand.areas)), "splitter": cand.slivers},
        zeiten_partitionen_summe_s=summed, partitionen=len(tasks), kachel_m=tile_size_m, halo_m=halo_m,
        flaechen_mit_halo=int(sum(p["n_flaechen_halo"] for p in parts)),
        gelesen={"flurstuecke": int(sum(p.get("parcels_gelesen", 0) for p in parts)),
                 "gebaeude": int(sum(p.get("gebaeude_gelesen", 0) for p in parts))},
        szenarien=parts[0]["szenarien"] if parts else [])  # per configuration, the same in every tile
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
