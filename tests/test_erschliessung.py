"""Access corridor (Erschließung): cases drawn by hand, values worked out by hand.

Every case is one 20 m wide parcel north of an east-west street (street edge at y = 0, local
coordinates relative to X0/Y0). Unless a case says otherwise the parcels are 30 m apart, so no
neighbour offers a way round.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from .districts import CRS, X0, Y0, kennz, make_layers
from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.base import BEDINGT, GEEIGNET, NICHT, UNBEWERTET
from nachverdichtung.criteria.erschliessung import AccessParams, clear_width, walking_length

crit = REGISTRY["erschliessung"]


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def gap_case(gap: float | None, ox: float = 0.0):
    """Parcel 20 × 60 m; two houses 12 m deep at y 5–17 across the whole width except a ``gap``.

    The area is the backyard x 3–17, y 25–55, so the corridor is ``gap`` wide and 25 m long
    (street edge y = 0 to the area at y = 25). ``gap=None``: one house across the whole width.
    """
    parcel = box(ox, 0, ox + 20, 60)
    if gap is None:
        houses = [box(ox, 5, ox + 20, 17)]
    else:
        houses = [box(ox, 5, ox + 9, 17), box(ox + 9 + gap, 5, ox + 20, 17)]
    return [parcel], houses, box(ox + 3, 25, ox + 17, 55)


def run(parcels, houses, areas, parcel_lists=None, *, roads=None, funktion=None, params=None):
    roads = roads if roads is not None else [box(-50, -10, 400, 0)]
    layers = make_layers(parcels, houses, roads, funktion=funktion)
    lists = parcel_lists or [kennz(i + 1) for i in range(len(areas))]
    cand = gpd.GeoDataFrame({"flurstuecke": lists}, geometry=list(areas), crs=CRS,
                            index=[f"f{i}" for i in range(len(areas))])
    return crit(cand, layers, params)


@pytest.mark.parametrize("gap, klasse", [(2.0, BEDINGT), (4.0, GEEIGNET), (None, NICHT), (1.0, NICHT),
                                         (3.0, GEEIGNET), (1.25, BEDINGT)])
def test_gap_between_two_houses(gap, klasse):
    parcels, houses, area = gap_case(gap)
    r = run(parcels, houses, [area]).iloc[0]
    assert r["erschliessung_klasse"] == klasse
    expected_w = 0.0 if gap is None else gap
    assert r["erschliessung_breite_m"] == pytest.approx(expected_w, abs=0.03)
    if klasse == NICHT:
        assert np.isnan(r["erschliessung_laenge_m"])
        assert r["erschliessung_grund"].startswith("keine Zufahrt ≥ 1,25 m über eigene Flurstücke")
    else:
        assert r["erschliessung_laenge_m"] == pytest.approx(25.0, abs=1.0)
    assert not r["erschliessung_ueber_nachbar"]


def test_reason_sentences():
    parcels, houses, area = gap_case(2.4)
    assert run(parcels, houses, [area]).iloc[0]["erschliessung_grund"] == "Zufahrt nur 2,4 m breit (< 3 m)"
    parcels, houses, area = gap_case(4.0)
    assert run(parcels, houses, [area]).iloc[0]["erschliessung_grund"] == "Zufahrt 4,0 m breit, 25 m lang"


def test_garage_blocks_the_corridor():
    """A garage (2463) standing in the 4 m gap leaves 1 m beside it: nicht geeignet."""
    parcels, houses, area = gap_case(4.0)
    garage = box(9, 6, 12, 12)  # fills x 9–12 of the gap 9–13
    r = run(parcels, houses + [garage], [area], funktion=[1010, 1010, 2463]).iloc[0]
    assert r["erschliessung_klasse"] == NICHT
    assert r["erschliessung_breite_m"] == pytest.approx(1.0, abs=0.03)


def pipe_stem(length: float, ox: float = 0.0):
    """Pipe-stem parcel: a 4 m wide, ``length`` m long stem, then a 30 × 30 m plot; area in the plot."""
    parcel = box(ox, 0, ox + 4, length).union(box(ox - 10, length, ox + 20, length + 30))
    return parcel, box(ox - 8, length + 2, ox + 18, length + 28)


def test_long_corridor_is_bedingt():
    parcel, area = pipe_stem(60.0)
    r = run([parcel], [], [area]).iloc[0]
    # walking length: street edge y = 0 to the area at y = 62
    assert r["erschliessung_laenge_m"] == pytest.approx(62.0, abs=1.0)
    assert r["erschliessung_breite_m"] == pytest.approx(4.0, abs=0.03)
    assert r["erschliessung_klasse"] == BEDINGT
    assert r["erschliessung_grund"] == "Zufahrt 4,0 m breit, aber 62 m lang (> 50 m)"


def test_short_pipe_stem_is_geeignet():
    parcel, area = pipe_stem(40.0)
    r = run([parcel], [], [area]).iloc[0]
    assert r["erschliessung_laenge_m"] == pytest.approx(42.0, abs=1.0)
    assert r["erschliessung_klasse"] == GEEIGNET


def test_l_shaped_corridor_length():
    """Stem north x 0–4, y 0–34, then east x 0–40, y 30–34, into a plot x 40–60, y 20–50.

    The area starts at x = 42, only 22 m from the street as the crow flies. A walker hugging the
    inner corner (4, 30) goes 30 m north and 38 m east: 68 m. The centre of a 3 m wide vehicle keeps
    1.5 m off the corner: 31.5 + 38.5 = 70 m. The grid measure must lie between the two (± 1 m).
    """
    parcel = shapely.union_all([box(0, 0, 4, 34), box(0, 30, 40, 34), box(40, 20, 60, 50)])
    area = box(42, 22, 58, 48)
    r = run([parcel], [], [area]).iloc[0]
    assert 67.0 <= r["erschliessung_laenge_m"] <= 71.0
    assert r["erschliessung_breite_m"] == pytest.approx(4.0, abs=0.03)
    assert r["erschliessung_klasse"] == BEDINGT  # longer than 50 m


@pytest.mark.parametrize("angle", [10.0, 22.5, 30.0, 45.0])
def test_oblique_corridors_measure_like_axis_parallel_ones(angle):
    """Turning the whole district must not change the lengths (the grid follows the parcel's edges)."""
    pivot = shapely.Point(X0, Y0)

    def turn(g):
        return shapely.affinity.rotate(g, angle, origin=pivot)

    road = box(-30, -10, 70, 0)
    stem, stem_area = pipe_stem(40.0)
    ell = shapely.union_all([box(0, 0, 4, 34), box(0, 30, 40, 34), box(40, 20, 60, 50)])
    for parcel, area, expected in ((stem, stem_area, 42.0), (ell, box(42, 22, 58, 48), None)):
        straight = run([parcel], [], [area], roads=[road]).iloc[0]
        turned = run([turn(parcel)], [], [turn(area)], roads=[turn(road)]).iloc[0]
        assert turned["erschliessung_laenge_m"] == pytest.approx(straight["erschliessung_laenge_m"], abs=1.0)
        assert turned["erschliessung_breite_m"] == pytest.approx(4.0, abs=0.03)
        if expected:
            assert turned["erschliessung_laenge_m"] == pytest.approx(expected, abs=1.0)


def test_only_over_neighbour_needs_baulast():
    """Own parcel (x 0–20) blocked by one house; the neighbour (x 20–40) keeps a 4 m strip at its east side."""
    own = box(0, 0, 20, 60)
    nb = box(20, 0, 40, 60)
    houses = [box(0, 5, 20, 17), box(20, 5, 36, 17)]
    area = box(3, 25, 17, 55)
    r = run([own, nb], houses, [area], [kennz(1)]).iloc[0]
    assert r["erschliessung_klasse"] == BEDINGT
    assert bool(r["erschliessung_ueber_nachbar"])
    assert r["erschliessung_breite_m"] == pytest.approx(4.0, abs=0.03)
    assert "Baulast" in r["erschliessung_grund"]
    # switched off: no corridor over the own parcel
    r = run([own, nb], houses, [area], [kennz(1)], params=AccessParams(nachbarn_pruefen=False)).iloc[0]
    assert r["erschliessung_klasse"] == NICHT
    # the same area listed with both parcels (a block-interior area): the strip is its own
    r = run([own, nb], houses, [area], [f"{kennz(1)},{kennz(2)}"]).iloc[0]
    assert r["erschliessung_klasse"] == GEEIGNET
    assert not r["erschliessung_ueber_nachbar"]


def test_area_on_the_street():
    """An area that touches the street itself (a corner plot) has a short, wide access."""
    parcel = box(0, 0, 20, 60)
    r = run([parcel], [box(0, 40, 20, 52)], [box(3, 3, 17, 30)]).iloc[0]
    assert r["erschliessung_klasse"] == GEEIGNET
    assert r["erschliessung_breite_m"] == pytest.approx(12.0)  # the search's upper bound
    assert r["erschliessung_laenge_m"] <= 3.5


def test_many_areas_at_once_match_one_by_one():
    """Vectorised evaluation of mixed cases equals evaluating each alone."""
    cases = [gap_case(g, ox=50 * i) for i, g in enumerate([2.0, 4.0, None, 1.0, 3.5])]
    parcels = [c[0][0] for c in cases]
    houses = [h for c in cases for h in c[1]]
    areas = [c[2] for c in cases]
    together = run(parcels, houses, areas)
    for i, (p, h, a) in enumerate(cases):
        alone = run(p, h, [a]).iloc[0]
        row = together.iloc[i]
        assert row["erschliessung_klasse"] == alone["erschliessung_klasse"]
        assert row["erschliessung_breite_m"] == pytest.approx(alone["erschliessung_breite_m"], abs=1e-9)
    assert together["erschliessung_klasse"].tolist() == [BEDINGT, GEEIGNET, NICHT, NICHT, GEEIGNET]


def test_not_rated_without_parcels_or_roads():
    parcels, houses, area = gap_case(4.0)
    r = run(parcels, houses, [area], [""]).iloc[0]
    assert r["erschliessung_klasse"] == UNBEWERTET
    assert r["erschliessung_grund"] == "keine Flurstücke zugeordnet"
    r = run(parcels, houses, [area], params=AccessParams(verkehrsarten=("platz",))).iloc[0]
    assert r["erschliessung_klasse"] == UNBEWERTET
    assert "Verkehrsflächen" in r["erschliessung_grund"]


def test_clear_width_thresholds_are_exact():
    """A corridor exactly 3 m wide passes the 3 m test (1 cm tolerance), 2.98 m does not."""
    for w, expect_ge3 in ((3.0, True), (2.98, False)):
        free = np.array([shapely.box(0, 0, w, 10).union(shapely.box(-5, 10, 7, 20))])
        width = clear_width(free, np.array([shapely.box(-5, -5, 7, 0)]), np.array([shapely.box(-5, 12, 7, 20)]),
                            thresholds=(1.25, 3.0), upper=12, precision=0.02, tol=0.5)
        assert bool(width[0] >= 3.0) is expect_ge3


def planted(sample_config, sample_assessment, name: str):
    """The sample's planted cases for criterion ``name`` as planner areas, plus their expected classes.

    The planted geometries go through the candidate stage in planner mode, so they carry the same
    columns as derived areas (parcels, street, building line, block, rear houses).
    """
    import json

    from nachverdichtung.candidates import CandidateParams, derive_candidates

    truth = json.loads((sample_config.parent / "ground_truth.json").read_text(encoding="utf-8"))
    cases = [c for c in truth["planted"] if name in c["expected"]]
    assert cases, f"no planted case for {name}"
    layers = sample_assessment.layers
    drawn = gpd.GeoDataFrame({"name": [c["case"] for c in cases]}, geometry=shapely.from_wkt([c["wkt"] for c in cases]),
                             crs=layers.crs)
    with_drawn = layers.replace(vectors={**layers.vectors, "planner_areas": drawn})
    areas = derive_candidates(with_drawn, CandidateParams(mode="planner")).areas
    areas = areas.loc[[f"P-{c['case']}" for c in cases]]
    return areas, layers, {f"P-{c['case']}": c["expected"][name] for c in cases}


def check_planted(name: str, sample_config, sample_assessment, *, on: str, max_overlap: bool = False) -> None:
    """Planted cases get their expected class: as planner areas (``on="geometry"``) or in the assessment.

    ``on="area"``: the assessment area matching the planted geometry by IoU ≥ 0.5 (or, with
    ``max_overlap``, the one overlapping it most, for block-level criteria); skipped when the
    candidate derivation produced no matching area.
    """
    areas, layers, expected = planted(sample_config, sample_assessment, name)
    if on == "geometry":
        res = REGISTRY[name](areas, layers)
        assert res[f"{name}_klasse"].to_dict() == expected, res[f"{name}_grund"].tolist()
        return
    derived = sample_assessment.areas
    g = np.asarray(derived.geometry.array, dtype=object)
    unmatched = []
    for case, p in zip(areas.index, areas.geometry):
        inter = shapely.area(shapely.intersection(g, p))
        iou = inter / (shapely.area(g) + p.area - inter)
        k = int(np.argmax(inter if max_overlap else iou))
        if not max_overlap and iou[k] < 0.5:
            unmatched.append(f"{case} (IoU {iou[k]:.2f})")
            continue
        row = derived.iloc[k]
        assert row[f"{name}_klasse"] == expected[case], (case, row[f"{name}_grund"])
    if unmatched:
        pytest.skip("no derived area matches the planted case (block interiors are merged): " + ", ".join(unmatched))


@pytest.mark.slow
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_cases_in_sample(on, sample_config, sample_assessment):
    check_planted("erschliessung", sample_config, sample_assessment, on=on)


@pytest.mark.slow
def test_thousand_areas_at_once():
    """1,000 parcels (10 streets × 100), gaps from a fixed pattern; expected classes by the rule.

    Gap ≥ 3 m → geeignet; 1.25–3 m → bedingt; narrower → bedingt over a neighbour if the parcel
    to the left or right has a gap ≥ 1.25 m (its gap, its backyard, then ours), else nicht geeignet.
    Timing: ``pytest -m slow tests/test_erschliessung.py -k thousand --durations=1``.
    """
    pattern = np.array([0.0, 1.0, 2.0, 4.0, 0.0, 0.0, 5.0, 1.0, 0.0, 0.0, 0.0, 2.5, 3.0])
    parcels, houses, areas, roads, gaps = [], [], [], [], []
    for row in range(10):
        roads.append(box(-20, 80 * row - 10, 2020, 80 * row))
        for i in range(100):
            g = float(pattern[(row * 100 + i * 7) % len(pattern)])
            x, y = 20 * i, 80 * row
            parcels.append(box(x, y, x + 20, y + 60))
            houses.append(box(x, y + 5, x + 9, y + 17))
            if g < 11:
                houses.append(box(x + 9 + g, y + 5, x + 20, y + 17))
            areas.append(box(x + 3, y + 25, x + 17, y + 55))
            gaps.append(g)
    gaps = np.array(gaps).reshape(10, 100)
    left = np.pad(gaps, ((0, 0), (1, 0)), constant_values=0)[:, :-1]
    right = np.pad(gaps, ((0, 0), (0, 1)), constant_values=0)[:, 1:]
    via = (gaps < 1.25) & ((left >= 1.25) | (right >= 1.25))
    expected = np.select([gaps >= 3, gaps >= 1.25, via], [GEEIGNET, BEDINGT, BEDINGT], NICHT).ravel()
    res = run(parcels, houses, areas, roads=roads)
    assert len(res) == 1000
    np.testing.assert_array_equal(res["erschliessung_klasse"].to_numpy(), expected)
    np.testing.assert_array_equal(res["erschliessung_ueber_nachbar"].to_numpy(dtype=bool), via.ravel())
    own = (gaps >= 1.25).ravel()
    np.testing.assert_allclose(res["erschliessung_breite_m"].to_numpy()[own], gaps.ravel()[own], atol=0.03)
    np.testing.assert_allclose(res["erschliessung_laenge_m"].to_numpy()[own], 25.0, atol=1.0)


def test_walking_length_in_chunks_equals_one_graph():
    """Grids solved in chunks (here one area per Dijkstra run) give the same lengths as one graph."""
    # three parcels side by side: corridors 4 m wide, 25 m long (y 0–25) to a backyard at y 25–55
    free, road, area = [], [], []
    for ox in (0.0, 30.0, 60.0):
        parcel = box(ox, 0, ox + 20, 60)
        free.append(parcel.difference(box(ox, 5, ox + 8, 17)).difference(box(ox + 12, 5, ox + 20, 17)))
        road.append(box(ox - 5, -10, ox + 25, 0))
        area.append(box(ox + 3, 25 + ox / 30, ox + 17, 55))  # 25, 26 and 27 m from the street
    free, road, area = (np.array(a, dtype=object) for a in (free, road, area))
    width = np.full(3, 3.0)
    one = walking_length(free, road, area, width, pitch=1.0, tol=0.5)
    each = walking_length(free, road, area, width, pitch=1.0, tol=0.5, chunk_cells=1)
    np.testing.assert_array_equal(each, one)
    np.testing.assert_allclose(one, [25.0, 26.0, 27.0], atol=1.0)  # one pitch
