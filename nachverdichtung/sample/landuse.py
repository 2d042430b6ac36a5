"""Actual land use (tatsächliche Nutzung) and the settlement boundary of one tile (local frame)."""

from __future__ import annotations

import shapely

from nachverdichtung.sample.edge import edge_landuse
from nachverdichtung.sample.parcels import STYLES
from nachverdichtung.sample.streets import RAIL_V, ROW0_SOUTH, Grid, cols_for_row

TILE = shapely.box(0.0, 0.0, 2000.0, 1600.0)


def make_landuse(grid: Grid, roads: list, parcels=None) -> tuple[list[str], list, list, list[bool]]:
    """Land-use polygons tiling the tile together with the roads.

    Returns
    -------
    classes, local polygons, ALKIS attribute per polygon (``(attribute, code)`` or ``None``), and
    whether the polygon belongs to the built-up village (the shipped Innenbereich).
    """
    roads_u = shapely.union_all(roads)
    classes, geoms, codes, inner = [], [], [], []

    def add(cls, g, code=None, settled=True):
        g = shapely.difference(g, roads_u)
        if not g.is_empty and g.area > 1.0:
            classes.append(cls)
            geoms.append(g)
            codes.append(code)
            inner.append(settled)

    for r, (v0, v1) in enumerate(grid.rows):
        for c, (u0, u1) in enumerate(cols_for_row(r)):
            st = STYLES[r][c]
            cls = "gemischt" if st in ("mixed", "platz") else ("gruen" if st == "green" else "wohnbau")
            add(cls, shapely.box(u0, v0, u1, v1), ("funktion", 4120) if st == "green" else None)
    add("gewerbe", shapely.box(1009.0, 45.0, 1745.0, RAIL_V[0]))
    add("bahn", shapely.box(0.0, RAIL_V[0], 2000.0, RAIL_V[1]))
    add("gruen", shapely.box(245.0, RAIL_V[1], 1755.0, ROW0_SOUTH), ("funktion", 4410))
    forest = shapely.union(shapely.box(245.0, grid.north, 1755.0, 1600.0), shapely.box(0.0, 1380.0, 245.0, 1600.0))
    add("wald", forest, settled=False)
    if parcels is not None:
        for cls, attr, code, settled, g in edge_landuse(parcels):
            add(cls, g, (attr, code), settled=settled)
    rest = shapely.difference(TILE, shapely.union_all(geoms + [roads_u]))
    for part in shapely.get_parts(rest):
        if part.area > 1.0:
            classes.append("landwirtschaft")
            geoms.append(part)
            codes.append(("vegetationsmerkmal", 1010))  # Ackerland
            inner.append(False)
    return classes, geoms, codes, inner


def make_settlement(classes: list[str], geoms: list, roads: list, grid: Grid, inner: list[bool] | None = None):
    """Innenbereich: built-up land use and house gardens plus the streets inside it; fields, forest excluded."""
    inner = inner if inner is not None else [True] * len(classes)
    built = [g for c, g, i in zip(classes, geoms, inner)
             if i and c in ("wohnbau", "gemischt", "gewerbe", "gruen", "oeffentlich", "landwirtschaft")]
    box = shapely.box(240.0, 40.0, 1760.0, grid.north + 0.5)
    streets = [shapely.intersection(g, box) for g in roads]
    s = shapely.union_all(built + streets)
    return shapely.buffer(shapely.buffer(s, 1.0), -1.0)
