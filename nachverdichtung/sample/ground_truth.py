"""Expected candidate areas and planted cases, from construction knowledge.

The rule (DOMAIN.md, § 34 BauGB backland) is applied directly to the generated geometry, without
calling any candidate code of the package:

1. only parcels with residential or mixed land use inside the settlement;
2. per street, the de-facto rear building line is the 80th percentile of the depth (distance from
   the street area) of the rear facades of the main buildings with housing (``haupt``) on the
   parcels touching that street;
3. the front zone of a parcel is everything within that line + 3 m of each street it touches;
4. main buildings (housing and commercial) buffered by 3 m are removed, ancillary buildings
   (garages, sheds, garden houses) count as removable;
5. backland pieces of neighbouring parcels in one block and one street row (same street and side)
   that touch merge into one area; it qualifies if an 8 x 10 m footprint fits with 3 m distance to the boundary of the
   parcels involved and it has at least 250 m².
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

REAR_LINE_QUANTILE = 0.8
FRONT_EXTRA_M = 3.0
BUILDING_BUFFER_M = 3.0
BOUNDARY_M = 3.0
MIN_AREA_M2 = 250.0
FOOTPRINT = (8.0, 10.0)


def rear_lines(parcels, buildings, streets) -> dict[str, float]:
    """Rear building line (m from the street area) per street name.

    Each main building counts for the nearest street its parcel touches (the street it fronts), so
    houses of through-lots and corner parcels are not measured from their back or side street.
    """
    main = buildings[buildings["role"] == "haupt"]
    names = list(streets)
    sgeoms = np.array([streets[n] for n in names], dtype=object)
    si, pi = shapely.STRtree(parcels.geometry.to_numpy()).query(sgeoms, predicate="dwithin", distance=1.0)
    pairs = pd.DataFrame({"parcel": pi, "street": si})
    b = pd.DataFrame({"b": np.arange(len(main)), "parcel": main["parcel"].to_numpy()}).merge(pairs, on="parcel")
    bgeom = main.geometry.to_numpy()
    b["dist"] = shapely.distance(bgeom[b["b"].to_numpy()], sgeoms[b["street"].to_numpy()])
    front = b.sort_values(["b", "dist", "street"]).drop_duplicates("b")
    coords, cidx = shapely.get_coordinates(bgeom[front["b"].to_numpy()], return_index=True)
    street_of = front["street"].to_numpy()
    d = shapely.distance(shapely.points(coords), sgeoms[street_of[cidx]])
    depth = pd.Series(d).groupby(cidx).max().to_numpy()
    lines = {}
    for k, name in enumerate(names):
        sel = street_of == k
        if sel.any():
            lines[name] = float(np.quantile(depth[sel], REAR_LINE_QUANTILE))
    return lines


def _fits(inner) -> np.ndarray:
    """Whether an 8 x 10 m rectangle fits into each region (erosion test, any orientation)."""
    half = FOOTPRINT[0] / 2
    e = shapely.buffer(inner, -half, join_style="mitre")
    ok = ~shapely.is_empty(e)
    out = np.zeros(len(inner), bool)
    if ok.any():
        rr = shapely.minimum_rotated_rectangle(e[ok])
        c = shapely.get_coordinates(rr)
        n = shapely.get_num_coordinates(rr)
        starts = np.concatenate([[0], np.cumsum(n)[:-1]])
        lengths = []
        for s, k in zip(starts, n):
            p = c[s:s + k]
            if k < 3:
                lengths.append(np.hypot(*(p[-1] - p[0])) if k else 0.0)
                continue
            edges = np.hypot(*(np.diff(p, axis=0).T))
            lengths.append(edges.max())
        out[ok] = np.asarray(lengths) >= FOOTPRINT[1] - FOOTPRINT[0] - 1e-6
    return out


def _subtract_pairs(geoms, gi, others):
    """``geoms[i] - union(others[k] for pairs (i, k))``, in vectorised passes."""
    geoms = np.array(geoms, dtype=object)
    order = np.argsort(gi, kind="stable")
    gi, others = gi[order], others[order]
    rank = np.arange(len(gi)) - np.searchsorted(gi, gi)
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        sel = rank == r
        geoms[gi[sel]] = shapely.difference(geoms[gi[sel]], others[sel])
    return geoms


def expected_candidates(parcels, buildings, roads, settlement) -> tuple[list, list[list[int]], dict]:
    """Compute the expected candidate areas.

    Parameters
    ----------
    parcels, buildings, roads
        World-coordinate GeoDataFrames of one tile (parcels with ``landuse`` and ``block``,
        buildings with ``role`` and ``parcel``, roads with ``art`` and ``name``).
    settlement
        Settlement polygon.

    Returns
    -------
    geometries, parcel positions per candidate, rear lines per street
    """
    streets_df = roads[roads["art"] == "strassenverkehr"]
    streets = {n: shapely.union_all(g.to_numpy()) for n, g in streets_df.groupby("name").geometry}
    lines = rear_lines(parcels, buildings, streets)
    zones = {n: shapely.buffer(streets[n], lines[n] + FRONT_EXTRA_M, quad_segs=4) for n in lines}
    pgeom = parcels.geometry.to_numpy()
    ok = parcels["landuse"].isin(["wohnbau", "gemischt"]).to_numpy().copy()
    ok &= shapely.within(shapely.buffer(pgeom, -0.5), settlement)
    main = buildings[buildings["role"].isin(["haupt", "gewerbe", "sonstige"])]
    bbuf = shapely.buffer(main.geometry.to_numpy(), BUILDING_BUFFER_M, quad_segs=4)
    idx = np.nonzero(ok)[0]
    rest = np.array(pgeom[idx], dtype=object)
    # Front zones: subtract the zone of every street the parcel touches (vectorised passes).
    names = list(zones)
    sgeoms = np.array([streets[n] for n in names], dtype=object)
    zgeoms = np.array([zones[n] for n in names], dtype=object)
    pi, si = shapely.STRtree(sgeoms).query(rest, predicate="dwithin", distance=1.0)
    rest = _subtract_pairs(rest, pi, zgeoms[si])
    pi, bi = shapely.STRtree(bbuf).query(rest, predicate="intersects")
    rest = _subtract_pairs(rest, pi, bbuf[bi])
    parts, pidx = shapely.get_parts(rest, return_index=True)
    big = shapely.area(parts) >= 20.0
    pieces = list(parts[big])
    owner = list(idx[pidx[big]])
    pieces = np.asarray(pieces, dtype=object)
    owner = np.asarray(owner)
    # Merge touching pieces of neighbouring parcels in one block and street row …
    blocks = parcels["block"].to_numpy()[owner]
    rows = (parcels["street"].astype(str) + "|" + parcels["side"].astype(str)).to_numpy()[owner]
    tree = shapely.STRtree(pieces)
    a, b = tree.query(pieces, predicate="dwithin", distance=0.05)
    same = (blocks[a] == blocks[b]) & (rows[a] == rows[b]) & (a != b)
    n = len(pieces)
    graph = coo_matrix((np.ones(same.sum()), (a[same], b[same])), shape=(n, n))
    ncomp, label = connected_components(graph, directed=False)
    geoms, members = [], []
    for k in range(ncomp):
        sel = np.nonzero(label == k)[0]
        g = shapely.union_all(pieces[sel]) if len(sel) > 1 else pieces[sel[0]]
        g = shapely.buffer(shapely.buffer(g, 0.01, join_style="mitre"), -0.01, join_style="mitre")
        # … and keep it when together the pieces make a usable area: the footprint fits with 3 m to
        # the boundary of the parcels involved, and the area is large enough
        own = shapely.union_all(pgeom[np.unique(owner[sel])])
        inner = shapely.intersection(g, shapely.buffer(own, -BOUNDARY_M, join_style="mitre"))
        if g.area >= MIN_AREA_M2 and _fits(np.array([inner], dtype=object))[0]:
            geoms.append(g)
            members.append(sorted(set(owner[sel].tolist())))
    order = np.lexsort((np.round([g.centroid.x for g in geoms], 1), np.round([g.centroid.y for g in geoms], 1)))
    return [geoms[k] for k in order], [members[k] for k in order], lines


PLANTED_TEXT = {
    "topographie": ("steep backyard on the hillside, about 30 % mean slope", {"topographie": "nicht geeignet"}),
    "naturschutz": ("backyard cut by a § 30 BNatSchG biotope (Feuchtwiese)", {"naturschutz": "nicht geeignet"}),
    "starkregen": ("backyard in a hollow on the heavy-rain flow path, max. depth > 0.5 m",
                   {"starkregen": "nicht geeignet"}),
    "baeume": ("backyard with three large protected trees (150-240 cm trunk circumference), crown cover < 40 %",
               {"baeume": "bedingt geeignet"}),
    "erschliessung_blockiert": ("front built from side boundary to side boundary (house + attached double "
                                "garage): no access corridor", {"erschliessung": "nicht geeignet"}),
    "erschliessung_frei": ("10 m wide free side strip next to the house, backyard within 50 m of the street",
                           {"erschliessung": "geeignet"}),
    "klima": ("backyard inside a cold-air corridor (Kaltluftleitbahn)", {"klima": "nicht geeignet"}),
    "immissionen": ("backyard next to the railway, L_DEN about 70 dB(A)", {"immissionen": "nicht geeignet"}),
    "vorbild": ("block with existing rear houses on flag lots (precedent, § 34 BauGB)", {"vorbild": "geeignet"}),
    "vorbild_ohne": ("block without any rear house (no precedent)", {"vorbild": "bedingt geeignet"}),
}


def planted_cases(parcels, geoms, members) -> list[dict]:
    """Map each planted parcel to its expected candidate."""
    out = []
    for case, (text, expected) in PLANTED_TEXT.items():
        pos = int(np.nonzero(parcels["case"].to_numpy() == case)[0][0])
        hits = [k for k, m in enumerate(members) if pos in m]
        if not hits:
            raise RuntimeError(f"planted case {case!r} produced no expected candidate")
        k = hits[0]
        out.append({"case": case, "description": text, "candidate": k, "expected": expected})
    return out


def planted_zones(geoms, zones: dict, *, taken: set) -> list[dict]:
    """Planted cases defined by a zone: the largest expected candidate lying (95 %) inside each zone polygon.

    ``zones`` maps case → (zone polygon, description, expected classes); candidates already used by
    another planted case are skipped.
    """
    g = np.asarray(geoms, dtype=object)
    out = []
    for case, (zone, text, expected) in zones.items():
        share = shapely.area(shapely.intersection(g, zone)) / shapely.area(g)
        share[list(taken)] = -1.0
        inside = share >= 0.95
        k = int(np.argmax(np.where(inside, shapely.area(g), share)))  # the largest candidate inside
        if share[k] < 0.95:
            raise RuntimeError(f"planted case {case!r}: no expected candidate inside its zone")
        taken = taken | {k}
        out.append({"case": case, "description": text, "candidate": k, "expected": expected})
    return out
