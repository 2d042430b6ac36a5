"""Derive second-row candidate areas as a planner would (and take planner-drawn areas).

The method, step by step (all vectorised over parcels; the few loops run over ranks or
iterations, never over features):

1. **Scope.** The part of each parcel on eligible actual land use (:mod:`nachverdichtung.landuse`:
   a rule table by ALKIS object type and attribute) and inside the settlement boundary
   (Innenbereich), if one is given. Parcels with such a part are in scope; their backland is
   later **clipped** to it, so no candidate area lies on vineyards, fields, school grounds or in
   the Außenbereich.
2. **Streets.** Public road polygons (Straßenverkehr, Platz) are grouped into streets by name.
3. **De-facto rear building line** (§ 34 BauGB case law). Every main building is assigned to its
   nearest street; its rear depth is the largest distance of its corners from that street. The
   street's rear building line is a high quantile (default 75 %) of these depths, so a single rear
   house (the precedent itself) does not move the line.
4. **Front zones.** Each street is buffered by its line depth plus the setback, and the zone is
   taken from the parcels that front (touch) that street. A corner parcel or through-lot fronts
   several streets and so gets a front zone toward each of them.
5. **Backland** = parcel − front zones − existing buildings buffered by the setback (ancillary
   buildings are removable by default).
6. **Block interiors.** Backland pieces of neighbouring parcels that share an edge (≥ 3 m) merge
   into one area (connected components), with every parcel involved (each an owner to be
   convinced). By default pieces merge along a street row (parcels fronting the same street);
   ``merge_scope: block`` also joins the gardens of back-to-back rows into one block interior.
7. **Usable?** Each area is opened by half the minimum width (slivers and thin strips vanish),
   must keep the minimum area and must hold one minimum footprint with the setback to the
   boundary of its parcels; what fails is counted as a sliver.
8. **Ids** are ``<Gemarkung>-<Flur>-<Zähler>[-<Nenner>]-<a|b|…>`` of the main parcel (largest
   share), lettered by position; they depend only on the area's own parcel, so a change in
   another block never renames an area.
9. **Accounting.** Every input parcel ends in the parcel table: part of a candidate, or excluded
   with a reason.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .fit import footprint_fits, union_collections
from .landuse import eligibility, resolve_rules
from .parallel import elementwise, tree_query
from .sindex import nearest, query
from .params import param
from .settlement import derive_settlement
from .io.clean import geometry_array as _arr

log = logging.getLogger(__name__)

__all__ = ["CandidateParams", "CandidateResult", "derive_candidates", "involved_parcels", "street_depths",
           "parcel_unions", "make_ids", "connected_streets", "build_streets", "street_blocks", "point_in", "excluded_rows",
           "street_lines", "rear_houses", "front_zones", "STREET_GAP_M", "STREET_SEARCH_M", "EXTENT"]

STREET_ARTS = ("strassenverkehr", "platz")
#: Road polygons of the same name farther apart than this belong to different streets, in m
#: [Konvention: a street interrupted by a junction or a square (up to about 50 m) stays one street;
#: the same name in the next village lies much farther away]. A module constant, not a parameter:
#: the dask engine groups streets across tiles with the same value.
STREET_GAP_M = 50.0
#: Float safety margin of a distance query radius (m); any value ≥ 0 gives the same result.
_QUERY_MARGIN_M = 1.0
#: Rounding margin (m²) of an area computed as a difference of two areas instead of from the geometry
#: (rounding errs by far less than 1e-3 m²); any value above that gives the same result, only slower.
_AREA_SLACK_M2 = 1.0
#: Largest distance of a building from the street it is assigned to, in m [Konvention: beyond the
#: deepest rear building line considered (``max_building_line_m`` 45 m) plus a margin; also the
#: context the dask engine takes around each street].
STREET_SEARCH_M = 60.0
#: Columns of a bounding box (the extents of :class:`CandidateResult`).
EXTENT = ("xmin", "ymin", "xmax", "ymax")


@dataclass(frozen=True)
class CandidateParams:
    """How candidate areas are found."""

    mode: str = param("derive", doc="Flächen ableiten, Planerflächen nutzen oder beides",
                      choices=("derive", "planner", "both"),
         source="Konvention: die Ableitung braucht nur ALKIS; Planerflächen sind eine zusätzliche Eingabe, die "
                "nicht jede Gemeinde hat")
    landuse_eligible: dict[str, bool] = param(
        {}, doc="Zulässigkeit der tatsächlichen Nutzung für Hinterland je Objektart oder "
                "'Objektart.Attribut.Code' (ergänzt/überschreibt die Voreinstellung, siehe docs/criteria.md)",
        source="Codes: GeoInfoDok 7.1 AAA-Codelisten (norBIT ALKIS-Import alkis-schema.sql); Voreinstellung: "
               "Konvention: Wohnbau-, Misch- und Hausgartenflächen tragen Hinterland, Landwirtschaft, Wald, Gewerbe und "
               "Verkehr nicht (von der Gemeinde zu prüfen)")
    public_facilities_eligible: bool = param(
        False, doc="Flächen besonderer funktionaler Prägung (Schule, Kirche, Verwaltung …) als Hinterland zulassen",
        source="Konvention: öffentliche Grundstücke sind meist keine privaten Nachverdichtungspotenziale")
    settlement_derive: bool = param(True, doc="Ohne Innenbereich-Layer den Innenbereich aus Gebäuden und Nutzung "
                                              "ableiten (sonst gilt alles als Innenbereich)",
                                    source="§ 34 BauGB (Bebauungszusammenhang); Ableitung: fachliche Annahme")
    settlement_gap_m: float = param(60.0, doc="Größter Abstand zwischen Hauptgebäuden, der den "
                                              "Bebauungszusammenhang nicht unterbricht", unit="m", min=1,
                                    source="Konvention: Baulücken von zwei bis drei Bauplätzen unterbrechen nicht "
                                           "(Rechtsprechung zu § 34 BauGB)")
    settlement_min_buildings: int = param(10, doc="Mindestzahl der Hauptgebäude eines Ortsteils (kleinere Gruppen: "
                                                  "Splittersiedlung, Außenbereich)", min=1,
                                          source="Konvention: Ortsteil mit 'gewissem Gewicht' (§ 34 BauGB)")
    settlement_margin_m: float = param(5.0, doc="Saum des abgeleiteten Innenbereichs um die äußeren Hauptgebäude",
                                       unit="m", min=0,
        source="Konvention: der Bebauungszusammenhang endet in der Regel am letzten Baukörper (Rechtsprechung zu § "
               "34 BauGB); 5 m Saum nehmen nur Traufe, Terrasse und Zugang mit, nicht die freie Landschaft")
    building_line: str = param("street", doc="Hintere Baulinie je Straße ermitteln oder feste Tiefe",
                               choices=("street", "fixed"), source="DOMAIN.md §2, § 34 BauGB (Rechtsprechung)")
    building_line_quantile: float = param(0.75, doc="Quantil der Hinterkantentiefen der Hauptgebäude je Straße",
                                          min=0, max=1,
        source="Konvention: ein hohes Quantil folgt den hinteren Fassaden der Straße (faktische Baulinie, § 34 "
               "BauGB), ohne dass ein einzelnes Hinterhaus (das Vorbild selbst) die Linie verschiebt")
    front_depth_m: float = param(25.0, doc="Tiefe der Vorderzone ohne Hauptgebäude (bzw. bei fester Tiefe)",
                                 unit="m", min=0,
        source="Konvention: Vorgarten (3–5 m) plus Tiefe eines Wohnhauses (12–15 m) plus Terrasse; gilt nur für "
               "Straßen ohne Hauptgebäude und bei fester Tiefe")
    max_building_line_m: float = param(45.0, doc="Größte angenommene Tiefe der hinteren Baulinie", unit="m", min=0,
        source="Konvention: deutlich tiefer als ein Vorderhaus mit Vorgarten (etwa 30 m); größere Tiefen kommen von "
               "vorhandenen Hinterhäusern und dürfen die Linie nicht in die Gärten schieben")
    setback_m: float = param(3.0, doc="Abstandsfläche zu Gebäuden, Grenzen und zur Baulinie", unit="m",
                             source="§ 8 LBauO RLP: 0,4 H, mindestens 3 m", min=0)
    ancillary_removable: bool = param(True, doc="Garagen, Schuppen, Gartenhäuser gelten als entfernbar",
        source="Konvention: Garagen, Schuppen, Gartenhäuser (Gebäudefunktion 1313, 2460–2465, 2723) sind "
               "Nebenanlagen, die für einen Neubau üblicherweise weichen")
    min_area_m2: float = param(250.0, doc="Mindestgröße einer Fläche", unit="m²", min=0,
        source="Konvention: kleinster Bauplatz: Baukörper 8 × 10 m mit 3 m Abstandsfläche ringsum (§ 8 LBauO RLP) "
               "braucht 14 × 16 m = 224 m², aufgerundet 250 m²")
    min_width_m: float = param(8.0, doc="Mindestbreite einer Fläche", unit="m", min=0,
        source="Konvention: so breit wie der kleinste Baukörper (8 m); schmalere Streifen tragen "
               "kein Haus")
    footprint_width_m: float = param(8.0, doc="Breite des kleinsten Baukörpers, der passen muss", unit="m", min=1,
        source="Konvention: kleinstes freistehendes Wohnhaus 8 × 10 m (80 m² Grundfläche), wie "
               "bei der Bewertung des Zuschnitts")
    footprint_length_m: float = param(10.0, doc="Länge des kleinsten Baukörpers, der passen muss", unit="m", min=1,
        source="Konvention: kleinstes freistehendes Wohnhaus 8 × 10 m (80 m² Grundfläche), wie "
               "bei der Bewertung des Zuschnitts")
    front_touch_m: float = param(1.0, doc="Abstand, bis zu dem ein Flurstück als an der Straße gelegen gilt", unit="m",
                                 min=0,
        source="Konvention: Flurstücksgrenze und Straßenfläche fallen im ALKIS zusammen; 1 m fängt "
               "Digitalisierungslücken auf und ist schmaler als jedes Flurstück dazwischen")
    merge_block_interiors: bool = param(True, doc="Hinterland-Stücke benachbarter Flurstücke zusammenfassen",
        source="Konvention: Hinterland über mehrere Gärten ist planerisch eine Fläche; jedes beteiligte Flurstück "
               "bleibt genannt (jede Eigentümerin muss mitwirken)")
    merge_scope: str = param("row", doc="Zusammenfassen entlang einer Straßenzeile oder im ganzen Block",
                             choices=("row", "block"),
        source="Konvention: Gärten an derselben Straße teilen Zufahrt und hintere Baulinie; Zeilen Rücken an Rücken "
               "gehören zu verschiedenen Straßen")
    min_shared_edge_m: float = param(3.0, doc="Gemeinsame Grenze, ab der Stücke zusammengefasst werden", unit="m",
                                     min=0,
        source="Konvention: 3 m gemeinsame Grenze ist die Breite einer Zufahrt (§ 7 LBauO RLP: 3 m für die "
               "Feuerwehr); Berührung an einer Ecke fasst nicht zusammen")
    planner_cover_share: float = param(
        0.5, doc="Anteil, ab dem eine Planerfläche eine abgeleitete Fläche überdeckt und ersetzt (mode: both)",
        min=0, max=1, source="Konvention: deckt die Planerfläche mehr als die Hälfte, ist es dieselbe Fläche, "
                             "vom Planer anders gezeichnet; sie gilt statt der abgeleiteten")
    lost_reason_share: float = param(
        0.5, doc="Anteil des verlorenen Hinterlands, ab dem eine Nutzung bzw. der Außenbereich als Grund genannt wird",
        min=0, max=1, source="Konvention: der Grund nennt, was mindestens die Hälfte des Verlusts ausmacht "
                             "(eine Weinbaufläche im Außenbereich ist zuerst eine Weinbaufläche)")
    min_piece_m2: float = param(
        1.0, doc="Kleinste Teilfläche, die nach einer Verschneidung als vorhanden gilt (Flurstück im Innenbereich, "
                 "Hinterland, Block)", unit="m²", min=0,
        source="Konvention: Reste unter 1 m² entstehen aus nicht ganz deckungsgleichen Grenzen verschiedener "
               "Layer; auf 1 m² passt nichts Baubares, die Grenze trennt Rechenrest von Fläche")
    overlap_noise_m2: float = param(
        0.01, doc="Überschneidungen unter diesem Wert zählen nicht (Nutzungsanteile, Verlustgründe)", unit="m²", min=0,
        source="Konvention: 0,01 m² (10 × 10 cm) liegt unter der Lagegenauigkeit von Katastergrenzen "
               "(Zentimeter); kleinere Überschneidungen sind Rechenrauschen")
    boundary_gap_m: float = param(
        0.05, doc="Toleranz für Grenzen benachbarter Flurstücke, die zusammenfallen sollten (Zusammenfassen, "
                  "Schließen von Haarfugen)", unit="m", min=0,
        source="Konvention: benachbarte Flurstücke haben selten bitgleiche Stützpunkte; 5 cm liegt im Bereich der "
               "Koordinatengenauigkeit des Katasters und weit unter der Mindestbreite")
    block_margin_m: float = param(
        1.0, doc="Rand um die Flurstücke, in dem die Straßenblöcke gebildet werden", unit="m", min=0,
        source="Konvention: ein schmaler Rand schließt auch die äußeren Blöcke; er liegt außerhalb aller "
               "Flurstücke und ändert keine Fläche")
    grid_cell_m: float = param(
        100.0, doc="Zellgröße des Rechenrasters, an dem Straßen- und Nutzungspolygone zerschnitten werden", unit="m",
        min=1, source="Konvention: die Teile ergeben wieder das Polygon (das Ergebnis hängt nicht davon ab); 100 m "
                      "hält jedes Teil klein (wenige Stützpunkte), ohne zu viele Zellen zu erzeugen")
    max_grid_cells: int = param(
        4_000_000, doc="Größte Zahl an Rasterzellen; größere Gebiete bekommen gröbere Zellen", min=1,
        source="Konvention: begrenzt den Speicher des Rasters (4 Mio. Zellen zu 100 m decken 200 × 200 km, mehr als "
               "ein Landkreis); darüber werden die Zellen gleichmäßig vergröbert")


#: The defaults, for the stage helpers that other modules call without parameters.
_DEFAULTS = CandidateParams()


@dataclass(frozen=True)
class CandidateResult:
    """Candidate areas plus everything needed to explain them.

    Attributes
    ----------
    areas
        Indexed by ``flaeche_id``; columns ``quelle``, ``flurstuecke`` (comma-separated),
        ``anzahl_flurstuecke``, ``haupt_flurstueck``, ``gemarkung``, ``flaeche_m2``, ``strasse``,
        ``baulinie_m``, ``block_id``, ``block_hinterhaeuser``.
    parcels
        The parcel accounting: every input parcel with ``status`` and ``grund``.
    streets
        Streets with their rear building line depth (``baulinie_m``) and front zone.
    blocks
        Street blocks (areas enclosed by the road network).
    slivers
        Backland pieces dropped as too small or too narrow.
    settlement
        The Innenbereich used, with ``quelle`` ("Eingabe" or "abgeleitet"); ``None`` if none.
    notes
        German sentences for the run log (e.g. that the Innenbereich was derived).
    building_streets
        Per building of the layers (same order): ``strasse_pos`` (position in ``streets``, -1 if
        none within ``STREET_SEARCH_M``) and ``tiefe_m`` (rear depth from that street), as the rear
        building lines were derived from them; ``None`` where not derived (merged engine results).
    area_extent
        Per area (same order as ``areas``): the bounding box ``xmin, ymin, xmax, ymax`` of every
        parcel its backland piece was merged from, i.e. what the area depends on (the dask engine
        keeps an area only when this box lies inside its window).
    parcel_extent
        Per parcel of the layers (same order): the bounding box of the parcels of every merged
        piece the parcel takes part in; NaN where it has no backland piece.
    """

    areas: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    blocks: gpd.GeoDataFrame
    slivers: int = 0
    settlement: gpd.GeoDataFrame | None = None
    notes: tuple[str, ...] = ()
    building_streets: pd.DataFrame | None = None
    area_extent: np.ndarray | None = None
    parcel_extent: np.ndarray | None = None


def _group_union(geoms: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Union of ``geoms`` per group id (0…n-1); singletons are passed through untouched."""
    out = np.array([None] * n, dtype=object)
    order = np.argsort(groups, kind="stable")
    g, s = groups[order], geoms[order]
    counts = np.bincount(g, minlength=n)
    single = counts[g] == 1
    out[g[single]] = s[single]
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        mask = counts[g] > 1
        coll = shapely.geometrycollections(s[mask], indices=np.searchsorted(multi, g[mask]))
        out[multi] = union_collections(coll)
    return out


