"""Benchmark: every stage of a run at 1k, 10k and 100k parcels, against the I/O floor and rasterstats.

One command::

    python scripts/benchmark.py                 # 1k, 10k, 100k parcels (+ dask engine at 100k)
    python scripts/benchmark.py --with-1m       # also 1M parcels
    python scripts/benchmark.py --smoke --out /tmp/b   # 1k parcels, minimal (the test suite runs this)

Each size runs in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own. Sample
districts are generated once with :func:`nachverdichtung.sample.generate_sample` (a simple grid
fallback is used while the generator is unavailable; the JSON says which) and cached under
``data/processed/benchmark/data_<N>/``.

Outputs: ``benchmark.json`` and ``benchmark.md`` in the output folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data" / "processed" / "benchmark"
EXPORTS = ("gpkg", "csv", "shp", "xlsx", "map", "report")
REPORT_MAX_AREAS = 200

# --------------------------------------------------------------------------------------------------
# sample data


def _sample_generator():
    try:
        from nachverdichtung.sample import generate_sample
    except ImportError:
        return None
    return generate_sample


def fallback_sample(out: Path, n_parcels: int, seed: int = 42) -> Path:
    """A plain grid district (blocks of 2 × 10 parcels between streets, a DEM) as a stand-in.

    Written in the AdV "ALKIS vereinfacht" schema (GeoPackage) with a 2 m DEM; returns the
    ``config.yml`` path.
    """
    import numpy as np
    import pandas as pd
    import geopandas as gpd
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    crs = "EPSG:25832"
    x0, y0 = 400_000.0, 5_500_000.0
    per_block, bw, bd, sw = 20, 200.0, 100.0, 12.0
    n_blocks = math.ceil(n_parcels / per_block)
    nbx = max(1, round(math.sqrt(n_blocks * (bd + sw) / (bw + sw))))
    nby = math.ceil(n_blocks / nbx)
    blk = np.arange(n_blocks)
    bx, by = blk % nbx, blk // nbx
    ox, oy = x0 + bx * (bw + sw), y0 + by * (bd + sw)
    # parcels: 10 per row, cut points jittered
    cuts = np.tile(np.arange(11) * 20.0, (n_blocks, 1))
    cuts[:, 1:-1] += rng.uniform(-3, 3, (n_blocks, 9))
    i = np.tile(np.arange(10), n_blocks)
    b = np.repeat(blk, 10)
    xa, xb = ox[b] + cuts[b, i], ox[b] + cuts[b, i + 1]
    south = shapely.box(xa, oy[b], xb, oy[b] + bd / 2)
    north = shapely.box(xa, oy[b] + bd / 2, xb, oy[b] + bd)
    geoms = np.concatenate([south, north])[:n_parcels]
    pb = np.concatenate([b, b])[:n_parcels]
    side = np.r_[np.zeros(len(b)), np.ones(len(b))][:n_parcels].astype(bool)
    pxa, pxb = np.r_[xa, xa][:n_parcels], np.r_[xb, xb][:n_parcels]
    n = len(geoms)
    gem = 2000 + pb // 400
    flur = (pb // 20) % 400 + 1
    zae = pd.Series(np.arange(n)).groupby([gem, flur]).cumcount().to_numpy() + 1
    kennz = [f"07{g:04d}{f:03d}{z:05d}0000__" for g, f, z in zip(gem, flur, zae)]
    parcels = gpd.GeoDataFrame({"flstkennz": kennz, "gemarkung": gem.astype(str), "flur": flur,
                                "flstnrzae": zae, "flstnrnen": 0, "flaeche": np.round(shapely.area(geoms), 1)},
                               geometry=geoms, crs=crs)
    # buildings: a house near the street, some garages, some rear houses
    yb = oy[pb]
    mid = (pxa + pxb) / 2
    hy0 = np.where(side, yb + bd - 17, yb + 5)
    house = shapely.box(mid - 5, hy0, mid + 5, hy0 + 12)
    has_house = rng.random(n) > 0.05
    gar = rng.random(n) < 0.3
    gy0 = np.where(side, yb + bd - 11, yb + 5)
    garage = shapely.box(pxb - 3.5, gy0, pxb - 0.5, gy0 + 6)
    rear = rng.random(n) < 0.12
    ry0 = np.where(side, yb + bd - 42, yb + 30)
    rear_house = shapely.box(mid - 5, ry0, mid + 5, ry0 + 10)
    bgeoms = np.concatenate([house[has_house], garage[gar], rear_house[rear]])
    funktion = np.r_[np.full(has_house.sum(), 1010), np.full(gar.sum(), 2463), np.full(rear.sum(), 1010)]
    buildings = gpd.GeoDataFrame({"gfkzshh": funktion, "anzahlgs": 2}, geometry=bgeoms, crs=crs)
    # streets: a horizontal segment south of each block and on top of the last row, vertical ones west
    hx, hy = ox - sw, oy - sw
    roads = [shapely.box(hx, hy, ox + bw, oy)]
    names = [[f"Straße {r}-{c // 5}" for r, c in zip(by, bx)]]
    top = by == nby - 1
    roads.append(shapely.box(hx[top], oy[top] + bd, ox[top] + bw, oy[top] + bd + sw))
    names.append([f"Straße {nby}-{c // 5}" for c in bx[top]])
    roads.append(shapely.box(hx, oy, ox, oy + bd))
    names.append([f"Weg {c}-{r // 5}" for r, c in zip(by, bx)])
    right = bx == nbx - 1
    roads.append(shapely.box(ox[right] + bw, oy[right] - sw, ox[right] + bw + sw, oy[right] + bd))
    names.append([f"Weg {nbx}-{r // 5}" for r in by[right]])
    rgeoms = np.concatenate(roads)
    rnames = sum(names, [])
    u = rng.random(n_blocks)
    cls = np.where(u < 0.85, "Wohnbaufläche", np.where(u < 0.95, "Fläche gemischter Nutzung",
                                                       "Industrie- und Gewerbefläche"))
    nutzung = gpd.GeoDataFrame({"nutzart": np.r_[cls, np.full(len(rgeoms), "Straßenverkehr")],
                                "bez": np.r_[np.full(n_blocks, ""), rnames]},
                               geometry=np.r_[shapely.box(ox, oy, ox + bw, oy + bd), rgeoms], crs=crs)
    gpkg = out / "alkis.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    parcels.to_file(gpkg, layer="Flurstueck", driver="GPKG")
    buildings.to_file(gpkg, layer="GebaeudeBauwerk", driver="GPKG")
    nutzung.to_file(gpkg, layer="Nutzung", driver="GPKG")
    # DEM: gentle hills plus a few steep spots, 2 m pixels
    res = 2.0
    left, bottom = x0 - 60, y0 - 60
    right_, top_ = x0 + nbx * (bw + sw) + 60, y0 + nby * (bd + sw) + 60
    w, h = int(math.ceil((right_ - left) / res)), int(math.ceil((top_ - bottom) / res))
    with rasterio.open(out / "dgm.tif", "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs=crs, transform=from_origin(left, top_, res, res), nodata=-9999.0, tiled=True,
                       blockxsize=256, blockysize=256, compress="deflate") as ds:
        for r0 in range(0, h, 1024):
            rows = min(1024, h - r0)
            yy = (top_ - (np.arange(r0, r0 + rows) + 0.5) * res)[:, None]
            xx = (left + (np.arange(w) + 0.5) * res)[None, :]
            z = 100 + 8 * np.sin(xx / 170.0) * np.cos(yy / 230.0) + 0.02 * (xx - left) + 25 * np.sin(xx / 37.0) ** 8
            ds.write(z.astype("float32"), 1, window=rasterio.windows.Window(0, r0, w, rows))
    cfg = out / "config.yml"
    cfg.write_text("alkis:\n  path: alkis.gpkg\n  preset: vereinfacht\ninputs:\n  dem:\n    path: dgm.tif\n",
                   encoding="utf-8")
    return cfg


def ensure_data(folder: Path, n: int, *, seed: int = 42) -> dict:
    """Generate (or reuse) the district with ``n`` parcels; returns ``{config, generator}``."""
    gen = _sample_generator()
    kind = "generate_sample" if gen is not None else "fallback"
    marker = folder / "benchmark_generator.txt"
    cfg = folder / "config.yml"
    if marker.exists() and marker.read_text().strip() == kind:
        found = sorted(folder.rglob("config.yml"))
        if found:
            return {"config": str(found[0]), "generator": kind}
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    if gen is not None:
        cfg = Path(gen(folder / "sample", n_parcels=n, seed=seed))
    else:
        cfg = fallback_sample(folder, n, seed)
    marker.write_text(kind + "\n")
    return {"config": str(cfg), "generator": kind, "generate_s": time.perf_counter() - t0}


# --------------------------------------------------------------------------------------------------
# measuring one size (runs in a fresh subprocess)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _vector_files(config) -> list[tuple[Path, str | None]]:
    """Every vector input of a configuration as (file, layer or None for all layers)."""
    import pyogrio

    out = []
    p = Path(config.alkis.path)
    files = sorted(p.glob("*.shp")) if p.is_dir() else [p]
    for f in files:
        if f.suffix.lower() == ".dxf":
            out.append((f, None))
            continue
        for layer, _ in pyogrio.list_layers(f):
            out.append((f, layer))
    for f in dataclasses.fields(config.inputs):
        src = getattr(config.inputs, f.name)
        if src is None or Path(src.path).suffix.lower() in (".tif", ".tiff", ".asc", ".vrt", ".img"):
            continue
        out.append((Path(src.path), src.layer))
    return out


def io_floor_read(config) -> tuple[float, int]:
    """Read every vector input with pyogrio (no processing); seconds and feature count."""
    import pyogrio

    t0 = time.perf_counter()
    n = 0
    for path, layer in _vector_files(config):
        kw = {"layer": layer} if layer else {}
        if path.suffix.lower() in (".csv", ".txt"):
            df = pyogrio.read_dataframe(path, read_geometry=False, **kw)
        else:
            df = pyogrio.read_dataframe(path, use_arrow=True, **kw)
        n += len(df)
    return time.perf_counter() - t0, n


def io_floor_write(assessment, folder: Path) -> float:
    """Write the two GeoPackage layers of the result with pyogrio, without any preparation."""
    import pyogrio

    path = folder / "floor.gpkg"
    t0 = time.perf_counter()
    areas = assessment.areas.reset_index()
    for col in areas.columns:
        if str(areas[col].dtype) in ("string", "str"):
            areas[col] = areas[col].astype(object)
    pyogrio.write_dataframe(areas, path, layer="bewertung", driver="GPKG")
    parcels = assessment.parcels[assessment.parcels.geometry.notna()]
    pyogrio.write_dataframe(parcels, path, layer="flurstuecke", driver="GPKG")
    return time.perf_counter() - t0


def _warm(config) -> None:
    """Read every input file once so that all timings see the same (warm) page cache."""
    paths = [Path(config.alkis.path)] + [Path(getattr(config.inputs, f.name).path)
                                         for f in dataclasses.fields(config.inputs)
                                         if getattr(config.inputs, f.name) is not None]
    for p in paths:
        for f in ([p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file())):
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass


def run_pipeline(config, timings: dict):
    """The stages of :func:`nachverdichtung.pipeline.assess`, each timed (unrounded)."""
    import geopandas as gpd
    import pandas as pd

    from nachverdichtung import __version__
    from nachverdichtung.candidates import derive_candidates
    from nachverdichtung.config import dump_config
    from nachverdichtung.criteria import REGISTRY
    from nachverdichtung.layers import load_layers
    from nachverdichtung.pipeline import Assessment, decide, evaluate_criteria, file_hash
    from nachverdichtung.rating import rate

    t0 = time.perf_counter()
    layers = load_layers(config)
    timings["laden"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cand = derive_candidates(layers, config.candidates)
    timings["kandidaten"] = time.perf_counter() - t0
    areas = cand.areas
    frames = []
    for name, params in config.criteria.items():
        t0 = time.perf_counter()
        frames.append(evaluate_criteria(areas, layers, {name: params}))
        timings[f"kriterium_{name}"] = time.perf_counter() - t0
    crit = pd.concat(frames, axis=1) if frames else pd.DataFrame(index=areas.index)
    t0 = time.perf_counter()
    names = tuple(config.criteria)
    rated = rate(crit, names, {n: REGISTRY[n].title for n in names}, missing=config.rating.missing,
                 advisory=config.rating.advisory)
    result = gpd.GeoDataFrame(pd.concat([areas.drop(columns="geometry"), crit, rated], axis=1),
                              geometry=areas.geometry, crs=areas.crs)
    result.index.name = "flaeche_id"
    timings["bewertung"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result, sens, table, _ = decide(result, layers, config, lambda msg: None, {})
    timings["hebel_szenarien_sensitivitaet"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    manifest = {
        "software": {"nachverdichtung": __version__, "python": platform.python_version()},
        "gestartet": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "konfiguration": str(config.file) if config.file else None,
        "eingaben": {name: {"pfad": path, "sha256": file_hash(Path(path)) if Path(path).exists() else None,
                            "geaendert": None} for name, path in layers.sources.items()},
        "anzahl": {"flurstuecke": int(len(cand.parcels)), "flaechen": int(len(result)), "splitter": cand.slivers},
        "protokoll": list(layers.problems),
        "konfiguration_effektiv": dump_config(config),
    }
    timings["manifest_hashes"] = time.perf_counter() - t0
    manifest["zeiten_s"] = dict(timings)
    return Assessment(areas=result, parcels=cand.parcels, layers=layers, candidates=cand, config=config,
                      criteria=names, manifest=manifest, sensitivity=sens, scenario_table=table)


#: The 9-point sweep: the base and eight relative steps of every re-ratable threshold.
SWEEP_9 = (-0.2, -0.15, -0.1, -0.05, 0.05, 0.1, 0.15, 0.2)


def sweep_9(assessment) -> dict:
    """Time a 9-point sensitivity sweep (re-rating the stored measures) of every re-ratable threshold."""
    from nachverdichtung.sensitivity import sensitivity

    cfg = assessment.config
    t0 = time.perf_counter()
    table = sensitivity(assessment.areas, dict(cfg.criteria), missing=cfg.rating.missing,
                        advisory=cfg.rating.advisory, factors=SWEEP_9, scenarios=cfg.scenarios)
    seconds = time.perf_counter() - t0
    varied = table[table["parameter"] != ""]
    out = {"zeit_s": seconds, "schwellen": int(len(varied[["kriterium", "parameter"]].drop_duplicates())),
           "neubewertungen": int(len(varied)), "flaechen": int(len(assessment.areas)),
           "max_geaendert": int(varied["geaendert"].max()) if len(varied) else 0}
    n = len(assessment.areas)
    if 0 < n < 10_000:  # re-rating cost depends only on the number of rows: repeat the measured areas
        import pandas as pd

        reps = -(-10_000 // n)
        big = pd.DataFrame(pd.concat([pd.DataFrame(assessment.areas.drop(columns="geometry"))] * reps,
                                     ignore_index=True))
        t0 = time.perf_counter()
        sensitivity(big, dict(cfg.criteria), missing=cfg.rating.missing, advisory=cfg.rating.advisory,
                    factors=SWEEP_9, scenarios=cfg.scenarios)
        out["zeit_10000_flaechen_s"] = time.perf_counter() - t0
        out["flaechen_wiederholt"] = int(len(big))
    return out


def run_exports(assessment, folder: Path, formats, timings: dict, notes: dict) -> None:
    """Time each export writer on its own; missing writers are skipped with a note."""
    import importlib

    from nachverdichtung.export import WRITERS

    for fmt in formats:
        if fmt not in WRITERS:
            notes[f"export_{fmt}"] = "kein Writer registriert"
            continue
        module, func = WRITERS[fmt].split(":")
        try:
            writer = getattr(importlib.import_module(module), func)
        except (ImportError, AttributeError) as exc:
            notes[f"export_{fmt}"] = f"übersprungen: Writer fehlt ({exc.__class__.__name__})"
            continue
        subject = assessment
        if fmt in ("report", "pdf") and len(assessment.areas) > REPORT_MAX_AREAS:
            subject = dataclasses.replace(assessment, areas=assessment.areas.iloc[:REPORT_MAX_AREAS])
            notes[f"export_{fmt}"] = f"Teilmenge: erste {REPORT_MAX_AREAS} von {len(assessment.areas)} Flächen"
        target = folder / f"export_{fmt}"
        target.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        try:
            files = writer(subject, target)
        except Exception as exc:  # a broken writer must not stop the benchmark
            notes[f"export_{fmt}"] = f"Fehler: {exc.__class__.__name__}: {str(exc)[:200]}"
            continue
        timings[f"export_{fmt}"] = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
        notes.setdefault(f"export_{fmt}", f"{len(files or [])} Datei(en), {size / 1e6:.1f} MB")


def zonal_baseline(assessment, max_areas: int) -> dict:
    """rasterstats.zonal_stats vs nachverdichtung.zonal.zonal_stats: DEM mean/min/max/p90 of the areas."""
    import numpy as np

    from nachverdichtung.zonal import zonal_stats

    dem = assessment.layers.raster("dem")
    if dem is None or len(assessment.areas) == 0:
        return {"hinweis": "kein DGM oder keine Flächen"}
    script = ROOT / "scripts" / "zonal_benchmark.py"
    geoms = assessment.areas.geometry
    n = len(geoms)
    k = min(n, max_areas)
    sub = geoms.iloc[np.linspace(0, n - 1, k).astype(int)] if k < n else geoms
    from rasterstats import zonal_stats as rs_zonal

    t0 = time.perf_counter()
    rs = rs_zonal(list(sub.array), str(dem.path), stats=["mean", "min", "max", "percentile_90"],
                  nodata=dem.nodata)
    t_rs = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours_sub = zonal_stats(sub, dem, percentiles=(90,))
    t_ours_sub = time.perf_counter() - t0
    t0 = time.perf_counter()
    zonal_stats(geoms, dem, percentiles=(90,))
    t_ours = time.perf_counter() - t0
    rs_mean = np.array([r["mean"] if r["mean"] is not None else np.nan for r in rs], dtype=float)
    ok = ~np.isnan(rs_mean)
    diff = float(np.nanmax(np.abs(rs_mean[ok] - ours_sub["mean"].to_numpy()[ok]))) if ok.any() else None
    t_rs_all = t_rs * n / k
    return {
        "flaechen": n, "flaechen_rasterstats": k, "rasterstats_s": t_rs,
        "rasterstats_alle_s": t_rs_all, "rasterstats_hochgerechnet": k < n,
        "eigene_teilmenge_s": t_ours_sub, "eigene_alle_s": t_ours,
        "faktor_gleiche_teilmenge": t_rs / t_ours_sub if t_ours_sub else None,
        "faktor_alle": t_rs_all / t_ours if t_ours else None,
        "max_abweichung_mittel": diff,
        "hinweis": ("scripts/zonal_benchmark.py vorhanden; hier direkt gemessen" if script.exists()
                    else "direkt gemessen (scripts/zonal_benchmark.py fehlt)"),
    }


def worker(config_path: str, workdir: str, *, formats, zonal_max: int, engine: bool, tile_size_m: float,
           scheduler: str) -> dict:
    """Measure one size; returns a JSON-able dict."""
    from nachverdichtung.config import load_config

    config = load_config(config_path)
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    notes: dict[str, str] = {}
    _warm(config)
    floor_read, n_features = io_floor_read(config)
    t_start = time.perf_counter()
    assessment = run_pipeline(config, timings)
    run_exports(assessment, work, formats, timings, notes)
    peak = _peak_mb()
    floor_write = io_floor_write(assessment, work)
    pipeline_to_gpkg = sum(v for k, v in timings.items() if not k.startswith("export_")) + timings.get("export_gpkg", 0)
    out = {
        "flurstuecke": int(len(assessment.layers.parcels)), "gebaeude": int(len(assessment.layers.buildings)),
        "flaechen": int(len(assessment.areas)), "klassen": assessment.areas["klasse"].value_counts().to_dict(),
        "zeiten_s": timings, "hinweise": notes,
        "io_boden_s": {"lesen": floor_read, "schreiben_gpkg": floor_write, "summe": floor_read + floor_write,
                       "objekte_gelesen": n_features},
        "ende_zu_ende_s": pipeline_to_gpkg,
        "faktor_zum_io_boden": pipeline_to_gpkg / (floor_read + floor_write),
        "wand_gesamt_s": time.perf_counter() - t_start,
        "spitzen_speicher_mb": peak,
    }
    out["sensitivitaet_9_punkte"] = sweep_9(assessment)
    out["zonal"] = zonal_baseline(assessment, zonal_max)
    if engine:
        out["dask"] = engine_run(config, assessment, tile_size_m=tile_size_m, scheduler=scheduler)
    return out


def engine_run(config, reference, *, tile_size_m: float, scheduler: str) -> dict:
    """Time :func:`nachverdichtung.engine.assess_partitioned` and compare it with the single path."""
    try:
        from nachverdichtung.engine import assess_partitioned
    except ImportError as exc:
        return {"hinweis": f"Engine fehlt: {exc}"}
    t0 = time.perf_counter()
    part = assess_partitioned(config, tile_size_m=tile_size_m, scheduler=scheduler, layers=reference.layers)
    t = time.perf_counter() - t0
    same_ids = list(part.areas.index) == list(reference.areas.index)
    same_cls = same_ids and bool((part.areas["klasse"] == reference.areas["klasse"]).all())
    return {"zeit_s": t, "kachel_m": tile_size_m, "scheduler": scheduler,
            "partitionen": part.manifest.get("partitionen"), "gleiche_ids": same_ids, "gleiche_klassen": same_cls,
            "zeiten_s": part.manifest.get("zeiten_s", {}),
            "hinweis": "Layer bereits geladen; Zeit ohne Laden"}


def engine_distributed(config_path: str, *, tile_size_m: float, workers: int, reference: str | None = None) -> dict:
    """The distributed path from the files (each partition reads its window) on a LocalCluster:
    time, partitions, rows read, driver and worker peaks; with ``reference`` (a prefix written by
    ``python -m tests.reference_results`` from the single path) every difference to it."""
    from nachverdichtung.config import load_config
    from nachverdichtung.engine import assess_partitioned, start_client

    config = load_config(config_path)
    with start_client(workers=workers) as client:
        t0 = time.perf_counter()
        say = lambda msg: print(f"[engine {workers} Worker, {time.perf_counter() - t0:7.1f} s] {msg}",  # noqa: E731
                                file=sys.stderr, flush=True)
        part = assess_partitioned(config, tile_size_m=tile_size_m, scheduler=client, progress=say)
        t = time.perf_counter() - t0
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
    out = {"zeit_mit_laden_s": t, "kachel_m": tile_size_m, "worker": workers,
           "partitionen": part.manifest["partitionen"], "runden": part.manifest.get("runden"),
           "flaechen": len(part.areas), "flurstuecke": len(part.parcels),
           "klassen": part.areas["klasse"].value_counts().to_dict(), "zeiten_s": part.manifest["zeiten_s"],
           "gelesen": part.manifest.get("gelesen", {}),
           "spitze_treiber_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
           "spitze_worker_mb": max(peaks.values()) if peaks else None}
    if reference:
        sys.path.insert(0, str(ROOT))
        from tests.reference_results import compare, read, snapshot

        areas, parcels = snapshot(part)
        ref_areas, ref_parcels = read(Path(reference))
        out["abweichungen_zur_referenz"] = compare(areas, ref_areas) + compare(parcels, ref_parcels)
    return out


def print_engine_goals(n: int, eng: dict, workers: int) -> None:
    """The distributed path's goals of issue #21, each reached or missed."""
    goals = [("Treiber-Spitze <= 1 GB", eng["spitze_treiber_mb"] <= 1024, f"{eng['spitze_treiber_mb']:.0f} MB"),
             ("Worker-Spitze <= 2 GB", (eng["spitze_worker_mb"] or 0) <= 2048, f"{eng['spitze_worker_mb']:.0f} MB")]
    if "beschleunigung_gegen_1_worker" in eng:
        goals.insert(0, (f"Beschleunigung {workers} gegen 1 Worker >= 1.7", eng["beschleunigung_gegen_1_worker"] >= 1.7,
                         f"{eng['beschleunigung_gegen_1_worker']:.2f}x"))
    if "gleiche_klassen_anzahl" in eng:
        goals.append(("gleiche Klassen wie der Einzelpfad", eng["gleiche_klassen_anzahl"], ""))
    if "abweichungen_zur_referenz" in eng:
        diff = eng["abweichungen_zur_referenz"]
        goals.append(("gleiche Ids, Klassen und Werte wie der Einzelpfad (Referenz)", not diff,
                      f"{len(diff)} Abweichungen" + (f": {diff[0][:200]}" if diff else "")))
    for text, ok, value in goals:
        print(f"[benchmark] {n}: {text}: {'erreicht' if ok else 'VERFEHLT'} {value}", flush=True)


