"""Dask execution for large areas: the same assessment, run per spatial partition.

The per-area logic needs only local context, so a region is cut into square tiles of parcels.
Each tile gets a halo of context (parcels, buildings and thematic layers within ``halo_m``; whole
streets, with every building that can shape their rear building line; rasters are read by window
anyway) and runs the *same* function as the single-machine path,
:func:`nachverdichtung.pipeline.assess` (candidates → criteria → rating). An area is kept by the
tile that holds its main parcel, a parcel by the tile that holds its representative point, and
the pieces are concatenated.

Results equal the single-machine run as long as ``halo_m`` covers a street block plus the
largest search radius of any criterion (the default 300 m does for ordinary blocks). Block
numbers (``block_id``) are renumbered against the blocks of the whole region.

Examples
--------
>>> from nachverdichtung.config import load_config
>>> result = assess_partitioned(load_config("config.yml"), tile_size_m=2500)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .candidates import STREET_SEARCH_M, CandidateResult, connected_streets, excluded_rows, point_in, street_blocks
from .layers import Layers, load_layers
from .pipeline import Assessment, assess, build_manifest, check_paths
from .scenarios import comparison
from .sensitivity import sensitivity
from .io.clean import geometry_array as _arr

log = logging.getLogger(__name__)

__all__ = ["assess_partitioned", "partition_grid", "partition_layers"]


def partition_grid(parcels: gpd.GeoDataFrame, tile_size_m: float) -> tuple[np.ndarray, tuple[float, float]]:
    """Tile (column, row) of each parcel's representative point on a square grid.

    Returns
    -------
    (ndarray of shape (n, 2), (x0, y0))
        Integer tile column/row of every parcel and the grid origin.
    """
    pts = shapely.point_on_surface(_arr(parcels.geometry))
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    x0, y0 = float(np.floor(np.nanmin(x))), float(np.floor(np.nanmin(y)))
    tiles = np.stack([np.floor((x - x0) / tile_size_m), np.floor((y - y0) / tile_size_m)], axis=1).astype(np.int64)
    return tiles, (x0, y0)


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
        The layers of the whole region.
    halo_box
        The tile enlarged by the halo (a shapely polygon).
    street_keys
        Street key of every road (its name, or a unique key for unnamed roads): whole streets are
        taken so that their rear building line is the same as in the whole region.
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
    return layers.replace(parcels=parcels, buildings=buildings, roads=roads, vectors=vectors, problems=(),
                          sources={}, excluded_parcels=layers.excluded_parcels.iloc[0:0])


def _key(tiles: np.ndarray) -> np.ndarray:
    """One integer per tile (column, row)."""
    tiles = np.asarray(tiles, dtype=np.int64).reshape(-1, 2)
    return tiles[:, 0] * (1 << 31) + tiles[:, 1]


def _run_partition(config, sub: Layers, tile: int, tile_of_parcel: pd.Series, grid: tuple, size: float):
    """Assess one partition with :func:`assess` and keep what belongs to its core tile."""
    t0 = time.perf_counter()
    res = assess(config, layers=sub)
    areas = res.areas
    pts = shapely.point_on_surface(_arr(areas.geometry))
    own = np.stack([np.floor((shapely.get_x(pts) - grid[0]) / size),
                    np.floor((shapely.get_y(pts) - grid[1]) / size)], axis=1).astype(np.int64)
    main = areas["haupt_flurstueck"].astype(str) if len(areas) else pd.Series([], dtype=object)
    # the tile of the main parcel; planner areas without one go by their representative point
    at = main.map(tile_of_parcel).to_numpy(dtype=float)
    at = np.where(np.isnan(at), _key(own), at) if len(areas) else at
    keep = at == tile
    acc = res.parcels
    acc = acc[acc["flstkennz"].map(tile_of_parcel).to_numpy(dtype=float) == tile]
    blocks = res.candidates.blocks
    bp = shapely.point_on_surface(_arr(blocks.geometry))
    bt = np.stack([np.floor((shapely.get_x(bp) - grid[0]) / size),
                   np.floor((shapely.get_y(bp) - grid[1]) / size)], axis=1).astype(np.int64)
    bkeep = _key(bt) == tile
    return {"areas": areas[keep], "parcels": acc, "streets": res.candidates.streets,
            "blocks": blocks[bkeep][["hinterhaeuser", "geometry"]], "slivers": res.candidates.slivers,
            "zeiten_s": res.manifest.get("zeiten_s", {}), "dauer_s": time.perf_counter() - t0,
            "szenarien": res.manifest.get("szenarien", []),
            "n_flaechen_halo": len(areas)}


def assess_partitioned(config, *, tile_size_m: float = 2500.0, halo_m: float = 300.0, scheduler="threads",
                       num_workers: int | None = 2, layers: Layers | None = None,
                       progress: Callable[[str], None] | None = None) -> Assessment:
    """Run the assessment per spatial partition with dask and concatenate the results.

    Parameters
    ----------
    config
        The configuration (as for :func:`nachverdichtung.pipeline.assess`).
    tile_size_m
        Edge of the square partition tiles in m.
    halo_m
        Context around each tile in m: at least one street block plus the largest search radius
        of any criterion.
    scheduler
        ``"threads"``, ``"processes"``, ``"synchronous"`` or a ``dask.distributed.Client``.
    num_workers
        Workers for the local schedulers.
    layers
        Already loaded layers (skips loading).

    Returns
    -------
    Assessment
        The same shape as the single-machine result; ``manifest["partitionen"]`` gives the number
        of partitions.
    """
    import dask  # optional dependency (pip install nachverdichtung[dask])

    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    started = datetime.now(timezone.utc)
    if layers is None:
        check_paths(config)
        t0 = time.perf_counter()
        layers = load_layers(config, progress=say)
        timings["laden"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    tiles, grid = partition_grid(layers.parcels, tile_size_m)
    kennz = layers.parcels["flstkennz"].astype(str).to_numpy()
    tile_of_parcel = pd.Series(_key(tiles), index=kennz)
    # all road kinds are linked (a superset of the street roads): more context than needed, never less
    street_keys = connected_streets(layers.roads)
    occupied = sorted(set(map(tuple, tiles.tolist())))
    tasks = []
    for tx, ty in occupied:
        x0, y0 = grid[0] + tx * tile_size_m, grid[1] + ty * tile_size_m
        halo_box = shapely.box(x0 - halo_m, y0 - halo_m, x0 + tile_size_m + halo_m, y0 + tile_size_m + halo_m)
        sub = partition_layers(layers, halo_box, street_keys=street_keys)
        tasks.append(dask.delayed(_run_partition)(config, sub, int(_key(np.array([tx, ty]))[0]), tile_of_parcel,
                                                  grid, tile_size_m))
    timings["partitionieren"] = round(time.perf_counter() - t0, 3)
    say(f"{len(tasks)} Partitionen rechnen")
    t0 = time.perf_counter()
    if isinstance(scheduler, str):
        kw = {"num_workers": num_workers} if scheduler in ("threads", "processes") and num_workers else {}
        parts = dask.compute(*tasks, scheduler=scheduler, **kw)
    else:  # a dask.distributed Client
        parts = scheduler.gather(scheduler.compute(tasks))
    timings["partitionen_rechnen"] = round(time.perf_counter() - t0, 3)

    t0 = time.perf_counter()
    crs = layers.parcels.crs
    areas = pd.concat([p["areas"] for p in parts])
    areas = areas[~areas.index.duplicated(keep="first")]
    key = np.where(areas["quelle"].astype(str).to_numpy() == "planer", 0, 1) if len(areas) else np.zeros(0)
    areas = areas.assign(_k=key).sort_values(["_k", "flaeche_id"], kind="stable").drop(columns="_k") \
        if len(areas) else areas
    blocks = street_blocks(layers.roads, layers.parcels)
    if len(areas):
        areas["block_id"] = point_in(blocks, shapely.point_on_surface(_arr(areas.geometry)))
    pb = pd.concat([p["blocks"] for p in parts])
    hh = np.zeros(len(blocks), dtype=np.int64)
    if len(pb):
        pos = point_in(blocks, shapely.point_on_surface(_arr(pb.geometry)))
        hh[pos[pos >= 0]] = pb["hinterhaeuser"].to_numpy()[pos >= 0]
    blocks["hinterhaeuser"] = hh
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=crs)
    areas.index.name = "flaeche_id"

    acc = pd.concat([p["parcels"] for p in parts])
    order = pd.Index(kennz).get_indexer(acc["flstkennz"].astype(str))
    acc = acc.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    acc = excluded_rows(gpd.GeoDataFrame(acc, geometry="geometry", crs=crs), layers.excluded_parcels)
    acc = gpd.GeoDataFrame(acc, geometry="geometry", crs=crs)
    streets = pd.concat([p["streets"] for p in parts], ignore_index=True)
    streets = gpd.GeoDataFrame(streets.drop_duplicates(subset="name", keep="first")
                               if "name" in streets else streets, geometry="geometry", crs=crs)
    cand = CandidateResult(areas=areas, parcels=acc, streets=streets, blocks=blocks,
                           slivers=int(sum(p["slivers"] for p in parts)))
    timings["zusammenfuehren"] = round(time.perf_counter() - t0, 3)
    summed: dict[str, float] = {}
    for p in parts:
        for k, v in p["zeiten_s"].items():
            summed[k] = round(summed.get(k, 0.0) + v, 3)
    manifest = build_manifest(
        config, layers, started=started, timings=timings,
        counts={"flurstuecke": int(len(acc)), "flaechen": int(len(areas)), "splitter": cand.slivers},
        zeiten_partitionen_summe_s=summed, partitionen=len(tasks), kachel_m=tile_size_m, halo_m=halo_m,
        flaechen_mit_halo=int(sum(p["n_flaechen_halo"] for p in parts)),
        szenarien=parts[0]["szenarien"] if parts else [])  # per configuration, the same in every tile
    # levers and scenario classes are per area (computed in the tiles); the sweep needs all areas
    sens = sensitivity(areas, dict(config.criteria), missing=config.rating.missing, advisory=config.rating.advisory,
                       scenarios=config.scenarios)
    return Assessment(areas=areas, parcels=acc, layers=layers, candidates=cand, config=config,
                      criteria=tuple(config.criteria), manifest=manifest, sensitivity=sens,
                      scenario_table=comparison(areas, config.scenarios))
