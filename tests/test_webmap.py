"""The web map's HTML and payload (no browser; see test_webmap_browser.py for the rendered page)."""

from __future__ import annotations

import dataclasses
import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from nachverdichtung.config import config_from_dict
from nachverdichtung.export import webmap
from nachverdichtung.export.webmap import CLASS_COLOURS, karte, map_data, map_html, show_map, write_map
from nachverdichtung.pipeline import assess
from tests.districts import CRS, X0, Y0, kennz, make_layers, street_row


def hand_assessment():
    """A real :class:`Assessment` of a six-parcel street row whose areas and ratings are set by hand.

    Three areas behind the houses (x in 20 m steps, y from 20 to 60 m behind the street) rated by
    ``zuschnitt`` and ``topographie``; the exporter only reads these columns, so the test does not
    depend on how candidates are derived.
    """
    base = assess(config_from_dict({"alkis": {"path": "."}}), layers=make_layers(*street_row()))
    # Area a has two extra collinear vertices on its south edge (simplification must drop them).
    geoms = [shapely.Polygon([(X0 + 20, Y0 + 20), (X0 + 15, Y0 + 20), (X0 + 5, Y0 + 20), (X0, Y0 + 20),
                              (X0, Y0 + 60), (X0 + 20, Y0 + 60)]),
             shapely.box(X0 + 40, Y0 + 20, X0 + 60, Y0 + 60),
             shapely.box(X0 + 80, Y0 + 20, X0 + 120, Y0 + 60)]
    areas = gpd.GeoDataFrame({
        "flurstuecke": [kennz(1), kennz(3), f"{kennz(5)},{kennz(6, 2)}"],
        "anzahl_flurstuecke": [1, 1, 2],
        "flaeche_m2": [800.0, 800.0, 1600.0],
        "strasse": ["Lindenstraße", "Lindenstraße", ""],
        "zuschnitt_bauplaetze_anzahl": [2, 1, 0],
        "zuschnitt_klasse": ["geeignet", "bedingt geeignet", "nicht geeignet"],
        "zuschnitt_grund": ["2 Baukörper passen", "1 Baukörper passt knapp", "kein Baukörper passt"],
        "topographie_neigung_mittel_pct": [4.25, 12.0, np.nan],
        "topographie_klasse": ["geeignet", "bedingt geeignet", "nicht bewertet"],
        "topographie_grund": ["mittlere Neigung 4,3 % ≤ 10 %", "mittlere Neigung 12,0 % > 10 %", "kein DGM"],
        "klasse": ["geeignet", "bedingt geeignet", "nicht geeignet"],
        "entscheidend": ["", "zuschnitt, topographie", "zuschnitt"],
        "nicht_bewertet": ["", "", "topographie"],
        "zusammenfassung": ["", "", ""],
    }, geometry=geoms, crs=CRS, index=pd.Index(["2566-1-1-a", "2566-1-3-a", "2566-1-5-a"], name="flaeche_id"))
    return dataclasses.replace(base, areas=areas, criteria=("zuschnitt", "topographie"))


@pytest.fixture(scope="module")
def result():
    return hand_assessment()


