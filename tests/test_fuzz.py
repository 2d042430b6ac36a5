"""Property-based test: random districts (valid and broken) through load → candidates → criteria → rating.

Hypothesis draws a row of parcels with random sizes, some made invalid (bow-ties, spikes, slivers,
empty), random buildings (any function code, also text), roads (names or none, sometimes lines), a
DEM with NaN and nodata holes and a tree table with junk values. Whatever it draws, the run ends in
an assessment or in one of the project's own input errors, every parcel is accounted for and every
class is one of the four allowed values.

CI runs a fixed, derandomised set (profile ``ci``); locally ``--hypothesis-profile long`` explores more.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .badinput_district import base_config, write_case_config
from .districts import CRS, X0, Y0, kennz
from nachverdichtung.config import load_config
from nachverdichtung.errors import NachverdichtungError
from nachverdichtung.pipeline import assess

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]


CLASSES = {"geeignet", "bedingt geeignet", "nicht geeignet", "nicht bewertet"}
FUNCTIONS = ["1010", "1000", "1100", "2000", "2463", "1313", "9998", "Wohnhaus", "", "31001_1010"]
BREAKS = ["none", "none", "none", "bowtie", "spike", "sliver", "empty", "dup_vertices"]


def broken(poly: shapely.Polygon, how: str):
    x0, y0, x1, y1 = poly.bounds
    if how == "bowtie":
        return shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    if how == "spike":
        return shapely.Polygon([(x0, y0), (x1, y0), (x1, y1), ((x0 + x1) / 2, y1), ((x0 + x1) / 2, y1 + 30),
                                ((x0 + x1) / 2 + 1e-4, y1), (x0, y1)])
    if how == "sliver":
        return shapely.Polygon([(x0, y0), (x1, y0), (x1, y0 + 1e-6)])
    if how == "empty":
        return None
    if how == "dup_vertices":
        return shapely.Polygon(np.repeat(shapely.get_coordinates(poly.exterior)[:-1], 2, axis=0))
    return poly


@st.composite
def districts(draw):
    n = draw(st.integers(1, 7))
    widths = draw(st.lists(st.floats(4, 40), min_size=n, max_size=n))
    depths = draw(st.lists(st.floats(8, 120), min_size=n, max_size=n))
    xs = X0 + np.concatenate([[0], np.cumsum(widths)[:-1]])
    parcels = [shapely.box(x, Y0, x + w, Y0 + d) for x, w, d in zip(xs, widths, depths)]
    breaks = draw(st.lists(st.sampled_from(BREAKS), min_size=n, max_size=n))
    parcels = [broken(p, b) for p, b in zip(parcels, breaks)]
    houses = []
    for x, w, d in zip(xs, widths, depths):
        if draw(st.booleans()):
            fx, fy = draw(st.floats(0, 0.8)), draw(st.floats(0, 0.8))
            hw, hd = draw(st.floats(3, 15)), draw(st.floats(3, 15))
            houses.append(shapely.box(x + fx * w, Y0 + fy * d, x + fx * w + hw, Y0 + fy * d + hd))
    functions = draw(st.lists(st.sampled_from(FUNCTIONS), min_size=len(houses), max_size=len(houses)))
    road_as_line = draw(st.booleans()) and draw(st.booleans())
    right = X0 + sum(widths)
    road = shapely.box(X0 - 20, Y0 - 10, right + 20, Y0)
    name = draw(st.sampled_from(["Hauptstraße", "", None, "Straße mit ß & Ümlaut"]))
    dem = draw(st.sampled_from(["slope", "nan_holes", "all_nodata", "spikes"]))
    trees = draw(st.lists(st.tuples(st.floats(-10, 300), st.floats(-10, 130),
                                    st.sampled_from(["120", "-5", "NaN", "", "ca. 80", "99999", "45,5"])),
                          max_size=8))
    return dict(parcels=parcels, houses=houses, functions=functions, road=road.exterior if road_as_line else road,
                road_name=name, dem=dem, trees=trees, bounds=(X0 - 40, Y0 - 20, right + 40, Y0 + 140))


def write(folder: Path, d: dict) -> Path:
    alkis = folder / "alkis"
    alkis.mkdir(parents=True)
    n = len(d["parcels"])
    frames = {
        "ax_flurstueck": gpd.GeoDataFrame({"flurstueck": [kennz(i + 1) for i in range(n)], "gemarkungs": ["2566"] * n,
                                           "flurnummer": [1] * n, "zaehler": list(range(1, n + 1)), "nenner": [0] * n,
                                           "amtlichefl": [0.0] * n}, geometry=d["parcels"], crs=CRS),
        "ax_gebaeude": gpd.GeoDataFrame({"gebaeudefu": d["functions"], "anzahldero": [2] * len(d["houses"])},
                                        geometry=d["houses"] or [], crs=CRS),
        "ax_strassenverkehr": gpd.GeoDataFrame({"name": [d["road_name"]]}, geometry=[d["road"]], crs=CRS),
        "ax_wohnbauflaeche": gpd.GeoDataFrame({"name": ["Wohngebiet"]}, geometry=[shapely.box(*d["bounds"])],
                                              crs=CRS),
    }
    for layer, gdf in frames.items():
        pyogrio.write_dataframe(gdf, alkis / f"{layer}.shp", encoding="UTF-8",
                                geometry_type="Unknown" if layer == "ax_strassenverkehr" else None)
    write_dem(folder / "dgm.tif", d["dem"], d["bounds"])
    rows = [f"{X0 + x:.1f};{Y0 + y:.1f};Linde;{u}".replace(".", ",") for x, y, u in d["trees"]]
    (folder / "baeume.csv").write_text("\n".join(["Rechtswert;Hochwert;Baumart;Stammumfang", *rows]) + "\n",
                                       encoding="utf-8")
    config = folder / "config.yml"
    write_case_config(config, base_config())
    return config


def write_dem(path: Path, kind: str, bounds) -> None:
    left, bottom, right, top = bounds
    w, h = int(right - left), int(top - bottom)
    z = 100.0 + np.arange(h)[::-1, None] * 0.05 * np.ones((1, w))
    rng = np.random.default_rng(w * h)
    if kind == "nan_holes":
        z[rng.random(z.shape) < 0.3] = np.nan
    elif kind == "all_nodata":
        z[:] = -9999.0
    elif kind == "spikes":
        z[rng.random(z.shape) < 0.01] = 5000.0
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32", crs=CRS,
                       nodata=-9999.0, transform=Affine(1.0, 0.0, left, 0.0, -1.0, top)) as ds:
        ds.write(z.astype("float32"), 1)


@given(districts())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_random_districts_never_crash_and_lose_nothing(d):
    with tempfile.TemporaryDirectory() as tmp:
        config = write(Path(tmp), d)
        try:
            result = assess(load_config(config))
        except NachverdichtungError as exc:  # a clear input error is an allowed outcome
            assert "\n" not in str(exc) and "Lösung:" in str(exc)
            return
    acc = result.parcels
    dropped = result.layers.excluded_parcels
    # nothing lost: every parcel delivered is in the accounting (parcels dropped at entry with their reason)
    assert len(acc) == len(d["parcels"])
    assert set(dropped["flstkennz"]) <= set(acc.loc[acc["status"] == "ausgeschlossen", "flstkennz"])
    assert set(acc["status"]) <= {"Kandidat", "ausgeschlossen"}
    assert acc.loc[acc["status"] == "ausgeschlossen", "grund"].astype(str).str.len().gt(0).all()
    assert set(result.areas["klasse"]) <= CLASSES
    for name in result.criteria:
        assert set(result.areas[f"{name}_klasse"]) <= CLASSES
