"""Tests for the built-in synthetic sample district (nachverdichtung.sample)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.features
import rasterio.windows
import shapely

from nachverdichtung.sample import generate_sample

# rasterio's window helpers still use Affine's ``*`` operator internally.
pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")

PROTECTED_LISTED = {"Amberbaum", "Tulpenbaum", "Maulbeere", "Feldahorn", "Speierling", "Weißdorn",
                    "Stechpalme", "Eibe"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "a"
    cfg = generate_sample(out, seed=42)
    assert cfg == out / "config.yml"
    return out


@pytest.fixture(scope="module")
def gt(sample) -> dict:
    return json.loads((sample / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parcels(sample) -> gpd.GeoDataFrame:
    return gpd.read_file(sample / "alkis_ax" / "ax_flurstueck.shp")


def _case(gt, name):
    (case,) = [c for c in gt["planted"] if c["case"] == name]
    return case, shapely.from_wkt(case["wkt"])


def _raster_in(path: Path, geom) -> np.ndarray:
    """Raster values of cells whose centre lies inside ``geom``."""
    with rasterio.open(path) as src:
        win = rasterio.windows.from_bounds(*geom.bounds, transform=src.transform).round_offsets().round_lengths()
        win = rasterio.windows.Window(win.col_off - 1, win.row_off - 1, win.width + 3, win.height + 3)
        data = src.read(1, window=win)
        mask = rasterio.features.geometry_mask([geom], data.shape, src.window_transform(win), invert=True)
        return data[mask]


def test_determinism_and_seed(sample, tmp_path):
    again = tmp_path / "b"
    generate_sample(again, seed=42)
    files = sorted(p.relative_to(sample) for p in sample.rglob("*") if p.suffix in (".shp", ".dbf", ".csv"))
    assert len(files) >= 30
    for rel in files:
        assert (sample / rel).read_bytes() == (again / rel).read_bytes(), rel
    other = tmp_path / "c"
    generate_sample(other, seed=7)
    for rel in ("alkis_ax/ax_flurstueck.shp", "alkis_ax/ax_gebaeude.shp", "baumkataster.csv"):
        assert (sample / rel).read_bytes() != (other / rel).read_bytes(), rel


def test_size_and_parcel_ids(parcels, gt):
    assert len(parcels) >= 1000
    assert gt["n_parcels"] == len(parcels)
    assert len(gt["expected_candidates"]) >= 100
    kennz = parcels["flurstueck"]
    assert kennz.str.len().eq(20).all()
    assert kennz.is_unique
    assert kennz.str.match(r"^07256[67]\d{3}\d{5}(\d{4}|_{4})__$").all()
    assert parcels["gemarkungs"].isin(["2566", "2567"]).all()


def test_vereinfacht_is_cp1252_without_cpg(sample):
    ve = sample / "alkis_vereinfacht"
    assert {p.name for p in ve.glob("*.shp")} == {"Flurstueck.shp", "GebaeudeBauwerk.shp", "Nutzung.shp"}
    assert not list(ve.glob("*.cpg"))
    raw = (ve / "Flurstueck.dbf").read_bytes()
    assert b"\xdf" in raw  # ß in cp1252
    text = raw.decode("cp1252")
    assert "Am Mühlbach" in text and "Hauptstraße" in text
    nutzung = (ve / "Nutzung.dbf").read_bytes().decode("cp1252")
    for art in ("Wohnbaufläche", "Fläche gemischter Nutzung", "Straßenverkehr", "Bahnverkehr", "Wald"):
        assert art in nutzung
    assert (sample / "alkis_ax" / "ax_flurstueck.cpg").read_text().upper().startswith("UTF")


def test_config_file(sample):
    text = (sample / "config.yml").read_text(encoding="utf-8")
    assert text.startswith("crs: EPSG:25832\nalkis:\n  path: alkis_ax\n  preset: ax\n")
    for rel in re.findall(r"(?:path|settlement|dem|rain_depth|rain_velocity|flow_paths|protected_areas|species|"
                          r"climate|noise_lden|noise_night|railways): ([\w.]+)", text):
        assert (sample / rel).exists(), rel


def test_planted_cases_lie_in_their_parcels_and_residential_land(sample, gt, parcels):
    cases = {c["case"] for c in gt["planted"]}
    assert {"topographie", "naturschutz", "starkregen", "baeume", "erschliessung_blockiert", "klima",
            "immissionen", "vorbild"} <= cases
    residential = shapely.union_all(np.concatenate([
        gpd.read_file(sample / "alkis_ax" / f"{n}.shp").geometry.to_numpy()
        for n in ("ax_wohnbauflaeche", "ax_flaechegemischternutzung")]))
    settlement = shapely.union_all(gpd.read_file(sample / "innenbereich.gpkg").geometry.to_numpy())
    by_id = parcels.set_index("flurstueck")
    expected_wkts = {c["wkt"] for c in gt["expected_candidates"]}
    for case in gt["planted"]:
        g = shapely.from_wkt(case["wkt"])
        assert g.area >= 250.0
        assert case["wkt"] in expected_wkts
        assert set(case["flstkennz"]) <= set(by_id.index)
        own = shapely.union_all(by_id.loc[case["flstkennz"]].geometry.to_numpy())
        assert g.buffer(-0.05).within(own), case["case"]
        assert g.buffer(-0.05).within(residential), case["case"]
        assert g.within(settlement), case["case"]
        assert set(case["expected"].values()) <= {"geeignet", "bedingt geeignet", "nicht geeignet"}


def test_steep_case_slope(sample, gt):
    _c, g = _case(gt, "topographie")
    with rasterio.open(sample / "dgm1.tif") as src:
        res = src.res[0]
        win = rasterio.windows.from_bounds(*g.buffer(3).bounds, transform=src.transform).round_offsets()
        dem = src.read(1, window=win.round_lengths()).astype(float)
        mask = rasterio.features.geometry_mask([g], dem.shape, src.window_transform(win), invert=True)
    gy, gx = np.gradient(dem, res)
    slope = 100 * np.hypot(gx, gy)
    assert slope[mask].mean() > 20.0
    # The flat cases are flat enough.
    _c, flat = _case(gt, "erschliessung_frei")
    with rasterio.open(sample / "dgm1.tif") as src:
        win = rasterio.windows.from_bounds(*flat.bounds, transform=src.transform).round_offsets().round_lengths()
        dem = src.read(1, window=win).astype(float)
    gy, gx = np.gradient(dem, res)
    assert 100 * np.hypot(gx, gy).mean() < 10.0


def test_biotope_cuts_nature_case(sample, gt):
    _c, g = _case(gt, "naturschutz")
    pa = gpd.read_file(sample / "schutzgebiete.gpkg")
    hit = pa[pa.intersects(g)]
    assert "Biotop30" in set(hit["kategorie"])
    assert hit.intersection(g).area.sum() > 0.1 * g.area
    # Other planted cases stay clear of exclusion areas.
    strict = shapely.union_all(pa[pa["kategorie"].isin(["NSG", "Biotop30", "Naturdenkmal"])].geometry.to_numpy())
    for name in ("topographie", "baeume", "vorbild", "immissionen"):
        assert not _case(gt, name)[1].intersects(strict), name


def test_flow_case_is_flooded_and_crossed(sample, gt):
    _c, g = _case(gt, "starkregen")
    depth = _raster_in(sample / "starkregen_tiefe.tif", g)
    assert depth.size > 100
    assert np.percentile(depth, 90) > 0.5
    assert (depth > 0.5).mean() > 0.5
    lines = gpd.read_file(sample / "fliesswege.gpkg")
    assert lines.intersects(g).any()
    # The other planted cases stay dry (each case is a clean example of one criterion).
    for case in gt["planted"]:
        if case["case"] != "starkregen":
            dry = _raster_in(sample / "starkregen_tiefe.tif", shapely.from_wkt(case["wkt"]))
            assert np.percentile(dry, 90) < 0.1, case["case"]


def test_tree_case_has_protected_trees(sample, gt):
    _c, g = _case(gt, "baeume")
    trees = gpd.read_file(sample / "baumkataster.gpkg")
    inside = trees[trees.within(g)]
    assert len(inside) >= 3
    limit = np.where(inside["art"].isin(PROTECTED_LISTED), 40.0, 60.0)
    protected = inside["umfang_cm"].to_numpy() >= limit
    assert protected.sum() >= 3
    crowns = shapely.union_all(inside.geometry.buffer(inside["krone_m"].fillna(0) / 2).to_numpy())
    assert crowns.intersection(g).area / g.area < 0.4
    # The CSV carries the same register with missing values as empty fields.
    lines = (sample / "baumkataster.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "x;y;art;stammumfang_cm;kronendurchmesser_m"
    assert len(lines) - 1 == len(trees)
    assert any(";;" in ln or ln.endswith(";") for ln in lines[1:])


def test_climate_and_noise_cases(sample, gt):
    _c, g = _case(gt, "klima")
    klima = gpd.read_file(sample / "klima.gpkg")
    corridor = shapely.union_all(klima[klima["funktion"] == "kaltluftleitbahn"].geometry.to_numpy())
    assert corridor.covers(g)
    _c, noisy = _case(gt, "immissionen")
    assert _raster_in(sample / "laerm_lden.tif", noisy.buffer(5)).mean() >= 65.0
    _c, quiet = _case(gt, "vorbild")
    assert _raster_in(sample / "laerm_lden.tif", quiet.buffer(5)).mean() < 55.0


def test_access_blocked_case(sample, gt, parcels):
    case, g = _case(gt, "erschliessung_blockiert")
    (kennz,) = case["flstkennz"]
    parcel = parcels.loc[parcels["flurstueck"] == kennz].geometry.iloc[0]
    b = gpd.read_file(sample / "alkis_ax" / "ax_gebaeude.shp")
    own = shapely.union_all(b[b.intersects(parcel.buffer(-0.5))].geometry.to_numpy())
    free = shapely.difference(parcel, own.buffer(0.05))
    streets = shapely.union_all(gpd.read_file(sample / "alkis_ax" / "ax_strassenverkehr.shp").geometry.to_numpy())
    back = [p for p in shapely.get_parts(free) if p.intersects(g.representative_point().buffer(1))]
    assert back and all(p.distance(streets) > 3.0 for p in back)


def test_precedent_rear_house_near_vorbild_case(sample, gt):
    _c, g = _case(gt, "vorbild")
    b = gpd.read_file(sample / "alkis_ax" / "ax_gebaeude.shp")
    streets = shapely.union_all(gpd.read_file(sample / "alkis_ax" / "ax_strassenverkehr.shp").geometry.to_numpy())
    main = b[b["gebaeudefu"].between(1000, 1223)]
    near = main[main.distance(g) < 150]
    assert (near.distance(streets) > 28.0).any()


def test_rasters_cover_district(sample):
    settlement = gpd.read_file(sample / "innenbereich.gpkg")
    for name in ("dgm1.tif", "starkregen_tiefe.tif", "starkregen_geschwindigkeit.tif", "laerm_lden.tif",
                 "laerm_lnight.tif"):
        with rasterio.open(sample / name) as src:
            assert src.crs.to_epsg() == 25832
            assert src.dtypes[0] == "float32" and src.nodata == -9999
            b = src.bounds
            x0, y0, x1, y1 = settlement.total_bounds
            assert b.left < x0 - 50 and b.bottom < y0 - 50 and b.right > x1 + 50 and b.top > y1 + 50, name
    with rasterio.open(sample / "dgm1.tif") as src:
        assert src.res == (1.0, 1.0)
        dem = src.read(1)
        assert 200 < dem.min() and dem.max() < 450
        assert 408000 < src.bounds.left < 411000 and 5476000 < src.bounds.bottom < 5479500


def test_two_tiles_have_distinct_ids_and_covering_rasters(tmp_path):
    out = tmp_path / "big"
    generate_sample(out, n_parcels=2900, seed=3)
    gt = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    p = gpd.read_file(out / "alkis_ax" / "ax_flurstueck.shp")
    assert len(p) == gt["n_parcels"] and 2700 <= len(p) <= 3100
    assert p["flurstueck"].is_unique
    assert set(p["gemarkungs"]) == {"2566", "2567", "2568", "2569"}
    # The second tile repeats the first one's candidates, shifted, with its own parcel ids.
    n = len(gt["expected_candidates"])
    assert n % 2 == 0
    first, second = gt["expected_candidates"][: n // 2], gt["expected_candidates"][n // 2:]
    a, b = shapely.from_wkt(first[0]["wkt"]), shapely.from_wkt(second[0]["wkt"])
    assert abs(a.area - b.area) < 0.5 and b.centroid.distance(a.centroid) > 2000
    assert all(len(k) == 20 and k[2:6] in ("2568", "2569") for c in second for k in c["flstkennz"])
    assert set(k for c in gt["expected_candidates"] for k in c["flstkennz"]) <= set(p["flurstueck"])
    with rasterio.open(out / "dgm1.tif") as src:
        x0, y0, x1, y1 = p.total_bounds
        assert src.bounds.left <= x0 and src.bounds.right >= x1 and src.bounds.bottom <= y0 and src.bounds.top >= y1
    assert not (out / "alkis.dxf").exists() or len(p) <= 5000