def payload(page: str) -> dict:
    """The JSON data block of a written page."""
    m = re.search(r'<script type="application/json" id="nv-daten">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def test_write_map_writes_one_self_contained_file(result, tmp_path):
    written = write_map(result, tmp_path)
    assert written == [tmp_path / "karte.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["karte.html"]
    page = written[0].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="de">' in page
    # Nothing is loaded from elsewhere: no external scripts, styles or images.
    assert re.findall(r"<script[^>]*\ssrc=", page) == []
    assert re.findall(r"<link[^>]*>", page) == []
    urls = set(re.findall(r"url\(([^)]*)\)", page))
    assert urls and all(u.startswith("data:image/png;base64,") or u == "#default#VML" for u in urls)
    assert "sourceMappingURL" not in page
    assert "L.version" not in page and 't.version="1.9.4"' in page  # Leaflet inlined
    assert f"<title>{result.config.output.title}</title>" in page
    assert page == map_html(result)  # the payload is streamed into the file, the page is the same


def test_a_map_streamed_once_renders_its_payload_again(result):
    m = karte(result)
    data = next(e for e in m._children.values() if isinstance(e, webmap.MapData))
    with data.streamed() as marker:
        assert marker in m.get_root().render() and data.json not in m.get_root().render()
    assert m.get_root().render() == map_html(result)


def test_payload_columns_match_the_assessment(result):
    data = map_data(result)
    areas = result.areas
    a = data["a"]
    assert a["id"] == list(areas.index)
    assert [k["name"] for k in data["klassen"]] == ["geeignet", "bedingt geeignet", "nicht geeignet", "nicht bewertet"]
    assert [k["farbe"] for k in data["klassen"]] == ["#1a9641", "#fdae61", "#d7191c", "#9e9e9e"]
    names = [k["name"] for k in data["klassen"]]
    assert [names[k] for k in a["k"]] == areas["klasse"].tolist()
    assert [c["name"] for c in data["kriterien"]] == list(result.criteria)
    for j, c in enumerate(result.criteria):
        assert [names[k] for k in a["c"][j]] == areas[f"{c}_klasse"].tolist()
        assert [data["s"][g] for g in a["g"][j]] == areas[f"{c}_grund"].tolist()
    assert [data["s"][f] for f in a["f"]] == areas["flurstuecke"].tolist()
    assert [data["s"][f] for f in a["st"]] == ["Lindenstraße", "Lindenstraße", ""]
    assert a["m"] == [800.0, 800.0, 1600.0]
    # The deciding criteria are shown by title; the string table holds each text once.
    assert [data["s"][e] for e in a["e"]] == ["", "Flächenzuschnitt, Topographie", "Flächenzuschnitt"]
    assert len(data["s"]) == len(set(data["s"]))


def test_key_values_units_and_rounding(result):
    data = map_data(result)
    j = list(result.criteria).index("zuschnitt")
    assert data["kriterien"][j] | {"titel": None} == {"name": "zuschnitt", "titel": None, "einheit": "", "stellen": 0}
    assert data["a"]["v"][j] == [2, 1, 0]
    t = list(result.criteria).index("topographie")
    assert data["kriterien"][t]["einheit"] == "%" and data["kriterien"][t]["stellen"] == 1
    assert data["a"]["v"][t] == [4.2, 12.0, None]  # rounded half to even like numpy; missing is None, never 0
    assert webmap._unit("flaeche_m2") == ("m²", 0) and webmap._unit("breite_m") == ("m", 1)


def test_geometry_simplified_rounded_and_in_wgs84(result):
    data = map_data(result)
    g = json.loads(data["a"]["geom"][0])
    ring = g["coordinates"][0]
    # The area's ring has two collinear vertices on its south edge; simplification drops them.
    assert g["type"] == "Polygon" and len(ring) == 5
    to_wgs = Transformer.from_crs(25832, 4326, always_xy=True)
    corners = {tuple(np.round(to_wgs.transform(x, y), 6)) for x, y in
               [(X0, Y0 + 20), (X0 + 20, Y0 + 20), (X0 + 20, Y0 + 60), (X0, Y0 + 60)]}
    assert {tuple(p) for p in ring} == corners
    digits = re.findall(r"\.(\d+)", data["a"]["geom"][0])
    assert max(len(d) for d in digits) <= 6


def test_context_only_near_the_areas_when_large(result, monkeypatch):
    far = shapely.box(X0 + 5000, Y0 + 5000, X0 + 5020, Y0 + 5060)
    parcels = result.layers.parcels.copy()
    parcels.loc[len(parcels), "geometry"] = far
    bigger = dataclasses.replace(result, layers=result.layers.replace(parcels=parcels))
    assert len(map_data(bigger)["ctx"]["flurstuecke"]) == 7  # small district: everything
    monkeypatch.setattr(webmap, "CONTEXT_ALL_MAX", 3)
    # Large: only within 50 m of an area (all six parcels of the row, not the far one).
    assert len(map_data(bigger)["ctx"]["flurstuecke"]) == 6
    assert len(map_data(bigger)["ctx"]["gebaeude"]) == 6
    assert len(map_data(bigger)["ctx"]["strassen"]) == 1


def test_no_areas_still_gives_a_map(result):
    empty = dataclasses.replace(result, areas=result.areas.iloc[:0])
    data = payload(map_html(empty))
    assert data["a"]["id"] == [] and data["a"]["geom"] == []
    lon0, lat0, lon1, lat1 = data["bbox"]  # view of the parcels
    assert 7.7 < lon0 < lon1 < 7.8 and 49.4 < lat0 < lat1 < 49.5
    assert len(data["ctx"]["flurstuecke"]) == 6


def test_text_cannot_close_the_script(result):
    areas = result.areas.copy()
    areas["strasse"] = "</script><script>alert(1)</script>"
    page = map_html(dataclasses.replace(result, areas=areas))
    assert "alert(1)</script>" not in page
    assert payload(page)["s"][payload(page)["a"]["st"][0]] == "</script><script>alert(1)</script>"


def test_karte_is_a_folium_map_without_cdn_links(result):
    m = karte(result)
    assert isinstance(m, folium.Map)
    page = m.get_root().render()
    # folium's defaults (Leaflet, jQuery, Bootstrap, Font Awesome from CDNs) are gone
    for _, url in folium.Map.default_js + folium.Map.default_css:
        assert url not in page
    # the only URLs: the switchable OSM background, attribution links, comments in leaflet.js
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page))
    assert urls == {"https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://leafletjs.com",
                    "https://www.openstreetmap.org/copyright", "http://www.w3.org/2000/svg",
                    "https://bugs.chromium.org/p/chromium/issues/detail?id=600120",
                    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319"}


def test_same_assessment_same_page(result):
    assert map_html(result) == map_html(result)  # element ids are deterministic, not folium's random ones


def test_layer_control_lists_class_criterion_context_and_user_layers(result):
    m = karte(result)
    folium.GeoJson({"type": "Point", "coordinates": [7.7585, 49.4483]}, name="Eigener Layer").add_to(m)
    page = m.get_root().render()
    control = re.search(r"var (layer_control_\w+)_layers = \{(.*?)\};", page, re.S)
    names = [json.loads(f'"{k}"') for k in re.findall(r'^\s*"(.*)" : \w+,$', control.group(2), re.M)]
    assert names[:2] == ["Ohne Hintergrund", "OpenStreetMap (nur online)"]
    marks = [f'<span class="nv-mark" style="background:{c}"></span>' for c in CLASS_COLOURS.values()]
    assert names[2:] == ['<span class="nv-ctx">Straßen</span>', '<span class="nv-ctx">Flurstücke</span>',
                         '<span class="nv-ctx">Gebäude</span>', '<span class="nv-ctx">Innenbereich</span>',
                         marks[0] + "geeignet (1)",
                         marks[1] + "bedingt geeignet (1)", marks[2] + "nicht geeignet (1)",
                         marks[3] + "nicht bewertet (0)", "Kriterium: Flächenzuschnitt", "Kriterium: Topographie",
                         "Eigener Layer"]
    # added after karte(), yet defined before the control and the ready hook use it
    assert page.index("var geo_json_") < control.start() < page.index("NVK.ready(")


def test_popup_lines_from_registered_columns(result, monkeypatch):
    areas = result.areas.copy()
    areas["hinweis"] = ["", "Eigentümer angefragt", None]
    monkeypatch.setattr(webmap, "POPUP_LINES", {"hinweis": "Beteiligung", "fehlt": "nicht da"})
    data = map_data(dataclasses.replace(result, areas=areas))
    assert [z["titel"] for z in data["zeilen"]] == ["Beteiligung"]  # missing column skipped
    assert [data["s"][w] for w in data["zeilen"][0]["w"]] == ["", "Eigentümer angefragt", ""]
    assert map_data(result)["zeilen"] == []


def test_notebook_view_is_an_iframe(result):
    html = show_map(result, height=400)._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "height:400px" in html
    assert "<script" not in html  # escaped inside srcdoc
    assert CLASS_COLOURS["geeignet"] in html


def test_registered_as_map_format():
    from nachverdichtung.export import WRITERS, _writer

    assert _writer("map") is write_map and WRITERS["map"].endswith("webmap:write_map")


def test_sample_district_map(sample_assessment, tmp_path):
    page = write_map(sample_assessment, tmp_path)[0]
    data = payload(page.read_text(encoding="utf-8"))
    assert len(data["a"]["id"]) == len(sample_assessment.areas) > 0
    assert sum(g != "null" for g in data["a"]["geom"]) == len(sample_assessment.areas)
    assert len(data["ctx"]["gebaeude"]) > 0 and len(data["ctx"]["flurstuecke"]) > 0


def test_rendering_twice_gives_the_same_page_and_keeps_user_elements(result):
    m = karte(result)
    m.get_root().html.add_child(folium.Element('<div id="eigen">Hinweis</div>'))
    first = m.get_root().render()
    assert first == m.get_root().render()  # e.g. shown in Jupyter, then saved
    assert first.count('<div id="eigen">Hinweis</div>') == 1


def test_text_with_template_syntax_is_kept_as_it_is(result):
    areas = result.areas.copy()
    areas["strasse"] = ["{{ 7 * 7 }} {% raw %}", "{# Kommentar #}", ""]
    data = payload(map_html(dataclasses.replace(result, areas=areas)))
    assert [data["s"][i] for i in data["a"]["st"]] == ["{{ 7 * 7 }} {% raw %}", "{# Kommentar #}", ""]


def _scattered(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 3000, n) + X0, rng.uniform(0, 3000, n) + Y0
    return shapely.buffer(shapely.points(x, y), rng.uniform(2, 40, n), quad_segs=rng.integers(1, 6))


def test_near_any_equals_every_pair_tested(monkeypatch):
    monkeypatch.setenv("NV_THREADS", "2")
    geoms = gpd.GeoSeries(_scattered(3000, 1), crs=CRS)
    areas = _scattered(300, 2)
    near = shapely.buffer(areas, 50.0)
    expected = np.unique(geoms.sindex.query(near, predicate="intersects")[1])
    got = webmap._near_any(geoms, shapely.STRtree(near), areas)
    assert 0 < len(got) < len(geoms) and np.array_equal(got, expected)


def test_geojson_in_threads_equals_one_pass(monkeypatch):
    from nachverdichtung.parallel import serial

    g = _scattered(1500, 3)
    g[::97], g[5::101] = None, shapely.Polygon()
    g[7::89] = shapely.box(X0, Y0, X0 + 0.2, Y0 + 0.2)  # vanishes under Douglas-Peucker at 0.5 m
    monkeypatch.setenv("NV_THREADS", "3")
    for kwargs in ({"fast": True}, {"keep_empty": True}):
        with serial():
            one = webmap._geojson(g, CRS, 0.5, **kwargs)
        assert webmap._geojson(g, CRS, 0.5, **kwargs) == one
        assert ("null" in one) == ("keep_empty" in kwargs)


def test_a_failing_context_leaves_no_half_written_page(result, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("Kontext kaputt")

    monkeypatch.setattr(webmap, "_context_layers", broken)
    with pytest.raises(RuntimeError, match="Kontext kaputt"):
        write_map(result, tmp_path)
    assert list(tmp_path.iterdir()) == []
