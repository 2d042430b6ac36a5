"""Actual land use (tatsächliche Nutzung) and the settlement boundary of one tile (local frame)."""

from __future__ import annotations

import shapely

from nachverdichtung.sample.parcels import STYLES
from nachverdichtung.sample.streets import RAIL_V, ROW0_SOUTH, Grid, cols_for_row

TILE = shapely.box(0.0, 0.0, 2000.0, 1600.0)


def make_landuse(grid: Grid, roads: list) -> tuple[list[str], list]:
    """Land-use polygons (canonical class, local polygon) tiling the tile together with the roads."""
    roads_u = shapely.union_all(roads)
    classes, geoms = [], []

    def add(cls, g):
        g = shapely.difference(g, roads_u)
        if not g.is_empty and g.area > 1.0:
            classes.append(cls)
            geoms.append(g)

    for r, (v0, v1) in enumerate(grid.rows):
        for c, (u0, u1) in enumerate(cols_for_row(r)):
            st = STYLES[r][c]
            cls = "gemischt" if st in ("mixed", "platz") else ("gruen" if st == "green" else "wohnbau")
            add(cls, shapely.box(u0, v0, u1, v1))
    add("gewerbe", shapely.box(1009.0, 45.0, 1745.0, RAIL_V[0]))
    add("bahn", shapely.box(0.0, RAIL_V[0], 2000.0, RAIL_V[1]))
    add("gruen", shapely.box(245.0, RAIL_V[1], 1755.0, ROW0_SOUTH))
    forest = shapely.union(shapely.box(245.0, grid.north, 1755.0, 1600.0), shapely.box(0.0, 1380.0, 245.0, 1600.0))
    add("wald", forest)
    rest = shapely.difference(TILE, shapely.union_all(geoms + [roads_u]))
    for part in shapely.get_parts(rest):
        if part.area > 1.0:
            classes.append("landwirtschaft")
            geoms.append(part)
    return classes, geoms


def make_settlement(classes: list[str], geoms: list, roads: list, grid: Grid):
    """Innenbereich: built-up land use plus the streets inside it; farmland and forest excluded."""
    built = [g for c, g in zip(classes, geoms) if c in ("wohnbau", "gemischt", "gewerbe", "gruen")]
    inner = shapely.box(240.0, 40.0, 1760.0, grid.north + 0.5)
    streets = [shapely.intersection(g, inner) for g in roads]
    s = shapely.union_all(built + streets)
    return shapely.buffer(shapely.buffer(s, 1.0), -1.0)
