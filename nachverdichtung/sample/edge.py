"""The village edge of a sample tile: what real wine villages have (local frame).

West of "Am Feldrand" the district ends as villages in Rhineland-Palatinate do:

- **long strip parcels** (about 15 x 150 m): a house plot at the street (Wohnbaufläche), then, by
  group, a vineyard (Weingarten), arable land, grassland, or first a house garden mapped as
  ``ax_landwirtschaft`` Gartenland or as ``ax_sportfreizeitunderholungsflaeche`` Garten;
- a **church** and a **school** with large grounds (``ax_flaechebesondererfunktionalerpraegung``
  funktion 1140 / 1120);
- a **farmstead hamlet** (Aussiedlerhof, three parcels) out in the fields, which the shipped
  Innenbereich does not contain and a derived one must not contain either (a small cluster is no
  Ortsteil, § 34 BauGB).

The land-use table :data:`STRIP_GROUPS` is the construction knowledge the ground truth uses.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Street the edge parcels front (x of its west side) and the strip depth.
FELDRAND_U = 245.0
STRIP_DEPTH = 150.0
#: Depth of the house plot (Wohnbaufläche) of every strip, from the street.
HOUSE_PLOT_M = 24.0
#: Strip groups from south to north: (name, number of parcels, bands behind the house plot as
#: (from m, to m, class, attribute, code, eligible)). Codes: GeoInfoDok AAA code lists.
STRIP_GROUPS = (
    ("gartenland", 8, ((HOUSE_PLOT_M, 75.0, "landwirtschaft", "vegetationsmerkmal", 1030, True),
                       (75.0, STRIP_DEPTH, "landwirtschaft", "vegetationsmerkmal", 1040, False))),
    ("weinberg", 8, ((HOUSE_PLOT_M, STRIP_DEPTH, "landwirtschaft", "vegetationsmerkmal", 1040, False),)),
    ("garten", 8, ((HOUSE_PLOT_M, 70.0, "gruen", "funktion", 4460, True),
                   (70.0, STRIP_DEPTH, "landwirtschaft", "vegetationsmerkmal", 1020, False))),
    ("acker", 7, ((HOUSE_PLOT_M, STRIP_DEPTH, "landwirtschaft", "vegetationsmerkmal", 1010, False),)),
    ("wiese", 7, ((HOUSE_PLOT_M, STRIP_DEPTH, "landwirtschaft", "vegetationsmerkmal", 1020, False),)),
)
#: v range of the strip row (between the church and the school).
STRIPS_V = (410.0, 1050.0)
#: Church with its churchyard and school with its grounds: (case, v0, v1, depth, funktion of the
#: land use, gebaeudefunktion, building in the parcel frame (x0, x1, y0, y1)).
PUBLIC = (
    ("kirche", 320.0, 400.0, 70.0, 1140, 3041, (25.0, 55.0, 8.0, 24.0)),
    ("schule", 1060.0, 1160.0, 90.0, 1120, 3021, (15.0, 85.0, 6.0, 24.0)),
)
#: Farmstead hamlet north of the street "Am Hofgut": parcel u ranges, v range.
HAMLET_U = ((10.0, 50.0), (50.0, 90.0), (90.0, 130.0))
HAMLET_V = (1184.0, 1244.0)
HOFGUT_STREET = ("Am Hofgut", 10.0, 1176.0, FELDRAND_U, 1184.0)

_N, _W, _S = (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)
#: The edge draws from its own random stream, so adding it leaves the rest of the district unchanged.
EDGE_SEED = 1509


def edge_rng() -> np.random.Generator:
    """A fresh generator for the edge (same edge for every seed)."""
    return np.random.default_rng(EDGE_SEED)


def strip_widths(rng, n: int, total: float) -> list[float]:
    """``n`` widths of 13-17 m scaled to ``total``."""
    w = rng.uniform(13.0, 17.0, n)
    return list(w * (total / w.sum()))


def add_edge_parcels(col_) -> None:
    """Append the edge parcels (strips, church, school, hamlet) to a parcel collector."""
    rng = edge_rng()
    n = sum(g[1] for g in STRIP_GROUPS)
    widths = strip_widths(rng, n, STRIPS_V[1] - STRIPS_V[0])
    frame = ((FELDRAND_U, STRIPS_V[0]), _N, _W)
    x = 0.0
    k = 0
    # each group is a block of its own for the ground truth (in reality a farm track often separates them)
    for g, (name, count, _bands) in enumerate(STRIP_GROUPS):
        for j in range(count):
            x0, x1 = x, x + widths[k]
            geom = shapely.box(FELDRAND_U - STRIP_DEPTH, STRIPS_V[0] + x0, FELDRAND_U, STRIPS_V[0] + x1)
            col_.add(geom, row=9, col=g, side="w", street="Am Feldrand", style=f"edge_{name}", landuse="wohnbau",
                     kind="strip", frame=frame, x0=x0, x1=x1, depth=STRIP_DEPTH,
                     case=name if j == count // 2 else "")
            x, k = x1, k + 1
    for case, v0, v1, depth, _f, _g, _b in PUBLIC:
        geom = shapely.box(FELDRAND_U - depth, v0, FELDRAND_U, v1)
        col_.add(geom, row=9, col=5, side="w", street="Am Feldrand", style="public", landuse="oeffentlich",
                 kind="public", frame=((FELDRAND_U, v0), _N, _W), x0=0.0, x1=v1 - v0, depth=depth, case=case)
    for j, (u0, u1) in enumerate(HAMLET_U):
        geom = shapely.box(u0, HAMLET_V[0], u1, HAMLET_V[1])
        col_.add(geom, row=9, col=7, side="n", street=HOFGUT_STREET[0], style="hamlet", landuse="gemischt",
                 kind="hamlet", frame=((u0, HAMLET_V[0]), (1.0, 0.0), _N), x0=0.0, x1=u1 - u0,
                 depth=HAMLET_V[1] - HAMLET_V[0], case="aussenbereich" if j == 1 else "")


def edge_buildings(b, i, p, rng) -> bool:
    """Buildings of the edge parcels (``True`` if ``p`` was one of them); ``rng`` from :func:`edge_rng`.

    Strips get a house at the street over the full width (setback 0-2 m, 12-16 m deep) and, on most,
    a shed behind it; church and school one large building; each hamlet parcel a farmhouse and a barn.
    """
    if str(p.style).startswith("edge_"):
        sb, hd = rng.uniform(0.0, 2.0), rng.uniform(12.0, 16.0)
        b.add(i, p.x0, p.x1, sb, sb + hd, 1010, int(rng.choice([1, 2, 2])), "haupt")
        if rng.random() < 0.6:
            b.add(i, p.x0 + 1.0, p.x0 + 5.0, sb + hd + 1.0, sb + hd + 6.0, 2723, 1, "neben")  # shed
        return True
    if p.kind == "public":
        spec = next(s for s in PUBLIC if s[0] == p.case)
        x0, x1, y0, y1 = spec[6]
        b.add(i, x0, x1, y0, y1, spec[5], 2, "sonstige")
        return True
    if p.kind == "hamlet":
        b.add(i, 5.0, 17.0, 5.0, 17.0, 1010, 2, "haupt")          # farmhouse
        b.add(i, 20.0, 36.0, 5.0, 25.0, 2720, 1, "gewerbe")       # barn (land- und forstwirtschaftliches Betriebsgebäude)
        return True
    return False


def edge_landuse(parcels) -> list[tuple[str, str | None, int | None, bool, object]]:
    """Land-use polygons of the edge: (class, attribute, code, in the Innenbereich, local polygon).

    Bands are unions over a strip group, as ALKIS land-use polygons span several parcels.
    """
    out = []
    style = parcels["style"].to_numpy()
    geoms = parcels["geom"].to_numpy()
    for name, _count, bands in STRIP_GROUPS:
        sel = geoms[style == f"edge_{name}"]
        if not len(sel):
            continue
        box = shapely.bounds(shapely.union_all(sel))
        v0, v1 = box[1], box[3]
        out.append(("wohnbau", "artderbebauung", 1000, True,
                    shapely.box(FELDRAND_U - HOUSE_PLOT_M, v0, FELDRAND_U, v1)))
        for d0, d1, cls, attr, code, eligible in bands:
            out.append((cls, attr, code, eligible, shapely.box(FELDRAND_U - d1, v0, FELDRAND_U - d0, v1)))
    for case, v0, v1, depth, funktion, _g, _b in PUBLIC:
        out.append(("oeffentlich", "funktion", funktion, True, shapely.box(FELDRAND_U - depth, v0, FELDRAND_U, v1)))
    for u0, u1 in HAMLET_U:
        out.append(("gemischt", "funktion", 2730, False, shapely.box(u0, HAMLET_V[0], u1, HAMLET_V[1])))
    return out


def eligible_bands(parcels) -> object:
    """Union of the edge land use a planner would build on (house plots and house gardens), local frame."""
    polys = [g for cls, _a, _c, inner, g in edge_landuse(parcels) if inner and cls != "oeffentlich"]
    return shapely.union_all(polys) if polys else shapely.Polygon()
