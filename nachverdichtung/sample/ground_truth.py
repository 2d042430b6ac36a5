"""Expected candidate areas and planted cases, from construction knowledge.

The rule (DOMAIN.md, § 34 BauGB backland) is applied directly to the generated geometry, without
calling any candidate code of the package:

1. only the part of each parcel on residential or mixed land use or on a house garden (Gartenland,
   Garten), inside the settlement: backland never runs into vineyards, fields or meadows;
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


#: Land use a planner builds on, from construction knowledge: residential and mixed classes, and
#: house gardens by their ALKIS code (Gartenland 1030, Garten 4460); the hamlet lies outside the settlement.
GARDEN_CODES = (("vegetationsmerkmal", 1030), ("funktion", 4460))


def eligible_landuse(landuse) -> np.ndarray:
    """Boolean mask of the sample's land-use polygons a planner would build on."""
    ok = landuse["nutzung"].isin(["wohnbau", "gemischt"]).to_numpy().copy()
    for attr, code in GARDEN_CODES:
        ok |= (landuse[attr] == code).to_numpy()
    return ok


def expected_candidates(parcels, buildings, roads, settlement, eligible=None) -> tuple[list, list[list[int]], dict]:
    """Compute the expected candidate areas.

    Parameters
    ----------
    parcels, buildings, roads
        World-coordinate GeoDataFrames of one tile (parcels with ``landuse`` and ``block``,
        buildings with ``role`` and ``parcel``, roads with ``art`` and ``name``).
    settlement
        Settlement polygon.
    eligible
        Union of the eligible land use (``None``: the parcels' own land use decides).

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
    allowed = shapely.intersection(settlement, eligible) if eligible is not None else settlement
    ok &= shapely.area(shapely.intersection(pgeom, allowed)) >= 1.0
    main = buildings[buildings["role"].isin(["haupt", "gewerbe", "sonstige"])]
    bbuf = shapely.buffer(main.geometry.to_numpy(), BUILDING_BUFFER_M, quad_segs=4)
    idx = np.nonzero(ok)[0]
    rest = np.array(pgeom[idx], dtype=object)
    # only the part on eligible land use inside the settlement can be backland
    rest = shapely.intersection(rest, allowed)
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


#: Planted cases of the village edge (land use and settlement): description and expected outcome
#: for every parcel of the group (status; reason for excluded parcels, as the planner would write it).
#: With the Innenbereich derived (config_ohne_innenbereich.yml) the house gardens behind the last
#: row of houses at the edge are Außenbereich (the Bebauungszusammenhang ends at the last building),
#: see EDGE_DERIVED.
EDGE_TEXT = {
    "gartenland": ("strip parcels: house plot, house garden mapped as ax_landwirtschaft Gartenland (1030), then a "
                   "vineyard; the candidate area ends where the garden ends", {"status": "Kandidat"}),
    "garten": ("strip parcels: house plot, house garden mapped as ax_sportfreizeitunderholungsflaeche Garten "
               "(4460), then grassland; the candidate area ends where the garden ends", {"status": "Kandidat"}),
    "weinberg": ("strip parcels: house plot, then a vineyard (ax_landwirtschaft Weingarten 1040)",
                 {"status": "ausgeschlossen", "grund": "Hinterland liegt auf Weinbaufläche"}),
    "acker": ("strip parcels: house plot, then arable land (Ackerland 1010)",
              {"status": "ausgeschlossen", "grund": "Hinterland liegt auf Ackerland"}),
    "wiese": ("strip parcels: house plot, then grassland (Grünland 1020)",
              {"status": "ausgeschlossen", "grund": "Hinterland liegt auf Grünland"}),
    "kirche": ("church with a large churchyard (ax_flaechebesondererfunktionalerpraegung Religiöse Einrichtung 1140)",
               {"status": "ausgeschlossen",
                "grund": "Nutzung Kirchengelände (religiöse Einrichtung): keine für Hinterland zulässige Nutzung"}),
    "schule": ("school with large grounds (ax_flaechebesondererfunktionalerpraegung Bildung und Forschung 1120)",
               {"status": "ausgeschlossen",
                "grund": "Nutzung Schul- und Bildungsgelände: keine für Hinterland zulässige Nutzung"}),
    "aussenbereich": ("farmstead hamlet of three parcels in the fields: outside the Innenbereich, and too small "
                      "a cluster to be an Ortsteil when the Innenbereich is derived",
                      {"status": "ausgeschlossen", "grund": "Außenbereich (§ 35 BauGB)"}),
}


#: Expected outcomes that differ when the Innenbereich is derived instead of given.
EDGE_DERIVED = {
    "gartenland": {"status": "ausgeschlossen"},
    "garten": {"status": "ausgeschlossen"},
    "aussenbereich": {"status": "ausgeschlossen", "grund": "Außenbereich (§ 35 BauGB; Innenbereich abgeleitet)"},
}


def edge_cases(parcels, members) -> list[dict]:
    """The village-edge cases: parcel positions of each group and, for candidates, the expected area."""
    style = parcels["style"].to_numpy()
    case = parcels["case"].to_numpy()
    out = []
    for name, (text, expected) in EDGE_TEXT.items():
        if name in ("kirche", "schule"):
            pos = np.flatnonzero(case == name)
        elif name == "aussenbereich":
            pos = np.flatnonzero(style == "hamlet")
        else:
            pos = np.flatnonzero(style == f"edge_{name}")
        if not len(pos):
            raise RuntimeError(f"edge case {name!r} has no parcels")
        hits = [k for k, m in enumerate(members) if set(m) & set(pos.tolist())]
        if (expected["status"] == "Kandidat") != bool(hits):
            raise RuntimeError(f"edge case {name!r}: expected {expected['status']}, construction gives {hits}")
        out.append({"case": name, "description": text, "positions": pos.tolist(),
                    "candidate": hits[0] if hits else None, "expected": expected,
                    "expected_abgeleitet": EDGE_DERIVED.get(name, expected)})
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
