"""Build the core district tile (tile 0) in world coordinates: all vector and raster themes."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from nachverdichtung.sample import ground_truth as gt
from nachverdichtung.sample import hazards, themes
from nachverdichtung.sample.buildings import build_buildings
from nachverdichtung.sample.geometry import WARP
from nachverdichtung.sample.landuse import make_landuse, make_settlement
from nachverdichtung.sample.parcels import build_parcels
from nachverdichtung.sample.streets import COLS, MAIN_ROAD, make_grid, street_polygons
from nachverdichtung.sample.terrain import TerrainPlan

CRS = "EPSG:25832"


@dataclass
class Tile:
    """All layers of tile 0 (world coordinates) plus what is needed to copy it."""

    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    settlement: object
    trees: pd.DataFrame
    protected: gpd.GeoDataFrame
    species: gpd.GeoDataFrame
    climate: gpd.GeoDataFrame
    railways: gpd.GeoDataFrame
    terrain: TerrainPlan
    candidates: list
    members: list
    planted: list
    rear_lines: dict
    flow_lines: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def _gdf(data: dict, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=WARP.geoms(np.asarray(geoms, dtype=object)), crs=CRS)


def _number(parcels: pd.DataFrame, rng) -> pd.DataFrame:
    """Gemarkung (west/east of the main road), Flur (block row), Zähler, Nenner, house numbers."""
    cu = shapely.get_x(shapely.centroid(np.asarray(parcels["geom"].to_numpy(), dtype=object)))
    parcels["gem_base"] = np.where(cu < 1000.0, 2566, 2567)
    parcels["flur"] = np.where(parcels["row"] >= 0, parcels["row"] + 1, 20)
    zaehler = np.zeros(len(parcels), int)
    nenner = np.zeros(len(parcels), int)
    counters: dict = {}
    kinds = parcels["kind"].to_numpy()
    # the village edge is numbered without random draws, so the rest of the district stays as it was
    style = parcels["style"].astype(str)
    edge = (style.str.startswith("edge_") | style.isin(["public", "hamlet"])).to_numpy()
    for i, key in enumerate(zip(parcels["gem_base"], parcels["flur"])):
        if edge[i]:
            counters[key] = counters.get(key, 0) + 1
            zaehler[i] = counters[key]
            continue
        if kinds[i] == "flag_rear":
            zaehler[i], nenner[i] = zaehler[i - 1], 2
            nenner[i - 1] = 1
            continue
        counters[key] = counters.get(key, 0) + 1 + int(rng.random() < 0.08)
        zaehler[i] = counters[key]
        if rng.random() < 0.12:
            nenner[i] = int(rng.integers(1, 6))
    parcels["zaehler"] = zaehler
    parcels["nenner"] = nenner
    # House numbers per street: odd on the south/west side, even on the north/east side.
    hn = np.zeros(len(parcels), int)
    along = (parcels["ox"] + parcels["x0"] * parcels["ax"] + parcels["oy"] + parcels["x0"] * parcels["ay"]).to_numpy()
    for (street, side), idx in parcels.groupby(["street", "side"]).indices.items():
        odd = side in ("s", "w")
        order = idx[np.argsort(along[idx], kind="stable")]
        hn[order] = 2 * np.arange(len(order)) + (1 if odd else 2)
    # Corner parcels on the main road take their address from it.
    main = shapely.box(MAIN_ROAD[1] - 0.5, -1e4, MAIN_ROAD[2] + 0.5, 1e4)
    geoms = np.asarray(parcels["geom"].to_numpy(), dtype=object)
    on_main = shapely.intersects(geoms, main) & (parcels["landuse"] != "gewerbe").to_numpy()
    idx = np.nonzero(on_main)[0]
    west = cu[idx] < 1000.0
    for sel, first in ((idx[west], 1), (idx[~west], 2)):
        order = sel[np.argsort(shapely.get_y(shapely.centroid(geoms[sel])), kind="stable")]
        hn[order] = 2 * np.arange(len(order)) + first
    parcels["hausnummer"] = hn
    parcels["address"] = np.where(on_main, MAIN_ROAD[0], parcels["street"].fillna("").to_numpy())
    return parcels


def landuse_codes(codes: list) -> dict[str, np.ndarray]:
    """ALKIS attribute columns (``funktion``, ``vegetationsmerkmal``, ``artderbebauung``; 0 = none)."""
    out = {a: np.zeros(len(codes), dtype=np.int32) for a in ("funktion", "vegetationsmerkmal", "artderbebauung")}
    for i, c in enumerate(codes):
        if c is not None:
            out[c[0]][i] = c[1]
    return out


def thalweg_plan(parcels: pd.DataFrame) -> tuple[TerrainPlan, float]:
    """Terrain features placed at the planted parcels."""
    st = parcels[parcels["case"] == "topographie"].iloc[0]
    fl = parcels[parcels["case"] == "starkregen"].iloc[0]
    # Steep parcel fronts the street to its south; the ramp covers its backyard.
    steep = (st.ox + st.x0, st.ox + st.x1, st.oy + 21.0, st.oy + st.depth + 2.0)
    # Flow parcel fronts the street to its north (frame normal points south).
    ub = fl.ox + (fl.x0 + fl.x1) / 2
    basin = (fl.ox + fl.x0 + 1.0, fl.ox + fl.x1 - 1.0, fl.oy - fl.depth + 1.5, fl.oy - 18.0)
    vc = (basin[2] + basin[3]) / 2
    thal = ((-50.0, ub + 6.0), (400.0, ub - 12.0), (vc - 60.0, ub), (vc + 60.0, ub), (1250.0, ub + 8.0),
            (1700.0, ub + 14.0))
    return TerrainPlan(steep=steep, basin=basin, thalweg=thal), ub


def build_tile(seed: int) -> Tile:
    """Generate tile 0 of the district for ``seed``."""
    rng = np.random.default_rng(seed)
    grid = make_grid()
    arts, names, road_geoms = street_polygons(grid)
    parcels = build_parcels(grid, road_geoms, rng)
    parcels = _number(parcels, rng)
    bld = build_buildings(parcels, rng)
    lu_cls, lu_geoms, lu_codes, lu_inner = make_landuse(grid, road_geoms, parcels)
    settle_local = make_settlement(lu_cls, lu_geoms, road_geoms, grid, lu_inner)
    terrain, thal_u = thalweg_plan(parcels)
    trees = themes.make_trees(parcels, rng, grid)
    nd = themes.naturdenkmal_tree(grid)
    trees.loc[len(trees)] = list(nd)
    pk, pn, pg = themes.make_protected(parcels, grid)
    sp_art, sp_pts = themes.make_species(parcels, bld, rng, grid)
    open_land = shapely.union_all([g for c, g in zip(lu_cls, lu_geoms) if c in ("landwirtschaft", "wald")])
    cf, cg = themes.make_climate(parcels, grid, thal_u, open_land)

    keep = ["row", "col", "side", "street", "style", "landuse", "kind", "case", "block", "gem_base", "flur",
            "zaehler", "nenner", "hausnummer", "address"]
    P = _gdf({k: parcels[k].to_numpy() for k in keep}, parcels["geom"].to_numpy())
    B = _gdf({k: bld[k].to_numpy() for k in ("funktion", "geschosse", "role", "parcel", "rear")}, bld["geom"].to_numpy())
    R = _gdf({"art": arts, "name": names}, road_geoms)
    L = _gdf({"nutzung": lu_cls, **landuse_codes(lu_codes)}, lu_geoms)
    settlement = WARP.geoms(np.array([settle_local], dtype=object))[0]
    tx, ty = WARP.forward(trees["u"].to_numpy(float), trees["v"].to_numpy(float))
    T = pd.DataFrame({"x": np.round(tx, 2), "y": np.round(ty, 2), "art": trees["art"],
                      "umfang_cm": trees["umfang_cm"], "krone_m": trees["krone_m"]})
    PA = _gdf({"kategorie": pk, "name": pn}, pg)
    SP = _gdf({"art": sp_art}, sp_pts)
    CL = _gdf({"funktion": cf}, cg)
    RL = _gdf({"name": ["Strecke 3280 Gleis 1", "Strecke 3280 Gleis 2"]}, themes.rail_lines())
    eligible = shapely.union_all(L.geometry[gt.eligible_landuse(L)].to_numpy())
    geoms, members, lines = gt.expected_candidates(P, B, R, settlement, eligible)
    planted = gt.planted_cases(P, geoms, members)
    edge = gt.edge_cases(P, members)
    legal = {k: _gdf({**cols, "beginnt": themes.LEGAL_BEGINNT}, g)
             for k, (cols, g) in themes.make_legal(grid, (pk, pn, pg)).items()}
    planted += gt.planted_zones(geoms, {
        "denkmalschutz": (legal["ax_denkmalschutzrecht"].geometry.iloc[0],
                          "backland inside the Denkmalzone „Alter Ortskern“ (ALKIS ax_denkmalschutzrecht 2910): "
                          "permit needed, § 13 DSchG RLP", {"denkmalschutz": "bedingt geeignet"}),
        "hochwasser": (legal["ax_anderefestlegungnachwasserrecht"].geometry.iloc[0],
                       "backland inside the festgesetztes Überschwemmungsgebiet „Mühlbach“ (ALKIS 1441): "
                       "§ 78 WHG", {"hochwasser": "nicht geeignet"}),
    }, taken={p["candidate"] for p in planted} | {e["candidate"] for e in edge if e["candidate"] is not None})
    tile = Tile(P, B, R, L, settlement, T, PA, SP, CL, RL, terrain, geoms, members, planted, lines)
    main_local = shapely.LineString([((MAIN_ROAD[1] + MAIN_ROAD[2]) / 2, -50.0),
                                     ((MAIN_ROAD[1] + MAIN_ROAD[2]) / 2, grid.north + 30.0)])
    tile.extra["main_road"] = WARP.geoms(np.array([main_local], dtype=object))[0]
    tile.extra["industry"] = shapely.simplify(shapely.union_all(L.geometry[L["nutzung"] == "gewerbe"].to_numpy()), 2.0)
    tile.extra["grid"] = grid
    tile.extra["edge_cases"] = edge
    tile.extra["legal"] = legal
    tile.extra["cols"] = COLS
    return tile


def rasters(tile: Tile, res: float) -> dict[str, np.ndarray]:
    """All rasters of the tile at resolution ``res`` (noise at least 10 m) and the flow lines."""
    dem = hazards.make_dem(res, tile.terrain)
    rain = hazards.make_rain(dem, res, tile.terrain)
    tile.flow_lines = rain.lines
    nres = max(res, 10.0)
    lden, lnight = hazards.make_noise(nres, tile.extra["main_road"],
                                      shapely.union_all(tile.railways.geometry.to_numpy()), tile.extra["industry"])
    return {"dgm1.tif": (dem, res), "starkregen_tiefe.tif": (rain.depth, res),
            "starkregen_geschwindigkeit.tif": (rain.velocity, res),
            "laerm_lden.tif": (lden, nres), "laerm_lnight.tif": (lnight, nres)}
