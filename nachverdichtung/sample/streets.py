"""Street grid of one sample tile: block rows and columns, streets, paths and the square.

All coordinates are in the local tile frame (see :mod:`nachverdichtung.sample.geometry`).
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely

from nachverdichtung.sample.edge import HOFGUT_STREET

#: Depth (north-south extent) of the block rows from south to north. Rows 0 and 8 are one-sided.
ROW_DEPTHS = (58.0, 90.0, 150.0, 60.0, 130.0, 100.0, 160.0, 100.0, 60.0)
STREET_W = 10.0
ROW0_SOUTH = 242.0  # north edge of the green strip along the railway
#: Block columns (u ranges) between the north-south streets; the main road lies at 991-1009.
COLS = ((255.0, 475.0), (485.0, 735.0), (745.0, 991.0), (1009.0, 1255.0), (1265.0, 1495.0), (1505.0, 1745.0))
NS_STREETS = (
    ("Am Feldrand", 245.0, 255.0),
    ("Mozartstraße", 475.0, 485.0),
    ("Kreuzstraße", 735.0, 745.0),
    ("Marktstraße", 1255.0, 1265.0),
    ("Talstraße", 1495.0, 1505.0),
    ("Ostring", 1745.0, 1755.0),
)
MAIN_ROAD = ("Hauptstraße", 991.0, 1009.0)
#: Offsets (m) of the four inner north-south streets per block row: the side streets jog at every
#: cross street, so junctions are staggered T-junctions rather than a chessboard of crossings.
JOGS = (
    (0.0, 0.0, 0.0, 0.0),
    (18.0, -12.0, 10.0, -20.0),
    (-15.0, 20.0, -18.0, 12.0),
    (25.0, 8.0, 22.0, -10.0),
    (0.0, -20.0, 15.0, 20.0),
    (-20.0, 15.0, -12.0, 0.0),
    (10.0, 0.0, 20.0, -15.0),
    (-10.0, 22.0, -20.0, 18.0),
    (15.0, -15.0, 0.0, 10.0),
)


def cols_for_row(r: int) -> tuple[tuple[float, float], ...]:
    """Block columns (u ranges) of block row ``r``, with the inner side streets jogged."""
    j = JOGS[r]
    shift = (0.0, j[0], j[1], 0.0, j[2], j[3], 0.0)  # left edge of each column / right edge of the previous
    out = []
    for c, (u0, u1) in enumerate(COLS):
        out.append((u0 + shift[c], u1 + shift[c + 1]))
    return tuple(out)
#: Names of the east-west streets s1..s8 (west of / east of the main road).
EW_NAMES = (
    ("Bahnhofstraße", "Am Bahndamm"),
    ("Lindenstraße", "Am Mühlbach"),
    ("Schulstraße", "Rosenstraße"),
    ("Gartenstraße", "Kirchstraße"),
    ("Bergstraße", "Mühlweg"),
    ("Goethestraße", "Schillerstraße"),
    ("Tulpenweg", "Jahnstraße"),
    ("Am Hang", "Höhenweg"),
)
GARDEN_PATHS = ("Gartenweg", "Hinterweg", "Scheunenweg", "Wingertsweg", "Pfad am Backes", "Bleichweg")
RAIL_V = (200.0, 222.0)  # railway land (ax_bahnverkehr)
TRACKS_V = (207.5, 214.5)
GEWERBE_STREET_V = (115.0, 127.0)
CULDESAC = {"row": 6, "col": 1, "u": 610.0, "half_width": 4.0, "length": 118.0, "radius": 11.0}
PLATZ = {"row": 2, "col": 3, "length": 70.0}
#: Block style per row (south to north) and column (west to east).
STYLES = (
    ("normal", "normal", "mixed", "mixed", "normal", "normal"),
    ("normal", "normal", "mixed", "mixed", "normal", "normal"),
    ("deep", "strip", "mixed", "platz", "deep", "deep_noprec"),
    ("through", "shallow", "green", "mixed", "shallow", "normal"),
    ("deep", "flag", "mixed", "mixed", "deep", "flag"),
    ("normal", "normal", "mixed", "mixed", "normal", "strip"),
    ("deep", "culdesac", "mixed", "mixed", "deep", "garden"),
    ("normal", "normal", "mixed", "mixed", "normal", "normal"),
    ("normal", "normal", "mixed", "mixed", "normal", "normal"),
)


@dataclass(frozen=True)
class Grid:
    """Positions of block rows and east-west streets (local v)."""

    rows: tuple[tuple[float, float], ...]
    streets: tuple[tuple[float, float], ...]  # s1..s8

    @property
    def north(self) -> float:
        return self.rows[-1][1]


def make_grid() -> Grid:
    """Compute the row and street bands from :data:`ROW_DEPTHS`."""
    rows, streets = [], []
    v = ROW0_SOUTH
    for i, d in enumerate(ROW_DEPTHS):
        rows.append((v, v + d))
        v += d
        if i < len(ROW_DEPTHS) - 1:
            streets.append((v, v + STREET_W))
            v += STREET_W
    return Grid(tuple(rows), tuple(streets))


def _box(u0, v0, u1, v1):
    return shapely.box(u0, v0, u1, v1)


def street_polygons(grid: Grid) -> tuple[list[str], list[str], list]:
    """Public traffic areas: (art, name, polygon) lists, free of overlaps.

    Priority: main road, east-west streets, north-south streets, cul-de-sac, paths, square.
    """
    arts, names, geoms = [], [], []
    taken = None

    def add(art, name, geom):
        nonlocal taken
        g = geom if taken is None else shapely.difference(geom, taken)
        if g.is_empty:
            return
        arts.append(art)
        names.append(name)
        geoms.append(g)
        taken = g if taken is None else shapely.union(taken, g)

    south_main = 0.0
    add("strassenverkehr", MAIN_ROAD[0], _box(MAIN_ROAD[1], south_main, MAIN_ROAD[2], grid.north + 30))
    for (v0, v1), (west, east) in zip(grid.streets, EW_NAMES):
        add("strassenverkehr", west, _box(245.0, v0, MAIN_ROAD[1], v1))
        add("strassenverkehr", east, _box(MAIN_ROAD[2], v0, 1755.0, v1))
    for k, (name, u0, u1) in enumerate(NS_STREETS):
        parts = []
        for r, (v0, v1) in enumerate(grid.rows):
            j = 0.0 if k in (0, len(NS_STREETS) - 1) else JOGS[r][k - 1]
            parts.append(_box(u0 + j, v0 - (STREET_W if r else 0.0), u1 + j, v1 + (STREET_W if r < len(grid.rows) - 1 else 0.0)))
        add("strassenverkehr", name, shapely.union_all(parts))
    cd = CULDESAC
    v0 = grid.streets[cd["row"] - 1][1]
    stem = _box(cd["u"] - cd["half_width"], v0, cd["u"] + cd["half_width"], v0 + cd["length"])
    circle = shapely.Point(cd["u"], v0 + cd["length"]).buffer(cd["radius"], quad_segs=8)
    add("strassenverkehr", "Im Winkel", shapely.union(stem, circle))
    add("strassenverkehr", "Gewerbestraße", _box(MAIN_ROAD[2], GEWERBE_STREET_V[0], 1745.0, GEWERBE_STREET_V[1]))
    add("strassenverkehr", HOFGUT_STREET[0], _box(*HOFGUT_STREET[1:]))
    add("weg", "Bahnweg", _box(0.0, RAIL_V[1] + 2.0, 2000.0, RAIL_V[1] + 5.0))
    add("weg", "Waldweg", _box(245.0, grid.north, 1755.0, grid.north + 3.0))
    # Footpath through the sports ground and the big garden block.
    r3 = grid.rows[3]
    add("weg", "Sportplatzweg", _box(860.0, r3[0], 864.0, r3[1]))
    # Garden paths along the middle of deep blocks (old village "Hinterwege").
    k = 0
    for r, (v0, v1) in enumerate(grid.rows):
        for c, (u0, u1) in enumerate(cols_for_row(r)):
            if STYLES[r][c] in ("deep", "deep_noprec", "flag"):
                vm = (v0 + v1) / 2
                add("weg", GARDEN_PATHS[k % len(GARDEN_PATHS)], _box(u0, vm - 1.5, u1, vm + 1.5))
                k += 1
    pr, pc = PLATZ["row"], PLATZ["col"]
    u0 = cols_for_row(pr)[pc][0]
    add("platz", "Marktplatz", _box(u0, grid.rows[pr][0], u0 + PLATZ["length"], grid.rows[pr][1]))
    return arts, names, geoms