def _difference_many(base: np.ndarray, pairs_i: np.ndarray, erasers: np.ndarray) -> np.ndarray:
    """``base[i] − ∪ erasers`` for every pair (i, eraser), iterating over the rank within each i."""
    out = base.copy()
    if len(pairs_i) == 0:
        return out
    order = np.argsort(pairs_i, kind="stable")
    pi, er = pairs_i[order], erasers[order]
    first = np.r_[0, np.flatnonzero(np.diff(pi)) + 1]
    rank = np.arange(len(pi)) - np.repeat(first, np.diff(np.r_[first, len(pi)]))
    for k in range(int(rank.max()) + 1):
        sel = rank == k
        out[pi[sel]] = elementwise(shapely.difference, out[pi[sel]], er[sel])
    return out


def street_depths(buildings: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, *, max_distance: float = STREET_SEARCH_M,
                  cell: float = _DEFAULTS.grid_cell_m, max_cells: int = _DEFAULTS.max_grid_cells):
    """Nearest street and rear depth of each building.

    Returns
    -------
    (ndarray, ndarray)
        Street position (index into ``streets``; -1 if none within ``max_distance``) and the largest
        distance of the building's corners from that street, in m.
    """
    b = _arr(buildings.geometry)
    s = _arr(streets.geometry)
    street = np.full(len(b), -1, dtype=np.int64)
    depth = np.full(len(b), np.nan)
    if len(b) == 0 or len(s) == 0:
        return street, depth
    # distances to whole streets cost O(vertices of the street); grid pieces keep each one small
    pieces, owner = street_pieces(s, cell, max_cells)
    tree = shapely.STRtree(pieces)
    bi, pj, bdist = nearest(tree, b, key=owner, max_distance=max_distance)
    street[bi] = owner[pj]
    has = np.flatnonzero(street >= 0)
    coords, idx = shapely.get_coordinates(b[has], return_index=True)
    pts = shapely.points(coords)
    # a corner's distance to its street is the smallest distance to one of the street's pieces; those
    # pieces lie within the building's distance plus its extent
    bb = shapely.bounds(b[has])
    reach = np.zeros(len(b))
    reach[bi] = bdist
    radius = (reach[has] + np.hypot(bb[:, 2] - bb[:, 0], bb[:, 3] - bb[:, 1]) + _QUERY_MARGIN_M)[idx]
    ci, qj = tree_query(tree, pts, predicate="dwithin", distance=radius)
    mine = owner[qj] == street[has][idx[ci]]
    ci, qj = ci[mine], qj[mine]
    d = np.full(len(pts), np.inf)
    np.minimum.at(d, ci, elementwise(shapely.distance, pts[ci], pieces[qj]))
    dmax = np.full(len(has), -np.inf)
    np.maximum.at(dmax, idx, d)
    depth[has] = dmax
    return street, depth