# --------------------------------------------------------------------------------------------------
# orchestration and report


def machine() -> dict:
    info = {"python": platform.python_version(), "system": platform.platform(), "cpus": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def _fmt(v, nd=2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, (int, float)):
        return f"{v:,.{nd}f}".replace(",", " ")
    return str(v)


def _engine_cell(eng: dict) -> str:
    """One table cell for a distributed run: time, workers, partitions, peaks, identity, speed-up."""
    diff = eng.get("abweichungen_zur_referenz")
    same = "" if diff is None else (", identisch mit dem Einzelpfad" if not diff else f", {len(diff)} ABWEICHUNGEN")
    speed = f", {eng['beschleunigung_gegen_1_worker']:.2f}× gegen 1 Worker" if "beschleunigung_gegen_1_worker" in eng else ""
    return (f"{_fmt(eng['zeit_mit_laden_s'], 1)} ({eng.get('worker', '?')} Worker, {eng['partitionen']} Kacheln, "
            f"Runden {eng.get('runden')}, Treiber {_fmt(eng['spitze_treiber_mb'], 0)} MB, Worker "
            f"{_fmt(eng['spitze_worker_mb'], 0)} MB{same}{speed})")


def markdown(result: dict) -> str:
    """The result as a Markdown table (stages × sizes) plus goals and notes."""
    sizes = [s for s in result["groessen"] if "fehler" not in s]
    head = "| Stufe | " + " | ".join(f"{s['n']:,} Flurst.".replace(",", " ") for s in sizes) + " |"
    lines = [f"# Benchmark nachverdichtung ({result['datum']})", "",
             f"Rechner: {result['rechner'].get('cpu', '?')}, {result['rechner'].get('cpus')} Kerne, "
             f"{result['rechner'].get('ram_gb', '?')} GB RAM, Python {result['rechner']['python']}. "
             f"Daten: {', '.join(sorted({s['generator'] for s in sizes}))}.", "",
             head, "|" + "---|" * (len(sizes) + 1)]
    stages = []
    for s in sizes:
        for k in s["zeiten_s"]:
            if k not in stages:
                stages.append(k)
    row = lambda label, vals: lines.append(f"| {label} | " + " | ".join(vals) + " |")
    row("Flächen (Kandidaten)", [_fmt(s["flaechen"], 0) for s in sizes])
    for k in stages:
        row(f"{k} [s]", [_fmt(s["zeiten_s"].get(k), 3) if k in s["zeiten_s"] else "übersprungen" for s in sizes])
    row("**Ende zu Ende (Laden → GeoPackage)** [s]", [_fmt(s["ende_zu_ende_s"], 2) for s in sizes])
    row("**Sensitivität: 9 Punkte je Schwelle, ohne Geometrie** [s]",
        [(_fmt(s["sensitivitaet_9_punkte"]["zeit_s"], 2) + f" ({s['sensitivitaet_9_punkte']['schwellen']} Schwellen, "
          f"{s['sensitivitaet_9_punkte']['neubewertungen']} Neubewertungen; voller Lauf {_fmt(s['ende_zu_ende_s'], 1)}"
          + (f"; {s['sensitivitaet_9_punkte']['flaechen_wiederholt']:,} Flächen (Messwerte wiederholt): "
             f"{_fmt(s['sensitivitaet_9_punkte']['zeit_10000_flaechen_s'], 2)}".replace(",", " ")
             if "zeit_10000_flaechen_s" in s["sensitivitaet_9_punkte"] else "") + ")")
         if "sensitivitaet_9_punkte" in s else "–" for s in sizes])
    row("I/O-Boden: Lesen (pyogrio) [s]", [_fmt(s["io_boden_s"]["lesen"], 3) for s in sizes])
    row("I/O-Boden: GeoPackage schreiben [s]", [_fmt(s["io_boden_s"]["schreiben_gpkg"], 3) for s in sizes])
    row("**Faktor zum I/O-Boden**", [_fmt(s["faktor_zum_io_boden"], 1) + "×" for s in sizes])
    row("Spitzenspeicher [MB]", [_fmt(s["spitzen_speicher_mb"], 0) for s in sizes])
    row("rasterstats (DGM, alle Flächen) [s]",
        [_fmt(s["zonal"].get("rasterstats_alle_s"), 2) + (" (hochgerechnet aus "
         f"{s['zonal']['flaechen_rasterstats']})" if s["zonal"].get("rasterstats_hochgerechnet") else "")
         for s in sizes])
    row("nachverdichtung.zonal (DGM, alle Flächen) [s]", [_fmt(s["zonal"].get("eigene_alle_s"), 3) for s in sizes])
    row("**Beschleunigung ggü. rasterstats**", [_fmt(s["zonal"].get("faktor_alle"), 0) + "×" for s in sizes])
    row("dask-Engine (ohne Laden) [s]",
        [(_fmt(s["dask"].get("zeit_s"), 2) + f" ({s['dask'].get('partitionen')} Partitionen, "
          f"{'identisch' if s['dask'].get('gleiche_klassen') else 'ABWEICHEND'})") if "zeit_s" in s.get("dask", {})
         else "–" for s in sizes])
    if any("dask_mit_laden" in s for s in sizes):
        row("dask-Engine mit Laden [s]",
            [_engine_cell(s["dask_mit_laden"]) if "dask_mit_laden" in s else "–" for s in sizes])
    syn = result.get("zonal_synthetisch")
    if syn and "speedup_vs_rasterstats" in syn:
        lines += ["", f"Zonalstatistik, synthetisch (scripts/zonal_benchmark.py, {syn['flaechen']:,} Flächen, 1-m-Raster): "
                  f"eigene {syn['zeit_ours_s']:.2f} s, rasterstats {syn['zeit_rasterstats_hochgerechnet_s']:.1f} s "
                  f"(hochgerechnet aus {syn['rasterstats_flaechen']}) → **{syn['speedup_vs_rasterstats']:.0f}×**"
                  + (f", exactextract {syn['zeit_exactextract_s']:.2f} s" if "zeit_exactextract_s" in syn else "")
                  + "."]
    lines.append("")
    g = result.get("ziele", {})
    if g:
        lines += ["## Ziele", ""]
        for k, v in g.items():
            lines.append(f"- {k}: {v}")
        lines.append("")
    notes = sorted({f"{k}: {v}" for s in sizes for k, v in s["hinweise"].items()
                    if "übersprungen" in v or "Teilmenge" in v or "Fehler" in v})
    if notes:
        lines += ["## Hinweise", ""] + [f"- {n}" for n in notes] + [""]
    for s in result["groessen"]:
        if "fehler" in s:
            lines.append(f"- {s['n']} Flurstücke: Fehler {s['fehler'][:300]}")
    lines.append("Ende zu Ende = Laden + Kandidaten + Kriterien + Bewertung + Manifest-Hashes + GeoPackage-Export. "
                 "I/O-Boden = alle Vektoreingaben mit pyogrio lesen + dieselben zwei GeoPackage-Layer ohne "
                 "Aufbereitung schreiben. Spitzenspeicher = ru_maxrss eines frischen Prozesses je Größe.")
    return "\n".join(lines) + "\n"


def goals(sizes: list[dict]) -> dict:
    by = {s["n"]: s for s in sizes if "fehler" not in s}
    out = {}
    big = by.get(100_000)
    if big:
        f = big["faktor_zum_io_boden"]
        out["100k Ende zu Ende ≤ 20 × I/O-Boden"] = f"{f:.1f}× ({'erreicht' if f <= 20 else 'verfehlt'})"
        m = big["spitzen_speicher_mb"]
        out["Spitzenspeicher 100k ≤ 4 GB"] = f"{m / 1024:.2f} GB ({'erreicht' if m <= 4096 else 'verfehlt'})"
    if big and 10_000 in by:
        r = big["ende_zu_ende_s"] / by[10_000]["ende_zu_ende_s"]
        out["Zeit 10k → 100k ≤ 11-fach"] = f"{r:.1f}-fach ({'erreicht' if r <= 11 else 'verfehlt'})"
    zs = [s["zonal"].get("faktor_alle") for s in by.values() if s["zonal"].get("faktor_alle")]
    if zs:
        z = by.get(10_000, max(by.values(), key=lambda s: s["n"]))["zonal"].get("faktor_alle") or zs[-1]
        out["Zonalstatistik ≥ 50 × schneller als rasterstats"] = f"{z:.0f}× ({'erreicht' if z >= 50 else 'verfehlt'})"
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--with-1m", action="store_true", help="also 1 000 000 parcels")
    ap.add_argument("--smoke", action="store_true", help="1k parcels, minimal (for the test suite)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for benchmark.json/.md")
    ap.add_argument("--data", type=Path, default=DEFAULT_OUT, help="cache folder for the districts")
    ap.add_argument("--config", type=Path, help="benchmark this existing district instead of generating one")
    ap.add_argument("--formats", nargs="+", default=list(EXPORTS))
    ap.add_argument("--engine-min", type=int, default=100_000, help="run the dask engine from this size on")
    ap.add_argument("--tile-size", type=float, default=2000.0, help="dask partition tile edge in m")
    ap.add_argument("--scheduler", default="processes", choices=("threads", "processes", "synchronous"))
    ap.add_argument("--workers", type=int, default=2, help="dask: workers of the LocalCluster (engine-only)")
    ap.add_argument("--zonal-max", type=int, default=2000, help="areas measured with rasterstats (rest extrapolated)")
    ap.add_argument("--no-zonal-synthetic", action="store_true",
                    help="skip scripts/zonal_benchmark.py (10 000 synthetic areas)")
    ap.add_argument("--engine-only", action="store_true",
                    help="only time the dask engine (from loading) per size and merge it into benchmark.json")
    ap.add_argument("--no-speedup", action="store_true",
                    help="engine-only: run only with --workers workers (no 1-worker run, no speed-up)")
    ap.add_argument("--reference", help="engine-only: prefix of the single path's stored results "
                                        "(python -m tests.reference_results CONFIG PREFIX) to compare with")
    ap.add_argument("--_engine_worker", nargs=2, metavar=("CONFIG", "JSON"), help=argparse.SUPPRESS)
    ap.add_argument("--_worker", nargs=3, metavar=("CONFIG", "WORKDIR", "JSON"), help=argparse.SUPPRESS)
    ap.add_argument("--_engine", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._worker:
        cfg, workdir, target = args._worker
        res = worker(cfg, workdir, formats=args.formats, zonal_max=args.zonal_max, engine=args._engine,
                     tile_size_m=args.tile_size, scheduler=args.scheduler)
        Path(target).write_text(json.dumps(res, default=str), encoding="utf-8")
        return 0

    if args._engine_worker:
        cfg, target = args._engine_worker
        eng = engine_distributed(cfg, tile_size_m=args.tile_size, workers=args.workers, reference=args.reference)
        Path(target).write_text(json.dumps(eng, default=str), encoding="utf-8")
        return 0
    if args.engine_only:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "benchmark.json"
        result = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"groessen": []}
        for n in sorted(set(args.sizes)):
            data = ensure_data(args.data / f"data_{n}", n)
            with tempfile.TemporaryDirectory(dir=args.out) as work:
                target = Path(work) / "engine.json"
                runs = {}
                for w in ([args.workers] if args.no_speedup else sorted({1, args.workers})):
                    ref = ["--reference", args.reference] if args.reference and w == args.workers else []
                    subprocess.run([sys.executable, __file__, "--_engine_worker", data["config"], str(target),
                                    "--tile-size", str(args.tile_size), "--workers", str(w), *ref], check=True)
                    runs[w] = json.loads(target.read_text(encoding="utf-8"))
            eng = runs[args.workers]
            entry = next((g for g in result["groessen"] if g.get("n") == n), None)
            if entry is None:
                entry = {"n": n, "fehler": "nur Engine gemessen"}
                result["groessen"].append(entry)
            if "klassen" in entry:
                eng["gleiche_klassen_anzahl"] = eng["klassen"] == entry["klassen"]
            if 1 in runs:
                eng["beschleunigung_gegen_1_worker"] = runs[1]["zeit_mit_laden_s"] / eng["zeit_mit_laden_s"]
                eng["ein_worker"] = {k: runs[1][k] for k in ("zeit_mit_laden_s", "zeiten_s", "spitze_worker_mb",
                                                            "spitze_treiber_mb")}
            entry["dask_mit_laden"] = eng
            print(f"[benchmark] {n}: dask-Engine {eng['zeit_mit_laden_s']:.1f} s mit Laden, "
                  f"{eng['partitionen']} Partitionen", flush=True)
            print_engine_goals(n, eng, args.workers)
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        if "rechner" in result:
            (args.out / "benchmark.md").write_text(markdown(result), encoding="utf-8")
        return 0

    if args.smoke:
        # the engine's equality is tested in tests/test_engine.py; the smoke run stays short
        sizes, engine_min, zonal_max, tile = [1_000], 10 ** 12, 100, 1000.0
        if args.data == DEFAULT_OUT:
            args.data = args.out
        if args.formats == list(EXPORTS):
            args.formats = ["gpkg", "csv"]
    else:
        sizes = sorted(set(args.sizes + ([1_000_000] if args.with_1m else [])))
        engine_min, zonal_max, tile = args.engine_min, args.zonal_max, args.tile_size
    if args.config:
        sizes = sizes[:1]
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for n in sizes:
        print(f"[benchmark] {n} Flurstücke: Daten …", flush=True)
        entry = {"n": n}
        try:
            if args.config:
                data = {"config": str(args.config.resolve()), "generator": "vorgegeben"}
            else:
                gen = subprocess.run([sys.executable, "-c",
                                      "import json,sys; sys.path.insert(0, sys.argv[1]); import benchmark as b; "
                                      "print(json.dumps(b.ensure_data(__import__('pathlib').Path(sys.argv[2]), "
                                      "int(sys.argv[3]))))", str(Path(__file__).parent),
                                      str(args.data / f"data_{n}"), str(n)],
                                     capture_output=True, text=True, check=True)
                data = json.loads(gen.stdout.strip().splitlines()[-1])
            entry.update(generator=data["generator"], konfiguration=data["config"])
            print(f"[benchmark] {n} Flurstücke: messen …", flush=True)
            with tempfile.TemporaryDirectory(prefix=f"bench_{n}_", dir=args.out) as work:
                target = Path(work) / "result.json"
                cmd = [sys.executable, __file__, "--_worker", data["config"], work, str(target),
                       "--formats", *args.formats, "--zonal-max", str(zonal_max), "--tile-size", str(tile),
                       "--scheduler", "threads" if args.smoke else args.scheduler]
                if n >= engine_min:
                    cmd.append("--_engine")
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr[-2000:])
                entry.update(json.loads(target.read_text(encoding="utf-8")))
                if args.config:
                    entry["n"] = entry["flurstuecke"]
        except Exception as exc:  # record and go on with the next size
            entry["fehler"] = f"{exc.__class__.__name__}: {exc}"
            if isinstance(exc, subprocess.CalledProcessError):
                entry["fehler"] += " " + (exc.stderr or "")[-2000:]
            traceback.print_exc()
        results.append(entry)
        _write(args.out, results, args.smoke)
        if "fehler" not in entry:
            print(f"[benchmark] {n}: Ende zu Ende {entry['ende_zu_ende_s']:.2f} s, "
                  f"Faktor zum I/O-Boden {entry['faktor_zum_io_boden']:.1f}, "
                  f"Speicher {entry['spitzen_speicher_mb']:.0f} MB", flush=True)
    extra = {}
    if not args.smoke and not args.no_zonal_synthetic and (ROOT / "scripts" / "zonal_benchmark.py").exists():
        print("[benchmark] scripts/zonal_benchmark.py (10 000 synthetische Flächen) …", flush=True)
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "zonal_benchmark.py"), "--areas", "10000",
                               "--rasterstats-sample", "1000"], capture_output=True, text=True)
        try:
            extra["zonal_synthetisch"] = json.loads(proc.stdout)
        except ValueError:
            extra["zonal_synthetisch"] = {"fehler": proc.stderr[-1000:]}
    print(markdown(_write(args.out, results, args.smoke, extra)))
    return 0 if all("fehler" not in r for r in results) else 1


def _write(out: Path, results: list[dict], smoke: bool, extra: dict | None = None) -> dict:
    """Write benchmark.json and benchmark.md (after every size, so a long run keeps what it has)."""
    result = {"datum": datetime.now(timezone.utc).isoformat(timespec="seconds"), "rechner": machine(),
              "smoke": smoke, "groessen": results, **(extra or {})}
    result["ziele"] = goals(results)
    (out / "benchmark.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str),
                                        encoding="utf-8")
    (out / "benchmark.md").write_text(markdown(result), encoding="utf-8")
    return result


if __name__ == "__main__":
    sys.exit(main())
