"""Built-in synthetic sample district (``nachverdichtung sample``).

A deterministic, realistic-looking German town district near Kaiserslautern (EPSG:25832) with
ALKIS-like cadastre data in three delivery formats, terrain, heavy-rain, noise, tree, protection
and climate layers, a ``config.yml`` and a ``ground_truth.json`` with the expected second-row
candidate areas and planted test cases. See ``docs/sample.md``.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from nachverdichtung.io.codes import building_category
from nachverdichtung.errors import ConfigError
from nachverdichtung.sample import owners, writers
from nachverdichtung.sample.district import CRS, Tile, build_tile, rasters
from nachverdichtung.sample.geometry import PITCH_X, PITCH_Y, tile_offsets, translate

__all__ = ["generate_sample"]

log = logging.getLogger(__name__)

#: Raster resolutions that divide the tile pitch (2300 m x 2000 m).
RESOLUTIONS = (1.0, 2.0, 4.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0)
MAX_RASTER_CELLS = 25_000_000
CHUNK_PARCELS = 60_000
DXF_MAX_PARCELS = 5_000
DXF_SIMPLIFY_M = 0.02
_OUTPUTS = ("alkis_ax", "alkis_vereinfacht", "alkis.gpkg", "alkis.dxf", "dgm1.tif", "starkregen_tiefe.tif",
            "starkregen_geschwindigkeit.tif", "fliesswege.gpkg", "baumkataster.csv", "baumkataster.gpkg",
            "schutzgebiete.gpkg", "artnachweise.gpkg", "klima.gpkg", "innenbereich.gpkg", "bahn.gpkg",
            "laerm_lden.tif", "laerm_lnight.tif", "ground_truth.json", "config.yml",
            owners.POSTNAS_FILE, owners.TABLE_FILE, "config_ohne_innenbereich.yml")


def raster_resolution(n_tiles: int) -> float:
    """Finest resolution keeping one raster of ``n_tiles`` tiles below ``MAX_RASTER_CELLS`` cells."""
    _off, cols, rows = tile_offsets(n_tiles)
    for res in RESOLUTIONS:
        if cols * rows * PITCH_X * PITCH_Y / res**2 <= MAX_RASTER_CELLS:
            return res
    return RESOLUTIONS[-1]


def _tile_layers(tile: Tile, t: int, dx: float, dy: float, const: dict) -> dict:
    """Layers of tile ``t``: tile 0 translated, with its own Gemarkung numbers."""
    P0 = tile.parcels
    gem = P0["gem_base"].to_numpy() + 2 * t
    kennz = writers.flstkennz(gem, P0["flur"].to_numpy(), P0["zaehler"].to_numpy(), P0["nenner"].to_numpy())
    P = gpd.GeoDataFrame({
        "flstkennz": kennz, "gemarkung": pd.Series(gem).map("{:04d}".format).to_numpy(),
        "flur": P0["flur"].to_numpy(), "zaehler": P0["zaehler"].to_numpy(),
        "nenner": pd.array(np.where(P0["nenner"] > 0, P0["nenner"], 0), dtype="Int64"),
        "flaeche_amtlich": const["area"], "lagebeztxt": const["lage"]},
        geometry=translate(P0.geometry.to_numpy(), dx, dy), crs=CRS)
    P.loc[P0["nenner"].to_numpy() == 0, "nenner"] = pd.NA
    B0 = tile.buildings
    B = gpd.GeoDataFrame({"funktion": B0["funktion"].to_numpy(), "geschosse": B0["geschosse"].to_numpy(),
                          "role": B0["role"].to_numpy()}, geometry=translate(B0.geometry.to_numpy(), dx, dy), crs=CRS)
    R = gpd.GeoDataFrame({"art": tile.roads["art"].to_numpy(), "name": tile.roads["name"].to_numpy()},
                         geometry=translate(tile.roads.geometry.to_numpy(), dx, dy), crs=CRS)
    LU = gpd.GeoDataFrame({"nutzung": tile.landuse["nutzung"].to_numpy(),
                           "gml_id": [f"DERPL{t:05d}{i:06d}" for i in range(len(tile.landuse))],
                           **{a: tile.landuse[a].to_numpy() for a in writers.LANDUSE_ATTRS}},
                          geometry=translate(tile.landuse.geometry.to_numpy(), dx, dy), crs=CRS)

    def simple(gdf):
        return gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=translate(gdf.geometry.to_numpy(), dx, dy),
                                crs=CRS)

    T = tile.trees.copy()
    T["x"] = (T["x"] + dx).round(2)
    T["y"] = (T["y"] + dy).round(2)
    return {
        "parcels": P, "buildings": B, "roads": R, "landuse": LU,
        "settlement": gpd.GeoDataFrame({"name": ["Innenbereich"]},
                                       geometry=translate(np.array([tile.settlement], dtype=object), dx, dy), crs=CRS),
        "protected": simple(tile.protected), "species": simple(tile.species), "climate": simple(tile.climate),
        "railways": simple(tile.railways),
        "flow_paths": gpd.GeoDataFrame({"id": np.arange(len(tile.flow_lines))},
                                       geometry=translate(tile.flow_lines, dx, dy), crs=CRS),
        "trees": T,
        **{f"legal:{k}": simple(g) for k, g in tile.extra["legal"].items()},
    }


def _concat(frames: list[dict]) -> dict:
    out = {}
    for key in frames[0]:
        parts = [f[key] for f in frames]
        df = pd.concat(parts, ignore_index=True)
        out[key] = gpd.GeoDataFrame(df, geometry="geometry", crs=CRS) if isinstance(parts[0], gpd.GeoDataFrame) else df
    return out


def generate_sample(
    out_dir: str | Path = "data/raw/sample",
    *,
    n_parcels: int = 1500,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write the sample district into out_dir and return the path of its config.yml.

    Parameters
    ----------
    out_dir
        Target folder; the generator's own files in it are replaced, nothing else is touched.
    n_parcels
        Target number of parcels. The district is built from copies of a core tile of about
        1,500 parcels (shifted, with their own Gemarkung numbers), so the count is rounded to
        whole tiles. Planted cases live in the first tile.
    seed
        Random seed; the same seed gives byte-identical Shapefiles and CSV.
    progress
        Optional callback receiving short German/English progress messages.

    Returns
    -------
    Path of the written ``config.yml``.

    Examples
    --------
    >>> cfg = generate_sample("/tmp/sample", n_parcels=1500, seed=42)  # doctest: +SKIP
    """
    if int(n_parcels) < 1:
        raise ConfigError(f"n_parcels muss mindestens 1 sein, nicht {n_parcels}", key="n_parcels",
                          fix="eine positive Zahl angeben, z. B. --parcels 1500")
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    out = Path(out_dir)
    _clear_outputs(out)
    say("Kerngebiet erzeugen (Straßen, Flurstücke, Gebäude, Themen)")
    tile = build_tile(int(seed))
    per_tile = len(tile.parcels)
    n_tiles = max(1, int(round(n_parcels / per_tile)))
    offsets, cols, rows = tile_offsets(n_tiles)
    res = raster_resolution(n_tiles)
    say(f"Raster berechnen ({res:g} m)")
    grids = rasters(tile, res)
    lage = (tile.parcels["address"] + " " + tile.parcels["hausnummer"].astype(str)).to_numpy()
    want_dxf = n_tiles * per_tile <= DXF_MAX_PARCELS
    expected, dxf_frames = _write_vectors(out, tile, offsets, lage, want_dxf, say)
    writers.write_admin(out, np.unique(tile.parcels["gem_base"].to_numpy()[None, :] + 2 * np.arange(n_tiles)[:, None]))
    writers.finish_vereinfacht(out)
    writers.fix_dbf_dates(out)
    say("GeoTIFFs schreiben")
    for name, (arr, r) in grids.items():
        writers.write_raster(out / name, arr, r, cols, rows)
    kennz0 = writers.flstkennz(tile.parcels["gem_base"].to_numpy(), tile.parcels["flur"].to_numpy(),
                               tile.parcels["zaehler"].to_numpy(), tile.parcels["nenner"].to_numpy())
    writers.write_ground_truth(out, {
        "seed": int(seed), "n_parcels": int(n_tiles * per_tile), "crs": CRS,
        "raster_resolution_m": res, "rear_building_lines_m": {k: round(v, 2) for k, v in sorted(tile.rear_lines.items())},
        "expected_candidates": expected, **_planted_cases(tile, kennz0)})
    if want_dxf:
        _write_dxf(out, _concat(dxf_frames), say)
    say("Eigentümertabellen (erfundene Namen) schreiben")
    owners.write_owner_tables(out, kennz0, lage, seed=int(seed))
    cfg = writers.write_config(out)
    log.info("sample district: %d parcels, %d tiles, %.1f s", n_tiles * per_tile, n_tiles, time.perf_counter() - t0)
    say(f"fertig: {n_tiles * per_tile} Flurstücke in {time.perf_counter() - t0:.1f} s")
    return cfg