def street_pieces(geoms: np.ndarray, cell: float = _DEFAULTS.grid_cell_m,
                  max_cells: int = _DEFAULTS.max_grid_cells, *, near: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Cut (street) polygons along a ``cell`` grid: the pieces and the position of their polygon.

    More than ``max_cells`` cells (very large regions) make the cells coarser. With ``near``, only
    the pieces in the cells at or next to the bounding box of one of those geometries are made (the
    same pieces in the same order, without the ones far from them).

    The union of a polygon's pieces is the polygon, so the distance to it is the smallest distance
    to one of its pieces, while each piece has few vertices.
    """
    geoms = np.asarray(geoms, dtype=object)
    b = shapely.bounds(geoms)
    ok = ~np.isnan(b[:, 0])
    if not ok.any():
        return geoms[:0], np.zeros(0, dtype=np.int64)
    x0, y0 = np.floor(b[ok, 0].min() / cell) * cell, np.floor(b[ok, 1].min() / cell) * cell
    nx = max(1, int(np.ceil((b[ok, 2].max() - x0) / cell)))
    ny = max(1, int(np.ceil((b[ok, 3].max() - y0) / cell)))
    if nx * ny > max_cells:  # very large regions: coarser cells
        return street_pieces(geoms, cell * np.sqrt(nx * ny / max_cells), max_cells, near=near)
    gx, gy = np.meshgrid(x0 + np.arange(nx) * cell, y0 + np.arange(ny) * cell)
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell, gy.ravel() + cell)
    ci, gi = tree_query(shapely.STRtree(cells), geoms, predicate="intersects")[::-1]
    if near is not None:
        hit = _cells_near(near, x0, y0, cell, nx, ny)[ci]
        ci, gi = ci[hit], gi[hit]
    # pieces in a fixed order (polygon, then cell from south-west): the same in any region
    order = np.lexsort((gx.ravel()[ci], gy.ravel()[ci], gi))
    ci, gi = ci[order], gi[order]
    pieces = elementwise(shapely.intersection, geoms[gi], cells[ci])
    keep = ~shapely.is_empty(pieces)
    return pieces[keep], gi[keep]


def _cells_near(geoms: np.ndarray, x0: float, y0: float, cell: float, nx: int, ny: int) -> np.ndarray:
    """Per cell of an ``nx × ny`` grid (row by row from ``x0, y0``): whether it is at or next to the
    bounding box of one of ``geoms`` (a margin of one cell absorbs rounding at the cell edges)."""
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    b = b[~np.isnan(b[:, 0])]
    if not len(b):
        return np.zeros(nx * ny, dtype=bool)
    ix0, ix1 = (np.clip(np.floor((b[:, k] - x0) / cell).astype(np.int64) + d, 0, nx - 1) for k, d in ((0, -1), (2, 1)))
    iy0, iy1 = (np.clip(np.floor((b[:, k] - y0) / cell).astype(np.int64) + d, 0, ny - 1) for k, d in ((1, -1), (3, 1)))
    mark = np.zeros((ny + 1, nx + 1), dtype=np.int64)  # 2-D difference array of the boxes' cell ranges
    for r, c, v in ((iy0, ix0, 1), (iy0, ix1 + 1, -1), (iy1 + 1, ix0, -1), (iy1 + 1, ix1 + 1, 1)):
        np.add.at(mark, (r, c), v)
    return (mark.cumsum(axis=0).cumsum(axis=1)[:ny, :nx] > 0).ravel()


def connected_streets(roads: gpd.GeoDataFrame) -> np.ndarray:
    """Street component of every road polygon: connected polygons of one name (within ``STREET_GAP_M``).

    The same name in another village or district ("Hauptstraße") is another street with its own
    rear building line; unnamed polygons are each their own component.

    Examples
    --------
    >>> roads = gpd.GeoDataFrame({"name": ["A", "A", "A", ""]}, geometry=[shapely.box(0, 0, 10, 1),
    ...     shapely.box(20, 0, 30, 1), shapely.box(500, 0, 510, 1), shapely.box(0, 5, 10, 6)])
    >>> connected_streets(roads).tolist()
    [0, 0, 1, 2]
    """
    names = roads["name"].fillna("").astype(str).str.strip().to_numpy(dtype=object) \
        if "name" in roads else np.full(len(roads), "", dtype=object)
    g = _arr(roads.geometry)
    ti, tj = tree_query(shapely.STRtree(g), g, predicate="dwithin", distance=STREET_GAP_M)
    same = (ti < tj) & (names[ti] == names[tj]) & (names[ti] != "")
    graph = coo_matrix((np.ones(int(same.sum())), (ti[same], tj[same])), shape=(len(g), len(g)))
    return connected_components(graph, directed=False)[1]


def build_streets(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The streets: road polygons of the street kinds, united per :func:`connected_streets` component."""
    r = roads[roads["art"].isin(STREET_ARTS)]
    if len(r) == 0:
        r = roads
    names = r["name"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    g = _arr(r.geometry)
    comp = connected_streets(r)
    first = pd.Series(np.arange(len(g))).groupby(comp).transform("min").to_numpy()
    key = pd.Series([f"{n}\0{c:09d}" if n else f"_{i:09d}" for n, c, i in zip(names, first, range(len(g)))],
                    index=r.index)
    codes, uniq = pd.factorize(key, sort=True)
    geoms = _group_union(g, codes, len(uniq))
    return gpd.GeoDataFrame({"street_id": np.arange(len(uniq)),
                             "name": [u.split("\0")[0] if not u.startswith("_") else "" for u in uniq]},
                            geometry=geoms, crs=roads.crs)


def street_blocks(roads: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, *, margin_m: float = _DEFAULTS.block_margin_m,
                  min_m2: float = _DEFAULTS.min_piece_m2) -> gpd.GeoDataFrame:
    """Street blocks: the pieces (> ``min_m2``) of the parcel extent that the road network separates."""
    extent = shapely.box(*parcels.total_bounds).buffer(margin_m)
    net = shapely.union_all(_arr(roads.geometry))
    parts = shapely.get_parts(shapely.difference(extent, net))
    parts = parts[shapely.area(parts) > min_m2]
    c = shapely.get_coordinates(shapely.point_on_surface(parts))
    order = np.lexsort((c[:, 0], -np.round(c[:, 1])))
    parts = parts[order]
    return gpd.GeoDataFrame({"block_id": np.arange(len(parts))}, geometry=parts, crs=parcels.crs)


def point_in(polys: gpd.GeoDataFrame, points: np.ndarray) -> np.ndarray:
    """Position in ``polys`` of the polygon containing each point (-1 if none; the smallest position).

    The tree is over the points and the polygons are the queries, so each polygon is prepared once:
    a large polygon (an open street block) is not walked again for every point inside it.
    """
    out = np.full(len(points), -1, dtype=np.int64)
    if len(polys) == 0 or len(points) == 0:
        return out
    gi, pi = tree_query(shapely.STRtree(points), _arr(polys.geometry), predicate="contains")
    order = np.lexsort((gi, pi))[::-1]  # the smallest polygon position wins
    out[pi[order]] = gi[order]
    return out


def _usable(geoms: np.ndarray, envelopes_from: np.ndarray, p: CandidateParams) -> tuple[np.ndarray, np.ndarray]:
    """Open each piece by half the minimum width and test that a minimum footprint fits.

    ``envelopes_from`` are the parcel (unions) whose boundary the footprint must keep the setback to.
    Returns the opened geometries and a boolean "usable" array. A piece smaller than the minimum area
    cannot be usable (opening only removes area) and is returned as it is, without opening it.
    """
    r = p.min_width_m / 2.0
    opened = np.asarray(geoms, dtype=object).copy()
    todo = np.flatnonzero(shapely.area(opened) >= p.min_area_m2 - _AREA_SLACK_M2)
    grown = elementwise(shapely.buffer, elementwise(shapely.buffer, opened[todo], -r, join_style="mitre"), r,
                        join_style="mitre")
    opened[todo] = elementwise(shapely.intersection, grown, opened[todo])  # mitre growth must not leave the piece
    big = np.zeros(len(geoms), dtype=bool)
    big[todo] = shapely.area(opened[todo]) >= p.min_area_m2
    usable = np.zeros(len(geoms), dtype=bool)
    if big.any():
        env = elementwise(shapely.intersection, opened[big],
                          elementwise(shapely.buffer, envelopes_from[big], -p.setback_m, join_style="mitre"))
        # quick accept: a disc of the footprint's half-diagonal fits, so the footprint fits in any orientation
        half_diag = float(np.hypot(p.footprint_width_m, p.footprint_length_m)) / 2
        sure = ~shapely.is_empty(elementwise(shapely.buffer, env, -half_diag, quad_segs=2))
        check = np.flatnonzero(~sure)
        fits = sure.copy()
        if len(check):
            fits[check] = footprint_fits(env[check], p.footprint_width_m, p.footprint_length_m)
        usable[big] = fits
    return opened, usable


def involved_parcels(areas: np.ndarray, parcels: gpd.GeoDataFrame, *, min_share_m2: float = _DEFAULTS.min_piece_m2):
    """Pairs (area position, parcel position) with the overlap area, for every overlap > ``min_share_m2``."""
    tree = shapely.STRtree(_arr(parcels.geometry))
    ai, pi = tree_query(tree, areas, predicate="intersects")
    inter = shapely.area(elementwise(shapely.intersection, areas[ai], _arr(parcels.geometry)[pi]))
    keep = inter > min_share_m2
    return ai[keep], pi[keep], inter[keep]


def parcel_unions(areas: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Union of the parcels listed in each area's ``flurstuecke`` column, aligned to ``areas``."""
    if len(areas) == 0:
        return gpd.GeoSeries([], index=areas.index, crs=areas.crs)
    lists = areas["flurstuecke"].astype(str).str.split(",")
    exploded = lists.explode()
    pos = pd.Series(np.arange(len(parcels)), index=parcels["flstkennz"].to_numpy())
    ok = exploded.isin(pos.index)
    owner = np.repeat(np.arange(len(areas)), lists.str.len().to_numpy())[ok.to_numpy()]
    geoms = _arr(parcels.geometry)[pos[exploded[ok]].to_numpy()]
    return gpd.GeoSeries(_group_union(geoms, owner, len(areas)), index=areas.index, crs=areas.crs)


def make_ids(main: pd.DataFrame, points: np.ndarray, prefix: str = "") -> np.ndarray:
    """Stable, readable area ids from the main parcel plus a letter ordered by position.

    Parameters
    ----------
    main
        Per area: ``gemarkung``, ``flur``, ``zaehler``, ``nenner`` of its main parcel.
    points
        Representative points of the areas (for the letter order: north to south, west to east).

    Examples
    --------
    >>> m = pd.DataFrame({"gemarkung": ["2566"], "flur": [1], "zaehler": [123], "nenner": [4]})
    >>> make_ids(m, np.array([shapely.Point(0, 0)])).tolist()
    ['2566-1-123-4-a']
    """
    nenner = main["nenner"].astype("Int64")
    base = (prefix + main["gemarkung"].astype(str) + "-" + main["flur"].astype("Int64").astype(str) + "-"
            + main["zaehler"].astype("Int64").astype(str)
            + np.where(nenner.notna() & (nenner.fillna(0) > 0), "-" + nenner.astype(str), "")).to_numpy()
    x, y = shapely.get_x(points), shapely.get_y(points)
    order = np.lexsort((np.round(x, 1), -np.round(y, 1), base))
    ranked = pd.Series(base[order]).groupby(base[order]).cumcount().to_numpy()
    rank = np.empty(len(base), dtype=np.int64)
    rank[order] = ranked
    letters = np.array([_letter(k) for k in range(int(rank.max()) + 1 if len(rank) else 0)], dtype=object)
    return np.array([f"{b}-{letters[r]}" for b, r in zip(base, rank)], dtype=object)


def _letter(k: int) -> str:
    s = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        s = string.ascii_lowercase[r] + s
    return s


OUTSIDE_REASON = "Außenbereich (§ 35 BauGB)"
OUTSIDE_REASON_DERIVED = "Außenbereich (§ 35 BauGB; Innenbereich abgeleitet)"


@dataclass(frozen=True)
class LandScope:
    """Per parcel: the part that may hold backland, and what the land around it is.

    Attributes
    ----------
    allowed
        Parcel ∩ eligible land use ∩ Innenbereich (an empty polygon where there is none).
    inside
        Whether the parcel has at least ``min_piece_m2`` inside the Innenbereich (all True without one).
    nutzung, label
        Coarse class and German label of the parcel's largest land-use share ('' / 'unbekannt').
    settle_part
        Parcel ∩ Innenbereich, or ``None`` when no Innenbereich is used.
    blocked, blocked_label
        Pieces of the non-eligible land use and their labels (for the reasons).
    outside_reason
        Reason for parcels outside the Innenbereich.
    """

    allowed: np.ndarray
    inside: np.ndarray
    nutzung: np.ndarray
    label: np.ndarray
    settle_part: np.ndarray | None
    blocked: np.ndarray
    blocked_label: np.ndarray
    outside_reason: str = OUTSIDE_REASON


def _pair_parts(geoms: np.ndarray, pieces: np.ndarray, noise_m2: float, pairs=None):
    """Pairs (geometry i, piece j) that overlap, with the intersection and its area (> ``noise_m2``).

    ``pairs`` (positions i, j) limits the pairs tried; by default every intersecting pair. The pairs
    come sorted by (i, j) (see :mod:`nachverdichtung.sindex`).
    """
    if pairs is None:
        gi, pj = query(shapely.STRtree(pieces), geoms, predicate="intersects")
    else:
        order = np.lexsort((pairs[1], pairs[0]))
        gi, pj = pairs[0][order], pairs[1][order]
    inter = elementwise(shapely.intersection, geoms[gi], pieces[pj])
    a = shapely.area(inter)
    keep = a > noise_m2
    return gi[keep], pj[keep], inter[keep], a[keep]


def _filled(geoms: np.ndarray) -> np.ndarray:
    out = np.asarray(geoms, dtype=object).copy()
    out[shapely.is_missing(out)] = shapely.Polygon()
    return out


def innenbereich(layers, p: CandidateParams) -> tuple[gpd.GeoDataFrame | None, tuple[str, ...]]:
    """The Innenbereich to use: the given layer, a derived one (flagged), or none; plus run-log notes."""
    given = layers.vector("settlement")
    if given is not None:
        return gpd.GeoDataFrame({"quelle": ["Eingabe"] * len(given)}, geometry=given.geometry.values,
                                crs=given.crs), ()
    if not p.settlement_derive:
        return None, ("Kein Innenbereich angegeben und Ableitung abgeschaltet: alle Flurstücke gelten als "
                      "Innenbereich (inputs.settlement angeben)",)
    s = derive_settlement(layers.buildings, layers.landuse, gap_m=p.settlement_gap_m,
                          min_buildings=p.settlement_min_buildings, margin_m=p.settlement_margin_m)
    note = (f"Innenbereich abgeleitet (kein inputs.settlement): {len(s)} zusammenhängende Siedlung(en) mit "
            f"{int(s['hauptgebaeude'].sum())} Hauptgebäuden, {shapely.area(_arr(s.geometry)).sum() / 1e4:.1f} ha; "
            f"Abstand {p.settlement_gap_m:g} m, mindestens {p.settlement_min_buildings} Hauptgebäude "
            f"(docs/criteria.md). Ein abgeleiteter Innenbereich ersetzt keine Prüfung nach § 34/35 BauGB")
    log.warning(note)
    return s, (note,)


def _whole_inside(polys: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Position of a polygon that contains each parcel entirely (-1 if none; smallest position).

    The tree is over the parcels and the (few, large) polygons are the queries, so each polygon is
    prepared once: the common case (a parcel inside one land-use polygon) needs no intersection.
    """
    out = np.full(len(P), -1, dtype=np.int64)
    if len(polys) == 0 or len(P) == 0:
        return out
    qi, pi = tree_query(shapely.STRtree(P), polys, predicate="contains")
    order = np.lexsort((qi, pi))[::-1]  # the smallest polygon position wins
    out[pi[order]] = qi[order]
    return out


def _clip_to(P: np.ndarray, polys: np.ndarray, p: CandidateParams, keep: np.ndarray | None = None, *,
             pieces_near_all: bool = True):
    """Per parcel: the union of its intersections with ``polys`` (only those with ``keep``).

    The pieces are cut near every parcel, or (``pieces_near_all=False``) only near the parcels that are
    not inside one polygon, the only ones intersected.

    Returns the per-parcel union, (parcel positions, polygon positions, areas) of the pairs, the
    pieces with their polygon positions, and per parcel the polygon containing it whole (-1: none);
    parcels inside one polygon are passed through as themselves, without intersecting.
    """
    n = len(P)
    keep = np.ones(len(polys), dtype=bool) if keep is None else keep
    whole = _whole_inside(polys, P)
    rest = np.flatnonzero(whole < 0)
    pieces, owner = street_pieces(polys, p.grid_cell_m, p.max_grid_cells, near=P if pieces_near_all else P[rest])
    ri, qj, inter, a = _share_pairs(P[rest], pieces, owner, keep, p.overlap_noise_m2)
    pi, pj = rest[ri], owner[qj]
    union = _filled(_group_union(inter[keep[pj]], pi[keep[pj]], n))
    w = np.flatnonzero(whole >= 0)
    union[w] = np.where(keep[whole[w]], P[w], shapely.Polygon())
    # pairs of the whole parcels, for the land-use shares
    pi = np.concatenate([pi, w])
    pj = np.concatenate([pj, whole[w]])
    a = np.concatenate([a, shapely.area(P[w])])
    return union, pi, pj, a, pieces, owner, whole


def _share_pairs(geoms: np.ndarray, pieces: np.ndarray, owner: np.ndarray, keep: np.ndarray, noise_m2: float):
    """:func:`_pair_parts` of the geometries with the pieces of kept polygons, and with those of the
    other polygons where their share could be a geometry's largest (its land use).

    The overlap of the bounding boxes bounds a share from above: a polygon whose bound stays below the
    largest kept share of a geometry (by more than rounding) can never be its largest, and its pairs
    are not intersected. Pairs come in the order of the tree query within each polygon.
    """
    gi, pj = tree_query(shapely.STRtree(pieces), geoms, predicate="intersects")
    kept = keep[owner[pj]]
    ki, kj, kin, ka = _pair_parts(geoms, pieces, noise_m2, pairs=(gi[kept], pj[kept]))
    top = np.zeros(len(geoms))
    if len(ki):
        sums = pd.DataFrame({"i": ki, "o": owner[kj], "a": ka}).groupby(["i", "o"])["a"].sum()
        np.maximum.at(top, sums.index.get_level_values("i").to_numpy(), sums.to_numpy())
    oi, oj = gi[~kept], pj[~kept]
    gb, pb = shapely.bounds(geoms[oi]), shapely.bounds(pieces[oj])
    box = np.clip(np.minimum(gb[:, 2], pb[:, 2]) - np.maximum(gb[:, 0], pb[:, 0]), 0, None) * \
        np.clip(np.minimum(gb[:, 3], pb[:, 3]) - np.maximum(gb[:, 1], pb[:, 1]), 0, None)
    bound = pd.Series(box).groupby([oi, owner[oj]]).transform("sum").to_numpy()
    maybe = bound >= top[oi] - _AREA_SLACK_M2
    ni, nj, nin, na = _pair_parts(geoms, pieces, noise_m2, pairs=(oi[maybe], oj[maybe]))
    return (np.concatenate([ki, ni]), np.concatenate([kj, nj]), np.concatenate([kin, nin]),
            np.concatenate([ka, na]))


def land_scope(layers, P: np.ndarray, p: CandidateParams, settlement: gpd.GeoDataFrame | None = None, *,
               outside_reason: str = OUTSIDE_REASON) -> LandScope:
    """The part of each parcel on eligible land use inside the Innenbereich (see :class:`LandScope`).

    Parcels inside one land-use (settlement) polygon are taken whole; the others are intersected
    with the polygons cut along a ``grid_cell_m`` grid, so every intersection works on small pieces (a
    settlement polygon can have thousands of vertices).
    """
    n = len(P)
    lu = layers.landuse
    ok, label = eligibility(lu, resolve_rules(p.landuse_eligible, public_facilities=p.public_facilities_eligible))
    allowed, pi, lu_of, a, pieces, owner, _ = _clip_to(P, _arr(lu.geometry), p, ok)
    share = pd.DataFrame({"p": pi, "lu": lu_of, "a": a}).groupby(["p", "lu"], sort=True)["a"].sum().reset_index()
    top = share.sort_values(["p", "a", "lu"], ascending=[True, False, True], kind="stable").drop_duplicates("p")
    nutzung = np.full(n, "", dtype=object)
    lab = np.full(n, "unbekannt", dtype=object)
    nutzung[top["p"].to_numpy()] = lu["nutzung"].astype(str).to_numpy(dtype=object)[top["lu"].to_numpy()]
    lab[top["p"].to_numpy()] = label[top["lu"].to_numpy()]
    settle_part = None
    inside = np.ones(n, dtype=bool)
    if settlement is None:
        settlement = layers.vector("settlement")
    if settlement is not None:
        settle_part, *_, whole = _clip_to(P, shapely.get_parts(_arr(settlement.geometry)), p, pieces_near_all=False)
        inside = shapely.area(settle_part) >= p.min_piece_m2
        # a parcel inside one settlement polygon is its own settle part, and a valid polygon equals itself
        partial = np.flatnonzero((whole < 0) | ~elementwise(shapely.is_valid, P))
        partial = partial[~elementwise(shapely.equals, settle_part[partial], P[partial])]
        allowed[partial] = _filled(elementwise(shapely.intersection, allowed[partial], settle_part[partial]))
    return LandScope(allowed=allowed, inside=inside, nutzung=nutzung, label=lab, settle_part=settle_part,
                     blocked=pieces[~ok[owner]], blocked_label=label[owner][~ok[owner]],
                     outside_reason=outside_reason)


def lost_reasons(full: np.ndarray, clipped: np.ndarray, land: LandScope, scope: np.ndarray,
                 p: CandidateParams) -> np.ndarray:
    """Reason per scope parcel whose backland is mostly lost to non-eligible land or the Außenbereich.

    A parcel counts when the clipped-away part is at least the minimum area and larger than what
    is left; the reason names the land use that takes most of it ("Hinterland liegt auf
    Weinbaufläche"), or the Außenbereich when most of it lies outside the Innenbereich.
    """
    out = np.full(len(scope), "", dtype=object)
    # clipped ⊆ full, so the lost area is area(full) − area(clipped) up to rounding: the difference is
    # built only where the condition can hold within _AREA_SLACK_M2 (most backland loses nothing)
    ca = shapely.area(clipped)
    approx = shapely.area(full) - ca
    maybe = np.flatnonzero((approx >= p.min_area_m2 - _AREA_SLACK_M2) & (approx > ca - _AREA_SLACK_M2))
    lost = elementwise(shapely.difference, full[maybe], clipped[maybe])
    la = shapely.area(lost)
    sel = (la >= p.min_area_m2) & (la > ca[maybe])
    cand, lc, la = maybe[sel], lost[sel], la[sel]
    if len(cand) == 0:
        return out
    outside = np.zeros(len(cand))
    if land.settle_part is not None:
        outside = la - shapely.area(elementwise(shapely.intersection, lc, land.settle_part[scope][cand]))
    best = np.zeros(len(cand))
    name = np.full(len(cand), "", dtype=object)
    if len(land.blocked):
        li, bj, _g, ba = _pair_parts(lc, land.blocked, p.overlap_noise_m2)
        if len(li):
            df = pd.DataFrame({"i": li, "lab": land.blocked_label[bj], "a": ba}).groupby(
                ["i", "lab"], sort=True)["a"].sum().reset_index()
            df = df.sort_values(["i", "a", "lab"], ascending=[True, False, True], kind="stable").drop_duplicates("i")
            best[df["i"].to_numpy()] = df["a"].to_numpy()
            name[df["i"].to_numpy()] = df["lab"].to_numpy(dtype=object)
    # the land use names the loss when it takes at least half of it (a vineyard outside the
    # Innenbereich is first of all a vineyard); else the Außenbereich when it takes half
    half = p.lost_reason_share * la
    reason = np.where(outside >= half, f"Hinterland liegt im {land.outside_reason}",
                      "Hinterland ohne zulässige tatsächliche Nutzung")
    reason = np.where((name != "") & (best >= half), "Hinterland liegt auf " + name, reason)
    out[cand] = reason
    return out


def derive_candidates(layers, params: CandidateParams | None = None, *, blocks: gpd.GeoDataFrame | None = None,
                      streets: gpd.GeoDataFrame | None = None,
                      settlement: gpd.GeoDataFrame | None = None) -> CandidateResult:
    """Find second-row candidate areas and account for every parcel.

    The stages: the land in scope (Innenbereich, eligible land use), streets and blocks, the rear
    building line per street, the backland of every parcel in scope (behind its front zone, clear of
    buildings), its pieces merged into areas, the planner's own areas, and the account of every parcel.

    Parameters
    ----------
    layers
        Validated :class:`~nachverdichtung.layers.Layers`.
    params
        Derivation parameters (defaults if ``None``).
    blocks
        The street blocks (:func:`street_blocks`) of a larger region, for a partition of the dask
        engine; by default they are formed from ``layers``.
    streets
        The streets of a larger region (:func:`build_streets`) with their rear building line
        ``baulinie_m`` (:func:`street_lines`), given together with ``blocks`` carrying
        ``hinterhaeuser`` (:func:`rear_houses`): a partition of the dask engine uses the lines and
        rear-house counts of the whole region instead of deriving them from its own buildings.
    settlement
        An Innenbereich derived over a larger region (a dask partition); default :func:`innenbereich`.

    Returns
    -------
    CandidateResult
    """
    p = params or CandidateParams()
    parcels = layers.parcels
    P = _arr(parcels.geometry)
    settlement, notes = innenbereich(layers, p) if settlement is None else (settlement, ())
    derived_settlement = settlement is not None and (settlement["quelle"] == "abgeleitet").any()
    land = land_scope(layers, P, p, settlement,
                      outside_reason=OUTSIDE_REASON_DERIVED if derived_settlement else OUTSIDE_REASON)
    in_scope = shapely.area(land.allowed) >= p.min_piece_m2

    if streets is None:
        streets = build_streets(layers.roads)
        blocks = street_blocks(layers.roads, parcels, margin_m=p.block_margin_m, min_m2=p.min_piece_m2) \
            if blocks is None else blocks[["geometry"]].reset_index(drop=True)
        b_street, b_depth, zones = _building_lines(layers.buildings, streets, blocks, p)
    else:
        streets, blocks = streets.reset_index(drop=True), blocks.reset_index(drop=True)
        b_street, b_depth = street_depths(layers.buildings, streets, cell=p.grid_cell_m, max_cells=p.max_grid_cells)
        zones = front_zones(streets, p)

    scope = np.flatnonzero(in_scope)
    S = P[scope]
    after_front, fronts, backland_full = _backland(S, streets, zones, layers.buildings, p)
    front_empty = shapely.area(after_front) < p.min_piece_m2
    built_empty = ~front_empty & (shapely.area(backland_full) < p.min_piece_m2)
    # clip to the eligible land use inside the Innenbereich: backland never runs into the fields
    backland = elementwise(shapely.intersection, backland_full, land.allowed[scope])
    backland[shapely.is_missing(backland)] = shapely.Polygon()

    merged, merged_parcels = _merge_pieces(backland, S, fronts, p)
    opened, usable = _usable(merged, merged_parcels, p)
    slivers = int((~usable).sum())
    # an opening may split a piece: every part of sufficient size is its own area
    parts, of = shapely.get_parts(opened[usable], return_index=True)
    big = shapely.area(parts) >= p.min_area_m2
    derived = _assemble(parts[big], parcels, blocks, streets, p, source="abgeleitet",
                        extent=shapely.bounds(merged_parcels[usable][of[big]]))
    areas = gpd.GeoDataFrame(_with_planner_areas(derived, layers, blocks, streets, p), geometry="geometry",
                             crs=parcels.crs)
    area_extent = areas[list(EXTENT)].to_numpy(dtype=float) if len(areas) else np.zeros((0, 4))
    areas = areas.drop(columns=list(EXTENT))
    areas["innenbereich"] = "abgeleitet" if derived_settlement else ("Eingabe" if settlement is not None else "keiner")

    lost = lost_reasons(backland_full, backland, land, scope, p)
    accounting = _accounting(parcels, layers, areas, scope, land, front_empty, built_empty, lost, p.min_piece_m2)
    log.info("%d Flächen, %d Splitter verworfen", len(areas), slivers)
    return CandidateResult(areas=areas, parcels=accounting, streets=streets, blocks=blocks, slivers=slivers,
                           settlement=settlement, notes=notes,
                           building_streets=pd.DataFrame({"strasse_pos": b_street, "tiefe_m": b_depth}),
                           area_extent=area_extent,
                           parcel_extent=_parcel_extent(len(parcels), scope, S, merged_parcels))


def _parcel_extent(n: int, scope: np.ndarray, S: np.ndarray, merged_parcels: np.ndarray) -> np.ndarray:
    """Per parcel: the bounding box of the union of every merged piece's parcels it belongs to (NaN: none).

    A parcel belongs to a merged piece when the piece's parcel union contains a point on the parcel's
    surface (overlapping parcels may widen the box, which only makes the engine more careful).
    """
    out = np.full((n, 4), np.nan)
    if len(merged_parcels) == 0 or len(S) == 0:
        return out
    mj, si = tree_query(shapely.STRtree(shapely.point_on_surface(S)), merged_parcels, predicate="covers")
    b = pd.DataFrame(shapely.bounds(merged_parcels[mj]), columns=list(EXTENT)).groupby(si)
    ext = pd.concat([b["xmin"].min(), b["ymin"].min(), b["xmax"].max(), b["ymax"].max()], axis=1)
    out[scope[ext.index.to_numpy()]] = ext.to_numpy()
    return out


def street_lines(main: np.ndarray, b_street: np.ndarray, b_depth: np.ndarray, n_streets: int,
                 p: CandidateParams) -> tuple[np.ndarray, np.ndarray]:
    """Rear building line per street (the quantile of its main buildings' depths) and their number.

    Parameters
    ----------
    main, b_street, b_depth
        Per building: whether it is a main building, its street position (-1: none) and its rear
        depth (:func:`street_depths`). The buildings of several partitions may be concatenated.
    n_streets
        Number of streets.
    """
    line = np.full(n_streets, p.front_depth_m)
    ok = main & (b_street >= 0)
    if p.building_line == "street" and ok.any():
        q = pd.Series(b_depth[ok]).groupby(b_street[ok]).quantile(p.building_line_quantile)
        line[q.index.to_numpy()] = np.minimum(q.to_numpy(), p.max_building_line_m)
    return line, np.bincount(b_street[ok], minlength=n_streets)


def rear_houses(main: np.ndarray, b_street: np.ndarray, b_depth: np.ndarray, b_block: np.ndarray,
                line: np.ndarray, n_blocks: int, p: CandidateParams) -> np.ndarray:
    """Rear houses per block: main buildings deeper than their street's line plus the setback (§ 34)."""
    behind = main & (b_street >= 0) & (b_depth > line[np.maximum(b_street, 0)] + p.setback_m)
    return np.bincount(b_block[behind & (b_block >= 0)], minlength=n_blocks)


def front_zones(streets: gpd.GeoDataFrame, p: CandidateParams) -> np.ndarray:
    """Each street buffered by its rear building line plus the setback (sets ``vorderzone``)."""
    zones = shapely.buffer(_arr(streets.geometry), streets["baulinie_m"].to_numpy(dtype=float) + p.setback_m)
    streets["vorderzone"] = gpd.GeoSeries(zones, crs=streets.crs)
    return zones


def _building_lines(b: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame,
                    p: CandidateParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rear building line and front zone per street, rear houses per block.

    Sets ``baulinie_m``, ``n_hauptgebaeude`` and ``vorderzone`` on ``streets`` and ``hinterhaeuser``
    on ``blocks``; returns per building its street position and depth, and the front zones.
    """
    main = (b["kategorie"] == "haupt").to_numpy()
    b_street, b_depth = street_depths(b, streets, cell=p.grid_cell_m, max_cells=p.max_grid_cells)
    streets["baulinie_m"], streets["n_hauptgebaeude"] = street_lines(main, b_street, b_depth, len(streets), p)
    zones = front_zones(streets, p)
    b_block = point_in(blocks, shapely.point_on_surface(_arr(b.geometry)))
    blocks["hinterhaeuser"] = rear_houses(main, b_street, b_depth, b_block, streets["baulinie_m"].to_numpy(),
                                          len(blocks), p)
    return b_street, b_depth, zones


def _backland(S: np.ndarray, streets: gpd.GeoDataFrame, zones: np.ndarray, b: gpd.GeoDataFrame,
              p: CandidateParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per parcel in scope: the part behind its front zones, the street it fronts (−1: none) and the
    backland (that part clear of the buildings with their setback)."""
    # a parcel gets the front zone of every street it fronts (touches), and only of those: a side
    # street's zone does not reach into the gardens of parcels on the cross street
    zi, zj = query(shapely.STRtree(_arr(streets.geometry)), S, predicate="dwithin", distance=p.front_touch_m)
    after_front = _difference_many(S.copy(), zi, zones[zj])
    # the street each parcel fronts: the one along which it has the longest boundary (measured only
    # where a parcel fronts several streets)
    several = np.bincount(zi, minlength=len(S))[zi] > 1
    front_len = np.zeros(len(zi))
    if several.any():
        used, at = np.unique(zj[several], return_inverse=True)
        near = shapely.buffer(_arr(streets.geometry)[used], p.front_touch_m)
        front_len[several] = shapely.length(elementwise(shapely.intersection, shapely.boundary(S[zi[several]]),
                                                        near[at]))
    fronts = np.full(len(S), -1, dtype=np.int64)
    if len(zi):
        order = np.lexsort((zj, -front_len, zi))
        first = np.r_[True, zi[order][1:] != zi[order][:-1]]
        fronts[zi[order][first]] = zj[order][first]
    keep_b = ~b["kategorie"].eq("neben").to_numpy() if p.ancillary_removable else np.ones(len(b), dtype=bool)
    bbuf = elementwise(shapely.buffer, _arr(b.geometry)[keep_b], p.setback_m, quad_segs=2)
    bi, bj = query(shapely.STRtree(bbuf), after_front, predicate="intersects")
    return after_front, fronts, _difference_many(after_front, bi, bbuf[bj])


def _merge_pieces(backland: np.ndarray, S: np.ndarray, fronts: np.ndarray,
                  p: CandidateParams) -> tuple[np.ndarray, np.ndarray]:
    """The backland pieces merged into areas (block interiors along a street row) and, per area, the
    union of its parcels."""
    pieces, owner = shapely.get_parts(backland, return_index=True)
    keep = shapely.area(pieces) >= p.min_piece_m2
    pieces, owner = pieces[keep], owner[keep]
    if p.merge_block_interiors and len(pieces):
        # block interiors: pieces of neighbouring parcels that share an edge form one area
        # (boundary_gap_m: neighbouring parcels rarely share bit-identical boundary vertices)
        gap = p.boundary_gap_m
        ti, tj = tree_query(shapely.STRtree(pieces), pieces, predicate="dwithin", distance=gap)
        # pieces merge along a street row: gardens of back-to-back rows that front different streets
        # stay separate areas (their access and their rear building line come from different streets)
        fi, fj = fronts[owner[ti]], fronts[owner[tj]]
        same_row = (fi == fj) | (fi < 0) | (fj < 0)
        sel = (ti < tj) & (owner[ti] != owner[tj]) & (same_row if p.merge_scope == "row" else True)
        ti, tj = ti[sel], tj[sel]
        used, at = np.unique(tj, return_inverse=True)
        grown = elementwise(shapely.buffer, pieces[used], gap)  # once per piece (of a pair), not once per pair
        shared = shapely.length(elementwise(shapely.intersection, shapely.boundary(pieces[ti]), grown[at]))
        ok = shared >= p.min_shared_edge_m
        graph = coo_matrix((np.ones(ok.sum()), (ti[ok], tj[ok])), shape=(len(pieces), len(pieces)))
        ncomp, comp = connected_components(graph, directed=False)
    else:
        ncomp, comp = len(pieces), np.arange(len(pieces))
    merged = _group_union(pieces, comp, ncomp)
    # close the hairline gaps (≤ boundary_gap_m) between neighbouring pieces so a merged interior is one polygon
    gap = p.boundary_gap_m
    merged = elementwise(shapely.buffer, elementwise(shapely.buffer, merged, gap, join_style="mitre"), -gap,
                         join_style="mitre")
    return merged, _group_union(S[owner], comp, ncomp)


def _with_planner_areas(derived: gpd.GeoDataFrame, layers, blocks, streets, p: CandidateParams) -> pd.DataFrame:
    """The derived areas, the planner's areas instead (``mode: planner``) or both (``mode: both``:
    a derived area a planner area covers by more than ``planner_cover_share`` is dropped)."""
    planner = layers.vector("planner_areas")
    if p.mode not in ("planner", "both") or planner is None or not len(planner):
        return derived
    drawn = _assemble(_arr(planner.geometry), layers.parcels, blocks, streets, p, source="planer", prefix="P-",
                      names=planner["name"] if "name" in planner else None)
    if p.mode == "planner":
        return drawn
    ai, pj = shapely.STRtree(_arr(drawn.geometry)).query(_arr(derived.geometry), predicate="intersects")
    cov = shapely.area(shapely.intersection(_arr(derived.geometry)[ai], _arr(drawn.geometry)[pj]))
    covered = np.zeros(len(derived), dtype=bool)
    covered[ai[cov > p.planner_cover_share * shapely.area(_arr(derived.geometry)[ai])]] = True
    return pd.concat([drawn, derived[~covered]])


def _assemble(geoms: np.ndarray, parcels: gpd.GeoDataFrame, blocks, streets, p: CandidateParams, *, source: str,
              prefix: str = "", names=None, extent: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Attach parcels, main parcel, id, street and block to area geometries.

    The :data:`EXTENT` columns give the box of the area's parcels, widened to ``extent`` (per area).
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    cols = ["quelle", "flurstuecke", "anzahl_flurstuecke", "haupt_flurstueck", "gemarkung", "flur", "flaeche_m2",
            "strasse", "baulinie_m", "block_id", "block_hinterhaeuser", *EXTENT]
    if n == 0:
        empty = gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in cols},
                                 geometry=gpd.GeoSeries([], crs=parcels.crs), crs=parcels.crs)
        empty.index.name = "flaeche_id"
        return empty
    ai, pi, inter = involved_parcels(geoms, parcels, min_share_m2=p.min_piece_m2)
    kennz = parcels["flstkennz"].to_numpy(dtype=object)
    # main parcel: largest share; ties (to 0.1 m²) go to the smallest parcel id, independent of input order
    pair = pd.DataFrame({"a": ai, "p": pi, "inter": np.round(inter, 1), "k": kennz[pi]}).sort_values(
        ["a", "inter", "k"], ascending=[True, False, True], kind="stable")
    main_pos = pair.groupby("a")["p"].first().reindex(range(n)).to_numpy()
    lists = pair.sort_values(["a", "p"]).groupby("a")["p"].apply(lambda s: ",".join(kennz[s.to_numpy()]))
    lists = lists.reindex(range(n)).astype(object).fillna("")
    counts = pair.groupby("a").size().reindex(range(n), fill_value=0).to_numpy()
    has_main = ~pd.isna(main_pos)
    mp = np.where(has_main, main_pos, 0).astype(np.int64)
    main = parcels.iloc[mp][["flstkennz", "gemarkung", "flur", "zaehler", "nenner"]].reset_index(drop=True)
    pts = shapely.point_on_surface(geoms)
    ids = make_ids(main, pts, prefix)
    if names is not None:
        nm = pd.Series(names).astype("string").fillna("").str.strip().to_numpy(dtype=object)
        if (nm != "").all() and len(set(nm)) == len(nm):
            ids = np.array([prefix + str(v) for v in nm], dtype=object)
    blk = point_in(blocks, pts)
    spieces, sowner = street_pieces(_arr(streets.geometry), p.grid_cell_m, p.max_grid_cells)
    near_i, near_j, _ = nearest(shapely.STRtree(spieces), pts, key=sowner)
    st = np.full(n, -1)
    st[near_i] = sowner[near_j]
    out = gpd.GeoDataFrame({
        "quelle": source,
        "flurstuecke": lists.to_numpy(dtype=object),
        "anzahl_flurstuecke": counts,
        "haupt_flurstueck": np.where(has_main, main["flstkennz"].to_numpy(dtype=object), ""),
        "gemarkung": np.where(has_main, main["gemarkung"].to_numpy(dtype=object), ""),
        "flur": main["flur"].to_numpy(),
        "flaeche_m2": np.round(shapely.area(geoms), 1),
        "strasse": np.where(st >= 0, streets["name"].to_numpy(dtype=object)[np.maximum(st, 0)], ""),
        "baulinie_m": np.where(st >= 0, np.round(streets["baulinie_m"].to_numpy()[np.maximum(st, 0)], 1), np.nan),
        "block_id": blk,
        "block_hinterhaeuser": np.where(blk >= 0, blocks["hinterhaeuser"].to_numpy()[np.maximum(blk, 0)], 0),
        **dict(zip(EXTENT, _pair_extent(ai, shapely.bounds(_arr(parcels.geometry))[pi], n, extent).T)),
    }, geometry=geoms, crs=parcels.crs, index=pd.Index(ids, name="flaeche_id"))
    return out.sort_index()


def _pair_extent(ai: np.ndarray, pair_bounds: np.ndarray, n: int, extent: np.ndarray | None) -> np.ndarray:
    """Per area: the bounding box of its pairs' parcel boxes, widened to ``extent`` (n × 4)."""
    out = np.full((n, 4), np.nan) if extent is None else np.asarray(extent, dtype=float).copy()
    lo, hi = np.full((n, 2), np.inf), np.full((n, 2), -np.inf)
    np.minimum.at(lo, ai, pair_bounds[:, :2])
    np.maximum.at(hi, ai, pair_bounds[:, 2:])
    out[:, :2] = np.fmin(out[:, :2], np.where(np.isfinite(lo), lo, np.nan))
    out[:, 2:] = np.fmax(out[:, 2:], np.where(np.isfinite(hi), hi, np.nan))
    return out


def _accounting(parcels, layers, areas, scope, land, front_empty, built_empty, lost,
                min_piece_m2: float) -> gpd.GeoDataFrame:
    """One row per input parcel: candidate parcels and excluded parcels with the reason."""
    n = len(parcels)
    reason = np.full(n, "", dtype=object)
    reason[~land.inside] = land.outside_reason
    no_use = land.inside & (shapely.area(land.allowed) < min_piece_m2)
    reason[no_use] = "Nutzung " + land.label[no_use] + ": keine für Hinterland zulässige Nutzung"
    sub = np.full(len(scope), "Hinterland zu klein oder zu schmal für einen Baukörper", dtype=object)
    sub[lost != ""] = lost[lost != ""]
    sub[front_empty] = "kein Hinterland: Flurstück liegt ganz in der Vorderzone"
    sub[built_empty] = "Hinterland überbaut (Gebäude mit Abstandsflächen)"
    reason[scope] = sub
    nutzung = land.nutzung
    fl_of = pd.Series(dtype=object)
    if len(areas):
        fl_of = _areas_of_parcels(areas)
    kennz = parcels["flstkennz"].to_numpy(dtype=object)
    in_area = pd.Series(kennz).map(fl_of).astype(object).fillna("").to_numpy(dtype=object)
    status = np.where(in_area != "", "Kandidat", "ausgeschlossen")
    reason = np.where(in_area != "", "Teil einer Potenzialfläche", reason)
    acc = gpd.GeoDataFrame({
        "flstkennz": kennz, "gemarkung": parcels["gemarkung"].to_numpy(), "flur": parcels["flur"].to_numpy(),
        "zaehler": parcels["zaehler"].to_numpy(), "nenner": parcels["nenner"].to_numpy(),
        "nutzung": nutzung, "status": status, "grund": reason, "flaeche_ids": in_area,
        "flaeche_m2": np.round(shapely.area(_arr(parcels.geometry)), 1),
    }, geometry=parcels.geometry.values, crs=parcels.crs)
    return excluded_rows(acc, layers.excluded_parcels)


def _areas_of_parcels(areas: gpd.GeoDataFrame) -> pd.Series:
    """Per parcel id the sorted, comma-joined ids of the areas it belongs to (most belong to one)."""
    lists = areas["flurstuecke"].astype(str).str.split(",").explode()
    pairs = pd.DataFrame({"k": lists.to_numpy(dtype=object), "a": lists.index.to_numpy(dtype=object)})
    pairs = pairs.sort_values(["k", "a"], kind="stable")
    several = pairs["k"].duplicated(keep=False).to_numpy()
    single = pd.Series(pairs["a"].to_numpy()[~several], index=pairs["k"].to_numpy()[~several])
    joined = pairs[several].groupby("k", sort=False)["a"].agg(",".join)
    return pd.concat([single, joined])


def excluded_rows(accounting: gpd.GeoDataFrame, dropped: pd.DataFrame) -> gpd.GeoDataFrame:
    """The accounting with the parcels dropped at loading appended (no geometry, with their reason)."""
    if not len(dropped):
        return accounting
    crs = accounting.crs
    extra = gpd.GeoDataFrame({"flstkennz": dropped["flstkennz"].to_numpy(), "status": "ausgeschlossen",
                              "grund": dropped["grund"].to_numpy(), "flaeche_ids": ""},
                             geometry=gpd.GeoSeries([None] * len(dropped), crs=crs), crs=crs)
    return pd.concat([accounting, extra], ignore_index=True)
