"""The web map in a real browser: headless Debian Chromium via selenium, with no network.

Shows that ``karte.html`` loads from file:// without any other request, logs no console error,
draws one feature per area, and opens the criteria table on a click at an area's pixel.

The 10,000-area timing (``-m slow -s``) prints the load time; it asserts no time limit.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from nachverdichtung.criteria.base import KLASSEN
import folium

from nachverdichtung.export.webmap import karte, write_map
from tests.test_webmap import hand_assessment

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def open_map(driver, page: Path, *, timeout: float = 60.0) -> dict:
    """Load ``page`` with the network switched off; return requested URLs, console errors, ready time."""
    driver.get("about:blank")
    driver.get_log("performance")  # drop earlier entries (browser start-up, previous page)
    driver.get_log("browser")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    driver.get(page.resolve().as_uri())
    end = time.monotonic() + timeout
    while (ready := driver.execute_script("return window.nvReady || null")) is None:
        if time.monotonic() > end:
            break
        time.sleep(0.05)
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return {"urls": urls, "errors": errors, "ready_ms": ready}


def click_point(driver, lon: float, lat: float):
    """Page coordinates of a lon/lat, and the element found there."""
    return driver.execute_script(
        "var p = nvMap.latLngToContainerPoint([arguments[1], arguments[0]]);"
        "var r = nvMap.getContainer().getBoundingClientRect();"
        "var x = p.x + r.left, y = p.y + r.top; var el = document.elementFromPoint(x, y);"
        "return [x, y, el ? el.tagName : null];", lon, lat)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    result = hand_assessment()
    folder = tmp_path_factory.mktemp("karte")
    return result, write_map(result, folder)[0]


def test_map_loads_offline_without_errors(driver, small):
    result, page = small
    seen = open_map(driver, page)
    assert seen["ready_ms"] is not None, "the map script never finished"
    assert page.resolve().as_uri() in seen["urls"]  # the log really lists requests
    foreign = [u for u in seen["urls"] if not u.startswith(("file://", "data:"))]
    assert foreign == []
    assert seen["errors"] == []
    assert driver.execute_script("return window.nvAreaCount") == len(result.areas)
    on_map = driver.execute_script(
        "var ids = []; nvMap.eachLayer(function (l) { if (l.feature && l.feature.properties.i !== undefined)"
        " ids.push(NV.a.id[l.feature.properties.i]); }); return ids.sort();")
    assert on_map == sorted(result.areas.index)  # each area drawn once, in its class layer
    assert driver.execute_script("return document.title") == result.config.output.title


def test_click_on_area_opens_criteria_table(driver, small):
    result, page = small
    open_map(driver, page)
    from selenium.webdriver.common.action_chains import ActionChains

    points = result.areas.geometry.representative_point().to_crs(4326)
    for fid, pt in points.items():
        x, y, tag = click_point(driver, pt.x, pt.y)
        if tag == "CANVAS":  # not covered by a control
            break
    else:
        pytest.fail("every area is covered by a map control")
    actions = ActionChains(driver)
    actions.w3c_actions.pointer_action.move_to_location(int(round(x)), int(round(y)))
    actions.w3c_actions.pointer_action.click()
    actions.perform()
    time.sleep(0.3)
    text = driver.execute_script(
        "var p = document.querySelector('.leaflet-popup-content'); return p ? p.innerText : null")
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    assert text is not None, "no popup opened"
    assert f"Fläche {fid}" in text
    for title in result.titles().values():
        assert title in text
    row = result.areas.loc[fid]
    assert row["zuschnitt_grund"] in text
    numbers = {"2566-1-1-a": "1", "2566-1-3-a": "3", "2566-1-5-a": "5, 6/2"}[fid]  # from the flstkennz
    assert f"Flurstücke: Gemarkung 2566, Flur 1: {numbers}" in text
    assert "Begründung" in text
    deciding = {"2566-1-1-a": None, "2566-1-3-a": "Flächenzuschnitt, Topographie",
                "2566-1-5-a": "Flächenzuschnitt"}[fid]
    assert (deciding is None) == ("Entscheidende Kriterien" not in text)
    assert deciding is None or f"Entscheidende Kriterien: {deciding}" in text
    # The key values, formatted the German way (12.0 % → "12,0 %"; missing → "–").
    if fid == "2566-1-3-a":
        assert "12,0 %" in text
    if fid == "2566-1-5-a":
        assert "–" in text


def test_criterion_layer_colours_by_that_criterion(driver, small):
    result, page = small
    open_map(driver, page)
    colours = driver.execute_script(
        "var labels = document.querySelectorAll('.leaflet-control-layers-overlays label');"
        "for (var i = 0; i < labels.length; i++) { if (labels[i].innerText.indexOf('Kriterium: Topographie') >= 0) {"
        "  labels[i].querySelector('input').click(); } }"
        "var out = {}; nvMap.eachLayer(function (l) { if (l.feature && l.feature.properties.i !== undefined) {"
        "  var id = NV.a.id[l.feature.properties.i]; (out[id] = out[id] || []).push(l.options.fillColor); } });"
        "return out;")
    # Each area twice: its overall class, then its Topographie class (1-5-a: no DEM → grey, not red).
    assert colours == {"2566-1-1-a": ["#1a9641", "#1a9641"], "2566-1-3-a": ["#fdae61", "#fdae61"],
                       "2566-1-5-a": ["#d7191c", "#9e9e9e"]}


def test_user_layer_added_to_the_folium_map(driver, small, tmp_path):
    """A layer added to the returned folium.Map is drawn and listed; the page still loads offline."""
    result, _ = small
    m = karte(result)
    box = gpd.GeoSeries([result.areas.geometry.iloc[0].buffer(-5)], crs=result.areas.crs).to_crs(4326)
    folium.GeoJson(box.__geo_interface__, name="Ortstermin", style_function=lambda f: {"color": "#0000ff"}).add_to(m)
    page = tmp_path / "eigene.html"
    m.save(str(page))
    seen = open_map(driver, page)
    assert seen["errors"] == [] and seen["ready_ms"] is not None
    assert [u for u in seen["urls"] if not u.startswith(("file://", "data:"))] == []
    labels = driver.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('.leaflet-control-layers-overlays label'),"
        " function (l) { return l.innerText.trim(); });")
    assert labels[-1] == "Ortstermin" and "Kriterium: Topographie" in labels
    blue = driver.execute_script(
        "var n = 0; nvMap.eachLayer(function (l) { if (l.options && l.options.color === '#0000ff' && l.feature) n++; });"
        " return n;")
    assert blue == 1
    assert driver.execute_script("return window.nvAreaCount") == len(result.areas)


def tiled_assessment(base, n_target: int = 10_000, *, spacing: float | None = None):
    """``base`` repeated on a grid until it has ``n_target`` areas (ids made unique, classes varied)."""
    areas, layers = base.areas, base.layers
    minx, miny, maxx, maxy = layers.parcels.total_bounds
    step = spacing or max(maxx - minx, maxy - miny) + 40.0
    reps = -(-n_target // len(areas))
    side = int(np.ceil(np.sqrt(reps)))
    offsets = [(step * (i % side), step * (i // side)) for i in range(reps)]

    def tile(frame):
        parts = []
        for r, (dx, dy) in enumerate(offsets):
            f = frame.copy()
            f.geometry = f.geometry.translate(dx, dy)
            f.index = [f"{i}-{r}" for i in frame.index] if frame is areas else pd.RangeIndex(len(f)) + r * len(f)
            parts.append(f)
        return gpd.GeoDataFrame(pd.concat(parts), crs=frame.crs)

    big = tile(areas).iloc[:n_target]
    big.index.name = "flaeche_id"
    rng = np.random.default_rng(0)
    big["klasse"] = rng.choice(list(KLASSEN), len(big))
    for c in base.criteria:
        big[f"{c}_klasse"] = rng.choice(list(KLASSEN), len(big))
    reps_needed = -(-n_target // len(areas))
    keep = offsets[:reps_needed]
    lay = layers.replace(parcels=tile(layers.parcels).iloc[: len(layers.parcels) * len(keep)],
                         buildings=tile(layers.buildings).iloc[: len(layers.buildings) * len(keep)],
                         roads=tile(layers.roads).iloc[: len(layers.roads) * len(keep)])
    return dataclasses.replace(base, areas=big, layers=lay)


@pytest.mark.slow
def test_10k_areas_load_time(driver, tmp_path):
    big = tiled_assessment(hand_assessment(), 10_000)
    t0 = time.perf_counter()
    page = write_map(big, tmp_path)[0]
    write_s = time.perf_counter() - t0
    seen = open_map(driver, page)
    assert seen["errors"] == []
    assert driver.execute_script("return window.nvAreaCount") == 10_000
    assert driver.execute_script("return nvMap.getZoom()") < 15  # context not drawn at the overview
    street_ms = driver.execute_async_script(
        "var done = arguments[arguments.length - 1], t0 = performance.now();"
        "var l = nvAreaLayer(arguments[0]); nvMap.setView(l.getBounds().getCenter(), 17, {animate: false});"
        "requestAnimationFrame(function () { setTimeout(function () { done(performance.now() - t0); }, 0); });",
        str(big.areas.index[len(big.areas) // 2]))
    print(f"\n10k areas: karte.html {page.stat().st_size / 1e6:.1f} MB, written in {write_s:.1f} s, "
          f"ready in browser after {seen['ready_ms']:.0f} ms (performance.now), "
          f"steps {driver.execute_script('return window.nvTimes')}, "
          f"first zoom to street level (builds the context) {street_ms:.0f} ms")


def test_sample_map_screenshot(driver, sample_assessment, tmp_path):
    """The sample district's map renders; the screenshot is kept for docs/karte.png."""
    page = write_map(sample_assessment, tmp_path)[0]
    seen = open_map(driver, page)
    print(f"\nsample: {len(sample_assessment.areas)} areas, karte.html {page.stat().st_size / 1e6:.2f} MB, "
          f"ready in browser after {seen['ready_ms']:.0f} ms (performance.now)")
    assert seen["errors"] == []
    assert [u for u in seen["urls"] if not u.startswith(("file://", "data:"))] == []
    assert driver.execute_script("return window.nvAreaCount") == len(sample_assessment.areas)
    shot = tmp_path / "karte.png"
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000