def _clear_outputs(out: Path) -> None:
    """Create ``out`` and remove the generator's own files in it (nothing else)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in _OUTPUTS:
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def _write_vectors(out: Path, tile, offsets, lage: np.ndarray, want_dxf: bool, say) -> tuple[list, list]:
    """Write the vector layers tile by tile, in chunks of about ``CHUNK_PARCELS`` parcels.

    Returns the expected candidates of every tile (WKT and parcel ids, for the ground truth) and,
    when ``want_dxf``, the chunks' cadastre layers for the DXF.
    """
    n_tiles = len(offsets)
    per_tile = len(tile.parcels)
    const = {"area": np.round(shapely.area(tile.parcels.geometry.to_numpy()), 0), "lage": lage}
    sink = writers.VectorSink()
    per_chunk = max(1, CHUNK_PARCELS // per_tile)
    dxf_frames = []
    cand_wkt, cand_kennz = [], []
    cand0 = np.array(tile.candidates, dtype=object)
    for start in range(0, n_tiles, per_chunk):
        stop = min(n_tiles, start + per_chunk)
        say(f"Vektordaten schreiben: Kachel {start + 1}-{stop} von {n_tiles}")
        frames = [_tile_layers(tile, t, *offsets[t], const) for t in range(start, stop)]
        for t, f in zip(range(start, stop), frames):
            kennz = f["parcels"]["flstkennz"].to_numpy()
            cand_wkt.extend(shapely.to_wkt(translate(cand0, *offsets[t]), rounding_precision=2).tolist())
            cand_kennz.extend([[kennz[i] for i in m] for m in tile.members])
        chunk = _concat(frames)
        writers.write_chunk(out, sink, chunk)
        if want_dxf:
            dxf_frames.append({k: chunk[k] for k in ("parcels", "buildings", "roads", "landuse")})
    return [{"wkt": w, "flstkennz": k} for w, k in zip(cand_wkt, cand_kennz)], dxf_frames


def _planted_cases(tile, kennz0: np.ndarray) -> dict:
    """The ground truth's planted cases and edge cases of the core tile, with parcel ids."""
    planted = []
    for p in tile.planted:
        k = p["candidate"]
        planted.append({"case": p["case"], "description": p["description"],
                        "wkt": shapely.to_wkt(tile.candidates[k], rounding_precision=2),
                        "flstkennz": [kennz0[i] for i in tile.members[k]], "expected": p["expected"]})
    edge = []
    for c in tile.extra["edge_cases"]:
        entry = {"case": c["case"], "description": c["description"],
                 "flstkennz": [kennz0[i] for i in c["positions"]], "expected": c["expected"],
                 "expected_abgeleitet": c["expected_abgeleitet"]}
        if c["candidate"] is not None:
            entry["wkt"] = shapely.to_wkt(tile.candidates[c["candidate"]], rounding_precision=2)
        edge.append(entry)
    return {"planted": planted, "edge_cases": edge}


