"""Thematic vector layers of one tile: trees, protected areas, species, climate, railway.

Everything is drawn in the local tile frame; planted features are placed relative to the planted
parcels so that each planted case is a clean example of its criterion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from nachverdichtung.sample.streets import COLS, RAIL_V, TRACKS_V, Grid

COMMON = ("Stieleiche", "Rotbuche", "Bergahorn", "Winterlinde", "Hainbuche", "Walnuss", "Apfel",
          "Kirsche", "Birke", "Apfel", "Kirsche", "Birke")
LISTED = ("Amberbaum", "Tulpenbaum", "Maulbeere", "Feldahorn", "Speierling", "Weißdorn", "Stechpalme", "Eibe")


def _frame_point(p, x, y):
    return p.ox + x * p.ax + y * p.nx, p.oy + x * p.ay + y * p.ny


def make_trees(parcels: pd.DataFrame, rng: np.random.Generator, grid: Grid) -> pd.DataFrame:
    """Tree register: garden trees in backyards, street trees, the planted protected trees.

    Returns a frame with local ``u``, ``v`` and ``art``, ``umfang_cm``, ``krone_m`` (NaN = missing).
    """
    rec = []
    species = np.array(COMMON + LISTED)
    weights = np.array([3.0] * len(COMMON) + [0.6] * len(LISTED))
    weights /= weights.sum()
    for p in parcels.itertuples(index=False):
        if p.case or p.kind in ("flank", "gewerbe", "green") or p.depth < 30:
            continue
        n = rng.poisson(1.3 if p.kind != "interior" else 6.0)
        y_lo = 24.0 if p.kind != "interior" else 3.0
        for _ in range(n):
            x = rng.uniform(p.x0 + 2.0, p.x1 - 2.0)
            y = rng.uniform(y_lo, p.depth - 2.0)
            art = str(rng.choice(species, p=weights))
            umfang = float(np.clip(rng.lognormal(np.log(50.0), 0.6), 12.0, 380.0))
            krone = float(np.clip(1.5 + umfang / 22.0 + rng.normal(0, 1.0), 1.5, 20.0))
            u, v = _frame_point(p, x, y)
            rec.append((u, v, art, round(umfang), round(krone, 1)))
    # Street trees (lime and maple avenues) along two streets.
    for k, art in ((3, "Winterlinde"), (5, "Bergahorn")):
        v0, v1 = grid.streets[k]
        for u in np.arange(270.0, 980.0, 14.0):
            umfang = float(np.clip(rng.normal(110, 25), 50, 200))
            rec.append((u + rng.uniform(-1, 1), v0 + 1.2, art, round(umfang), round(2 + umfang / 22, 1)))
    # Planted: three large protected trees in the tree backyard.
    p = parcels[parcels["case"] == "baeume"].iloc[0]
    for (dx, y, art, umf, kr) in ((6.0, 32.0, "Stieleiche", 240, 9.0), (13.0, 43.0, "Walnuss", 180, 8.0),
                                  (19.0, 34.0, "Amberbaum", 150, 7.0)):
        u, v = _frame_point(p, p.x0 + dx, y)
        rec.append((u, v, art, umf, kr))
    df = pd.DataFrame(rec, columns=["u", "v", "art", "umfang_cm", "krone_m"])
    df["umfang_cm"] = df["umfang_cm"].astype(float)
    planted = len(df) - 3
    miss_u = rng.random(len(df)) < 0.07
    miss_k = rng.random(len(df)) < 0.10
    miss_u[planted:] = miss_k[planted:] = False
    df.loc[miss_u, "umfang_cm"] = np.nan
    df.loc[miss_k, "krone_m"] = np.nan
    return df


def _case_rect(parcels, case, y0, y1, dx0=0.0, dx1=0.0):
    p = parcels[parcels["case"] == case].iloc[0]
    a = _frame_point(p, p.x0 - dx0, y0)
    b = _frame_point(p, p.x1 + dx1, y1)
    return shapely.box(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))


def make_protected(parcels: pd.DataFrame, grid: Grid) -> tuple[list, list, list]:
    """Protected areas: (kategorie, name, local polygon)."""
    north = grid.north
    p = parcels[parcels["case"] == "naturschutz"].iloc[0]
    biotop = _case_rect(parcels, "naturschutz", p.depth - 16.0, p.depth + 6.0, 16.0, 16.0)
    nd_u, nd_v = 1044.0, (grid.rows[2][0] + grid.rows[2][1]) / 2
    return (
        ["NSG", "FFH", "LSG", "Biotop30", "Biotop30", "Naturdenkmal"],
        ["Hangwald am Hohen Kopf", "Kaiserslauterer Reichswald (Teilfläche)", "Offenland westlich der Stadt",
         "Feuchtwiese im Blockinnern", "Magerrasen am Bahndamm", "Dorflinde am Marktplatz"],
        [shapely.box(430.0, north + 70.0, 900.0, 1560.0),
         shapely.box(950.0, north + 50.0, 1755.0, 1600.0),
         shapely.box(0.0, RAIL_V[1] + 20.0, 240.0, 1600.0),
         biotop,
         shapely.box(300.0, RAIL_V[1] + 6.0, 700.0, RAIL_V[1] + 18.0),
         shapely.Point(nd_u, nd_v).buffer(12.0, quad_segs=8)],
    )


def naturdenkmal_tree(grid: Grid) -> tuple[float, float, str, float, float]:
    """The old lime tree of the natural monument (local u, v, art, umfang_cm, krone_m)."""
    return 1044.0, (grid.rows[2][0] + grid.rows[2][1]) / 2, "Winterlinde", 520.0, 18.0


def make_species(parcels: pd.DataFrame, buildings: pd.DataFrame, rng, grid: Grid) -> tuple[list, list]:
    """Species records (art, local point)."""
    arts, pts = [], []
    for u in np.linspace(320.0, 1650.0, 9):
        arts.append("Zauneidechse")
        pts.append(shapely.Point(u + rng.uniform(-20, 20), RAIL_V[1] + rng.uniform(4.0, 16.0)))
    ok = parcels["case"].eq("") & parcels["kind"].isin(["normal", "corner", "strip"])
    houses = buildings[(buildings["role"] == "haupt") & ok.to_numpy()[buildings["parcel"].to_numpy()]]
    for g in houses.sample(10, random_state=int(rng.integers(1 << 31)))["geom"]:
        arts.append("Zwergfledermaus")
        pts.append(g.centroid)
    for _ in range(4):
        arts.append("Steinkauz")
        pts.append(shapely.Point(rng.uniform(60, 220), rng.uniform(500, 1100)))
    for _ in range(3):
        arts.append("Hirschkäfer")
        pts.append(shapely.Point(rng.uniform(1000, 1700), rng.uniform(grid.north + 60, 1550)))
    return arts, pts


def make_climate(parcels: pd.DataFrame, grid: Grid, thalweg_u: float, open_land) -> tuple[list, list]:
    """Climate function map: (funktion, local polygon)."""
    p = parcels[parcels["case"] == "klima"].iloc[0]
    v_lo = p.oy + 18.0
    corridor = shapely.box(-50.0, v_lo, 470.0, p.oy + p.depth + 40.0)
    valley = shapely.box(thalweg_u - 45.0, grid.north, thalweg_u + 45.0, 1650.0)
    hot = shapely.union(shapely.box(900.0, RAIL_V[1], 1100.0, grid.north), shapely.box(1009.0, 40.0, 1750.0, 200.0))
    return (["kaltluftentstehung", "kaltluftleitbahn", "kaltluftleitbahn", "ueberwaermung"],
            [open_land, corridor, valley, hot])


def rail_lines() -> list:
    """The two tracks (local lines)."""
    return [shapely.LineString([(-50.0, v), (2050.0, v)]) for v in TRACKS_V]


#: ALKIS restriction layers of the sample: object type → list of (code, name, local polygon builder).
#: Codes are real GeoInfoDok values (see nachverdichtung.legal_codes); names are invented.
LEGAL_BEGINNT = "2025-11-03T08:15:00Z"
NATUR_CODE = {"NSG": 1621, "FFH": 1611, "LSG": 1623, "Biotop30": 1651, "Naturdenkmal": 1653}


def _block(grid: Grid, row: int, col: int, inset: float = 0.0):
    u0, u1 = COLS[col]
    v0, v1 = grid.rows[row]
    return shapely.box(u0 + inset, v0 + inset, u1 - inset, v1 - inset)


def make_legal(grid: Grid, protected: tuple[list, list, list]) -> dict[str, tuple[dict, list]]:
    """ALKIS restriction objects: {object type: (columns, local polygons)}.

    * ``ax_naturumweltoderbodenschutzrecht``: the protected areas of the thematic layer with their codes;
    * ``ax_denkmalschutzrecht``: Denkmalzone „Alter Ortskern“ (2910) over block row 6, column 3, and the
      Baudenkmal „Altes Pfarrhaus“ (2711) at its street front;
    * ``ax_anderefestlegungnachwasserrecht``: festgesetztes Überschwemmungsgebiet „Mühlbach“ (1441) over
      block row 1, column 2; ``ax_klassifizierungnachwasserrecht``: the Mühlbach as Gewässer III. Ordnung (1340);
    * ``ax_schutzzone``: Zone III (1030) of a water protection area over rows 1–3 of column 5;
    * ``ax_bauraumoderbodenordnungsrecht``: Umlegung nach dem BauGB „Am Rebenhang“ (1750) over row 2, column 1.
    """
    kat, names, geoms = protected
    zone = _block(grid, 6, 3)
    v0 = grid.rows[6][0]
    flood = _block(grid, 1, 2)
    vm = sum(grid.rows[1]) / 2
    wsz = shapely.union_all([_block(grid, r, 5) for r in (1, 2, 3)])
    return {
        "ax_naturumweltoderbodenschutzrecht": (
            {"artderfestlegung": [NATUR_CODE[k] for k in kat], "name": list(names)}, list(geoms)),
        "ax_denkmalschutzrecht": ({"artderfestlegung": [2910, 2711], "name": ["Alter Ortskern", "Altes Pfarrhaus"]},
                                  [zone, shapely.box(1020.0, v0 + 2.0, 1034.0, v0 + 14.0)]),
        "ax_anderefestlegungnachwasserrecht": ({"artderfestlegung": [1441], "name": ["Mühlbach"]}, [flood]),
        "ax_klassifizierungnachwasserrecht": ({"artderfestlegung": [1340], "name": ["Mühlbach"]},
                                              [shapely.box(745.0, vm - 1.5, 991.0, vm + 1.5)]),
        "ax_schutzzone": ({"zone": [1030], "name": ["WSG Rebenhausen, Zone III"]}, [wsz]),
        "ax_bauraumoderbodenordnungsrecht": ({"artderfestlegung": [1750], "name": ["Am Rebenhang"]},
                                             [_block(grid, 2, 1)]),
    }