def _write_dxf(out: Path, L: dict, say) -> None:
    """Write alkis.dxf with the project's DXF writer when it is available."""
    try:
        from nachverdichtung.io.dxf import write_alkis_dxf
    except ImportError:  # the DXF writer is optional for the sample
        log.info("nachverdichtung.io.dxf.write_alkis_dxf not available: alkis.dxf skipped")
        return

    say("alkis.dxf schreiben")
    P, B = L["parcels"], L["buildings"]
    # The densified (warped) edges are simplified by 2 cm: far fewer DXF vertices, same drawing.
    def simple(gdf):
        return shapely.simplify(gdf.geometry.to_numpy(), DXF_SIMPLIFY_M)

    parcels = gpd.GeoDataFrame({"flstkennz": P["flstkennz"], "gemarkung": P["gemarkung"], "flur": P["flur"],
                                "zaehler": P["zaehler"], "nenner": P["nenner"],
                                "flaeche_amtlich": P["flaeche_amtlich"].astype(float)}, geometry=simple(P), crs=CRS)
    buildings = gpd.GeoDataFrame({"funktion": B["funktion"], "geschosse": pd.array(B["geschosse"], dtype="Int64"),
                                  "kategorie": building_category(B["funktion"])}, geometry=simple(B), crs=CRS)
    roads = gpd.GeoDataFrame(L["roads"][["art", "name"]], geometry=simple(L["roads"]), crs=CRS)
    landuse = gpd.GeoDataFrame(L["landuse"][["nutzung"]], geometry=simple(L["landuse"]), crs=CRS)
    write_alkis_dxf(out / "alkis.dxf", parcels=parcels, buildings=buildings, roads=roads, landuse=landuse)
