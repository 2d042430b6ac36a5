"""Thematic data in the forms offices receive it (issue #16), built from the sample district.

Every form is derived from the sample's own rasters and layers and compared with the ORIGINAL
sample run of this session (relative comparison, no hard-coded counts); deliberately ambiguous
forms must give "nicht bewertet" with the file named, and a warning in the run log.
"""

from __future__ import annotations

import gzip
import math
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.features import shapes
from rasterio.windows import Window

from nachverdichtung.config import SourceConfig, config_from_dict
from nachverdichtung.criteria import REGISTRY
from nachverdichtung.errors import InputError
from nachverdichtung.io.raster import RasterSource
from nachverdichtung.layers import load_input, unusable_reason
from nachverdichtung.pipeline import evaluate_criteria

CRS = "EPSG:25832"


@pytest.fixture(scope="module")
def base(sample_assessment):
    return sample_assessment


@pytest.fixture(scope="module")
def sample_dir(sample_config) -> Path:
    return Path(sample_config).parent


def rerun(base, criterion: str, **inputs):
    """Evaluate one criterion with some inputs replaced: ``name=value`` (config form) or ``name=None``."""
    layers = base.layers
    rasters, vectors, unusable = dict(layers.rasters), dict(layers.vectors), dict(layers.unusable)
    problems: list[str] = []
    for name, value in inputs.items():
        rasters.pop(name, None), vectors.pop(name, None), unusable.pop(name, None)
        if value is None:
            continue
        cfg = config_from_dict({"alkis": {"path": "."}, "inputs": {name: value}}, base_dir=Path("/"))
        read = load_input(name, getattr(cfg.inputs, name), target_crs=CRS)
        problems.extend(read.problems)
        loaded = read.frame
        if unusable_reason(loaded):
            unusable[name] = unusable_reason(loaded)
        elif isinstance(loaded, RasterSource):
            rasters[name] = loaded
        else:
            vectors[name] = loaded
    layers = layers.replace(rasters=rasters, vectors=vectors, unusable=unusable)
    params = base.config.criteria[criterion]
    frame = evaluate_criteria(base.areas, layers, {criterion: params})
    return frame, problems


def classes(frame_or_areas, criterion):
    return frame_or_areas[f"{criterion}_klasse"]


# ---------------------------------------------------------------- rasters as tiles

def write_tiles(src: Path, folder: Path, size: int, *, crs=None, skip=(), shift_crs: dict | None = None,
                driver: str = "GTiff") -> list[Path]:
    """Cut a raster into ``size`` × ``size`` pixel GeoTIFF tiles (edge tiles smaller)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    with rasterio.open(src) as ds:
        for r0 in range(0, ds.height, size):
            for c0 in range(0, ds.width, size):
                key = (r0 // size, c0 // size)
                if key in skip:
                    continue
                win = Window(c0, r0, min(size, ds.width - c0), min(size, ds.height - r0))
                data = ds.read(1, window=win)
                t = ds.window_transform(win)
                tile_crs = crs or ds.crs
                if shift_crs and key in shift_crs:
                    tile_crs, dx = shift_crs[key]
                    t = rasterio.Affine(t.a, t.b, t.c + dx, t.d, t.e, t.f)
                p = folder / f"dgm1_{key[0]}_{key[1]}.{'asc' if driver == 'AAIGrid' else 'tif'}"
                with rasterio.open(p, "w", driver=driver, width=win.width, height=win.height, count=1,
                                   dtype=data.dtype, crs=tile_crs, transform=t, nodata=ds.nodata) as dst:
                    dst.write(data, 1)
                out.append(p)
    return out


@pytest.fixture(scope="module")
def dem_tiles(tmp_path_factory, sample_dir):
    folder = tmp_path_factory.mktemp("dgm_kacheln")
    return write_tiles(sample_dir / "dgm1.tif", folder / "kacheln", 1000)


def test_dem_tile_folder_gives_the_same_slope_classes(base, dem_tiles):
    frame, problems = rerun(base, "topographie", dem=str(dem_tiles[0].parent))
    assert len(dem_tiles) > 1
    pd.testing.assert_series_equal(classes(frame, "topographie"), classes(base.areas, "topographie"))
    measure = [c for c in frame.columns if c.endswith("_pct")][0]
    np.testing.assert_allclose(frame[measure], base.areas[measure], rtol=1e-9, equal_nan=True)


def test_dem_tiles_as_glob_and_list(base, dem_tiles):
    frame, _ = rerun(base, "topographie", dem=str(dem_tiles[0].parent / "dgm1_*.tif"))
    pd.testing.assert_series_equal(classes(frame, "topographie"), classes(base.areas, "topographie"))
    frame, _ = rerun(base, "topographie", dem=[str(p) for p in dem_tiles])
    pd.testing.assert_series_equal(classes(frame, "topographie"), classes(base.areas, "topographie"))


def test_dem_tiles_with_compound_crs_and_one_tile_in_another_crs(base, sample_dir, tmp_path):
    # RLP delivers EPSG:25832+7837; one tile comes as EPSG:4647 (zone prefix 32 on the easting)
    tiles = write_tiles(sample_dir / "dgm1.tif", tmp_path / "rlp", 1000, crs="EPSG:25832+7837",
                        shift_crs={(0, 1): ("EPSG:4647", 32_000_000.0)})
    frame, problems = rerun(base, "topographie", dem=str(tiles[0].parent))
    pd.testing.assert_series_equal(classes(frame, "topographie"), classes(base.areas, "topographie"))
    assert any("zusammengesetztem Koordinatensystem" in p for p in problems)
    assert any("1 Kacheln in anderem Koordinatensystem" in p for p in problems)


def test_dem_as_esri_ascii_grid_tiles(base, sample_dir, tmp_path):
    tiles = write_tiles(sample_dir / "dgm1.tif", tmp_path / "asc", 1000, driver="AAIGrid")
    frame, _ = rerun(base, "topographie", dem=str(tiles[0].parent))
    pd.testing.assert_series_equal(classes(frame, "topographie"), classes(base.areas, "topographie"))


def test_missing_tile_is_reported_with_its_area(base, sample_dir, tmp_path):
    tiles = write_tiles(sample_dir / "dgm1.tif", tmp_path / "luecke", 1000, skip={(0, 0)})
    with rasterio.open(tiles[0]) as ds:
        res = ds.res[0]
    frame, problems = rerun(base, "topographie", dem=str(tiles[0].parent))
    gap = [p for p in problems if "Lücken zwischen den Kacheln" in p]
    expected = f"{(1000 * res) ** 2:,.0f}".replace(",", ".")
    assert gap and f"({expected} m²)" in gap[0]
    # areas in the gap are not rated, the others keep their class
    same = classes(frame, "topographie") == classes(base.areas, "topographie")
    assert (same | (classes(frame, "topographie") == "nicht bewertet")).all()
    assert (~same).any()


def write_xyz(src: Path, window: tuple[int, int, int, int], path: Path, *, south_to_north: bool) -> None:
    with rasterio.open(src) as ds:
        c0, r0, w, h = window
        data = ds.read(1, window=Window(c0, r0, w, h)).astype(float)
        t = ds.window_transform(Window(c0, r0, w, h))
    rows, cols = np.mgrid[0:h, 0:w]
    x = t.c + (cols + 0.5) * t.a
    y = t.f + (rows + 0.5) * t.e
    table = np.column_stack([x.ravel(), y.ravel(), data.ravel()])
    if south_to_north:
        table = table[np.lexsort((table[:, 0], table[:, 1]))]
    text = "\n".join(f"{a:.2f} {b:.2f} {c:.3f}" for a, b, c in table) + "\n"
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)


def test_xyz_tiles_in_both_row_orders_and_gzipped(base, sample_dir, tmp_path):
    # a 600 m × 400 m window as four XYZ tiles: two north→south, two south→north and gzipped
    src = sample_dir / "dgm1.tif"
    areas = base.areas
    with rasterio.open(src) as ds:
        res = ds.res[0]
        cx, cy = areas.geometry.union_all().centroid.coords[0]
        c_mid, r_mid = ~ds.transform * (cx, cy)
    c0, r0 = int(c_mid) - int(300 / res), int(r_mid) - int(200 / res)
    w, h = int(300 / res), int(200 / res)
    folder = tmp_path / "xyz"
    folder.mkdir()
    for i, (dc, dr) in enumerate(((0, 0), (w, 0), (0, h), (w, h))):
        name = f"dgm1_{i}.xyz" if i < 2 else f"dgm1_{i}.xyz.gz"
        write_xyz(src, (c0 + dc, r0 + dr, w, h), folder / name, south_to_north=i >= 2)
    frame, problems = rerun(base, "topographie", dem={"path": str(folder), "crs": CRS})
    assert any("XYZ-Kacheln einmalig in GeoTIFF umgewandelt" in p for p in problems)
    assert not any(Path(p).suffix == ".tif" for p in folder.iterdir()), "never write beside the raw input"
    with rasterio.open(src) as ds:
        x0, y0 = ds.transform * (c0 + 3, r0 + 3)
        x1, y1 = ds.transform * (c0 + 2 * w - 3, r0 + 2 * h - 3)
    inside = areas.geometry.within(shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
    assert inside.sum() >= 3
    pd.testing.assert_series_equal(classes(frame, "topographie")[inside], classes(base.areas, "topographie")[inside])
    assert (classes(frame, "topographie")[~inside] != "geeignet").any()


# ---------------------------------------------------------------- class polygons

def band_polygons(src: Path, edges: list[float], labels: list[str], out: Path, field: str, *,
                  scale: float = 1.0, skip_first: bool = False) -> Path:
    """Polygonise a raster into bands ``edges[i] <= v < edges[i+1]`` labelled ``labels[i]``."""
    with rasterio.open(src) as ds:
        data = ds.read(1, masked=True).astype(float) * scale
        t, crs = ds.transform, ds.crs
    cls = np.digitize(data.filled(np.nan), edges[1:-1]).astype(np.int32)
    valid = ~np.ma.getmaskarray(data)
    if skip_first:
        valid &= cls > 0
    geoms, vals = [], []
    for geom, v in shapes(cls, mask=valid, transform=t):
        geoms.append(shapely.geometry.shape(geom))
        vals.append(labels[int(v)])
    gdf = gpd.GeoDataFrame({field: vals}, geometry=geoms, crs=crs).dissolve(by=field, as_index=False)
    gdf.to_file(out)
    return out


def agreement(new: pd.Series, old: pd.Series) -> float:
    return float((new == old).mean())


STRICT = {"geeignet": 0, "bedingt geeignet": 1, "nicht geeignet": 2}


def test_rain_depth_as_class_polygons(base, sample_dir, tmp_path):
    # as municipalities publish it: "10 - 30 cm", "30 - 50 cm", "> 50 cm"; dry land left out
    p = band_polygons(sample_dir / "starkregen_tiefe.tif", [-1e9, 0.10, 0.30, 0.50, 1e9],
                      ["< 10 cm", "10 - 30 cm", "30 - 50 cm", "> 50 cm"], tmp_path / "sturzflut.gpkg", "KLASSE",
                      skip_first=True)
    frame, problems = rerun(base, "starkregen", rain_depth=str(p))
    new, old = classes(frame, "starkregen"), classes(base.areas, "starkregen")
    assert "nicht bewertet" not in set(new)
    assert agreement(new, old) >= 0.9, pd.crosstab(new, old)
    assert (frame["starkregen_quelle"] == "Starkregengefahrenkarte (Klassenpolygone)").all()


def test_rain_depth_classes_with_own_table(base, sample_dir, tmp_path):
    # class numbers 1-4 with the legend in the config
    p = band_polygons(sample_dir / "starkregen_tiefe.tif", [-1e9, 0.10, 0.30, 0.50, 1e9],
                      ["1", "2", "3", "4"], tmp_path / "sturzflut_nr.gpkg", "GEF_KL", skip_first=True)
    table = {"1": "< 10 cm", "2": "10 - 30 cm", "3": "30 - 50 cm", "4": "> 50 cm"}
    frame, _ = rerun(base, "starkregen", rain_depth={"path": str(p), "classes": table})
    ref, _ = rerun(base, "starkregen", rain_depth=str(band_polygons(
        sample_dir / "starkregen_tiefe.tif", [-1e9, 0.10, 0.30, 0.50, 1e9],
        ["< 10 cm", "10 - 30 cm", "30 - 50 cm", "> 50 cm"], tmp_path / "ref.gpkg", "KLASSE", skip_first=True)))
    pd.testing.assert_series_equal(classes(frame, "starkregen"), classes(ref, "starkregen"))
    # without the table a plain class number is not a range: refused per polygon, file named
    frame, problems = rerun(base, "starkregen", rain_depth=str(p))
    touched = classes(frame, "starkregen") == "nicht bewertet"
    assert touched.any() and frame.loc[touched, "starkregen_grund"].str.contains("sturzflut_nr.gpkg").all()
    assert any("sturzflut_nr.gpkg" in m and "GEF_KL" in m for m in problems)


@pytest.fixture(scope="module")
def noise_bands(tmp_path_factory, sample_dir):
    folder = tmp_path_factory.mktemp("laerm")
    lden = band_polygons(sample_dir / "laerm_lden.tif", [-1e9, 55, 60, 65, 70, 75, 1e9],
                         ["", "55-60", "60-65", "65-70", "70-75", "≥ 75"], folder / "lden.gpkg", "DB_KLASSE",
                         skip_first=True)
    night = band_polygons(sample_dir / "laerm_lnight.tif", [-1e9, 50, 55, 60, 65, 70, 1e9],
                          ["", "50-55", "55-60", "60-65", "65-70", "über 70"], folder / "lnight.gpkg", "DB_KLASSE",
                          skip_first=True)
    return lden, night


def test_noise_isophone_bands_as_separate_layers(base, noise_bands):
    lden, night = noise_bands
    frame, problems = rerun(base, "immissionen", noise_lden=str(lden), noise_night=str(night))
    new, old = classes(frame, "immissionen"), classes(base.areas, "immissionen")
    assert "nicht bewertet" not in set(new)
    # conservative (each band counts just below its upper bound): never better than the raster run …
    assert (new.map(STRICT) >= old.map(STRICT)).all(), pd.crosstab(new, old)
    # … and areas outside every band count as just below the lowest band: L_Night < 50 dB(A) does not
    # prove < 45 dB(A) (DIN 18005 at night), so they are bedingt geeignet, and the reason says why
    touched = np.zeros(len(base.areas), dtype=bool)
    for p in (lden, night):
        touched |= base.areas.geometry.intersects(gpd.read_file(p).union_all()).to_numpy()
    quiet = pd.Series(~touched, index=base.areas.index)
    assert quiet.any()
    assert (new[quiet] == "bedingt geeignet").all()
    assert frame.loc[quiet, "immissionen_grund"].str.contains("L_Night außerhalb der Bänder unter 50 dB").all()
    # declared quiet outside the L_Night bands: those areas are geeignet again, and it is said
    frame, _ = rerun(base, "immissionen", noise_lden=str(lden), noise_night={"path": str(night), "outside": "quiet"})
    assert (classes(frame, "immissionen")[quiet] == "geeignet").all()
    assert frame.loc[quiet, "immissionen_grund"].str.contains("als unbelastet gewertet").all()
    # L_DEN bands alone (mapping from 55 dB(A) = the DIN day value): outside the bands is geeignet
    frame, _ = rerun(base, "immissionen", noise_lden=str(lden), noise_night=None)
    hit = base.areas.geometry.intersects(gpd.read_file(lden).union_all()).to_numpy()
    assert (classes(frame, "immissionen")[~hit] == "geeignet").all()
    assert frame.loc[~hit, "immissionen_grund"].str.contains("L_DEN außerhalb der Bänder unter 55 dB").all()


def test_noise_bands_in_the_old_polygon_role_are_not_silently_unrated(base, noise_bands):
    frame, problems = rerun(base, "immissionen", noise_areas=str(noise_bands[0]), noise_lden=None,
                            noise_night=None)
    assert (classes(frame, "immissionen") == "nicht bewertet").all()
    assert frame["immissionen_grund"].str.contains("lden.gpkg").all()
    assert frame["immissionen_grund"].str.contains("noise_lden").all()


# ---------------------------------------------------------------- trees

@pytest.fixture(scope="module")
def tree_table(sample_dir):
    return pd.read_csv(sample_dir / "baumkataster.csv", sep=";")


def test_tree_diameter_instead_of_circumference(base, tree_table, tmp_path):
    t = tree_table.rename(columns={"stammumfang_cm": "stammdurchmesser_cm"})
    t["stammdurchmesser_cm"] = (t["stammdurchmesser_cm"] / math.pi).round(6)
    t.to_csv(tmp_path / "koeln.csv", sep=";", index=False)
    # detected by its name
    frame, problems = rerun(base, "baeume", trees=str(tmp_path / "koeln.csv"))
    pd.testing.assert_series_equal(classes(frame, "baeume"), classes(base.areas, "baeume"))
    assert any("Durchmesser" in p and "π" in p for p in problems)
    # mapped (wrongly) as circumference: read as diameter because of its name, and said so
    frame, problems = rerun(base, "baeume", trees={"path": str(tmp_path / "koeln.csv"),
                                                   "fields": {"umfang_cm": "stammdurchmesser_cm"}})
    pd.testing.assert_series_equal(classes(frame, "baeume"), classes(base.areas, "baeume"))
    assert any("heißt aber wie ein Durchmesser" in p for p in problems)


def test_tree_cadastre_without_any_trunk_measure_is_not_rated(base, tree_table, tmp_path):
    t = tree_table.rename(columns={"stammumfang_cm": "hoehe_m"})
    t.to_csv(tmp_path / "ohne_umfang.csv", sep=";", index=False)
    frame, problems = rerun(base, "baeume", trees=str(tmp_path / "ohne_umfang.csv"))
    new, old = classes(frame, "baeume"), classes(base.areas, "baeume")
    # nothing of the file is usable: the criterion is not rated, only a crown cover ≥ 50 % still decides
    assert (new[old != "nicht geeignet"] == "nicht bewertet").all()
    assert (new[old == "nicht geeignet"] == "nicht geeignet").all()
    assert frame["baeume_grund"].str.contains("ohne_umfang.csv").all()
    assert any("ohne_umfang.csv" in p and "Stammumfang" in p for p in problems)


def test_one_of_two_tree_cadastres_without_trunk_measure(base, tree_table, tmp_path):
    half = len(tree_table) // 2
    tree_table.iloc[:half].to_csv(tmp_path / "a.csv", sep=";", index=False)
    tree_table.iloc[half:].drop(columns="stammumfang_cm").to_csv(tmp_path / "b.csv", sep=";", index=False)
    frame, problems = rerun(base, "baeume", trees=[str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
    new, old = classes(frame, "baeume"), classes(base.areas, "baeume")
    unrated = new == "nicht bewertet"
    assert unrated.any() and (~unrated).any()
    assert frame.loc[unrated, "baeume_grund"].str.contains("b.csv").all()
    assert (new[~unrated] == old[~unrated]).all()


def test_tree_csv_with_dbase_header_semicolon_decimal_comma_cp1252(base, tree_table, tmp_path):
    t = tree_table.copy()
    header = "BAUMNUMMER,C,20;ART,C,50;STAMMUMFANG,N,5,0;KRONE,N,4,1;RECHTSWERT,N,12,2;HOCHWERT,N,12,2"
    rows = [f"B{i:05d};{r.art};{'' if pd.isna(r.stammumfang_cm) else int(r.stammumfang_cm)};"
            f"{'' if pd.isna(r.kronendurchmesser_m) else str(r.kronendurchmesser_m).replace('.', ',')};"
            f"{r.x:.2f};{r.y:.2f}".replace(".", ",")
            for i, r in enumerate(t.itertuples())]
    (tmp_path / "baeume_dbase.csv").write_bytes(("\r\n".join([header] + rows) + "\r\n").encode("cp1252"))
    frame, problems = rerun(base, "baeume", trees=str(tmp_path / "baeume_dbase.csv"))
    pd.testing.assert_series_equal(classes(frame, "baeume"), classes(base.areas, "baeume"))
    assert any("dBase-Kopfzeile" in p for p in problems)


def test_tree_table_as_xlsx(base, tree_table, tmp_path):
    tree_table.to_excel(tmp_path / "baeume.xlsx", index=False)
    frame, _ = rerun(base, "baeume", trees={"path": str(tmp_path / "baeume.xlsx"),
                                            "fields": {"umfang_cm": "stammumfang_cm"}})
    pd.testing.assert_series_equal(classes(frame, "baeume"), classes(base.areas, "baeume"))


def test_trees_from_two_cadastres(base, tree_table, tmp_path):
    half = len(tree_table) // 2
    a = tree_table.iloc[:half]
    b = tree_table.iloc[half:].rename(columns={"stammumfang_cm": "STU", "x": "RECHTSWERT", "y": "HOCHWERT"})
    a.to_csv(tmp_path / "a.csv", sep=";", index=False)
    b.to_csv(tmp_path / "b.csv", sep=",", index=False)
    frame, _ = rerun(base, "baeume", trees=[str(tmp_path / "a.csv"),
                                            {"path": str(tmp_path / "b.csv"), "fields": {"umfang_cm": "STU"}}])
    pd.testing.assert_series_equal(classes(frame, "baeume"), classes(base.areas, "baeume"))


# ---------------------------------------------------------------- protected areas and legends

@pytest.fixture(scope="module")
def protected(sample_dir):
    return gpd.read_file(sample_dir / "schutzgebiete.gpkg")


def test_protected_areas_one_file_per_category_without_category_field(base, protected, tmp_path):
    sources = []
    for kat, part in protected.groupby("kategorie"):
        p = tmp_path / f"{kat.lower()}.shp"
        part[["name", "geometry"]].to_file(p)
        sources.append({"path": str(p), "values": {"kategorie": kat}})
    frame, _ = rerun(base, "naturschutz", protected_areas=sources)
    pd.testing.assert_series_equal(classes(frame, "naturschutz"), classes(base.areas, "naturschutz"))


def test_protected_areas_folder_with_long_legend_words(base, protected, tmp_path):
    words = {"NSG": "Naturschutzgebiete", "FFH": "FFH-Gebiet", "LSG": "Landschaftsschutzgebiet",
             "Biotop30": "Gesetzlich geschütztes Biotop (§ 30 BNatSchG)", "Naturdenkmal": "Naturdenkmäler"}
    folder = tmp_path / "lanis"
    folder.mkdir()
    for kat, part in protected.groupby("kategorie"):
        part.assign(SCHUTZKAT=words[kat])[["SCHUTZKAT", "name", "geometry"]].to_file(folder / f"{kat}.shp")
    frame, problems = rerun(base, "naturschutz", protected_areas=str(folder))
    pd.testing.assert_series_equal(classes(frame, "naturschutz"), classes(base.areas, "naturschutz"))


def test_protected_areas_without_category_are_not_rated(base, protected, tmp_path):
    protected[["name", "geometry"]].to_file(tmp_path / "bfn.gpkg")
    # the sample's ALKIS delivery holds the same areas (ax_naturumweltoderbodenschutzrecht): leave it out here,
    # so the thematic file is the only nature source
    frame, problems = rerun(base, "naturschutz", protected_areas=str(tmp_path / "bfn.gpkg"), legal_nature=None)
    assert (classes(frame, "naturschutz") == "nicht bewertet").all()
    assert frame["naturschutz_grund"].str.contains("bfn.gpkg").all()
    assert frame["naturschutz_grund"].str.contains("kategorie").all()
    assert any("bfn.gpkg" in p for p in problems)


def test_one_protected_file_without_category_among_others(base, protected, tmp_path):
    # LANIS-style files with a category, plus one file whose category is unknown: only areas near it change
    sources = []
    for kat, part in protected.groupby("kategorie"):
        p = tmp_path / f"{kat.lower()}.gpkg"
        part[["name", "geometry"]].to_file(p)
        sources.append({"path": str(p)} if kat == "LSG" else {"path": str(p), "values": {"kategorie": kat}})
    frame, problems = rerun(base, "naturschutz", protected_areas=sources)
    new, old = classes(frame, "naturschutz"), classes(base.areas, "naturschutz")
    unrated = new == "nicht bewertet"
    assert frame.loc[unrated, "naturschutz_grund"].str.contains("lsg.gpkg").all()
    assert ((new == old) | unrated).all()
    assert (new == old).sum() > unrated.sum()
    far = base.areas["naturschutz_grund"].str.startswith("kein Schutzgebiet")
    assert (new[far] == old[far]).sum() >= 0.5 * far.sum()
    assert any("lsg.gpkg" in p for p in problems)


@pytest.fixture(scope="module")
def climate(sample_dir):
    return gpd.read_file(sample_dir / "klima.gpkg")


def test_climate_map_with_vdi_3787_legend_and_own_field(base, climate, tmp_path):
    words = {"kaltluftentstehung": "Freilandklimatop", "kaltluftleitbahn": "Ventilationsbahnen",
             "ueberwaermung": "Überwärmungs-Gebiet"}
    climate.assign(KLIMATOP=climate["funktion"].map(words))[["KLIMATOP", "geometry"]].to_file(tmp_path / "k.gpkg")
    frame, problems = rerun(base, "klima", climate=str(tmp_path / "k.gpkg"))
    pd.testing.assert_series_equal(classes(frame, "klima"), classes(base.areas, "klima"))


def test_climate_map_without_known_field_or_word_is_not_a_pass(base, climate, tmp_path):
    climate.rename(columns={"funktion": "ZZ_CODE"}).to_file(tmp_path / "k2.gpkg")
    frame, problems = rerun(base, "klima", climate=str(tmp_path / "k2.gpkg"))
    new, old = classes(frame, "klima"), classes(base.areas, "klima")
    assert (new == "nicht bewertet").all()
    assert frame["klima_grund"].str.contains("k2.gpkg").all() and frame["klima_grund"].str.contains("funktion").all()
    # one unknown word: only the areas it touches are not rated, and the word is listed
    odd = climate.copy()
    odd.loc[odd["funktion"] == "ueberwaermung", "funktion"] = "Hitzepol Typ B"
    odd.to_file(tmp_path / "k3.gpkg")
    frame, problems = rerun(base, "klima", climate=str(tmp_path / "k3.gpkg"))
    new = classes(frame, "klima")
    assert any("'Hitzepol Typ B'" in p for p in problems)
    assert (new == "nicht bewertet").any() and (new == old).sum() > (new != old).sum()


# ---------------------------------------------------------------- units

@pytest.fixture(scope="module")
def depth_cm(tmp_path_factory, sample_dir):
    out = tmp_path_factory.mktemp("cm") / "tiefe_cm.tif"
    with rasterio.open(sample_dir / "starkregen_tiefe.tif") as ds:
        data = ds.read(1)
        profile = ds.profile
    data = np.where(data == ds.nodata, ds.nodata, data * 100.0).astype(np.float32)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data, 1)
    return out


def test_depth_raster_in_cm_is_refused_unless_declared(base, depth_cm):
    frame, problems = rerun(base, "starkregen", rain_depth=str(depth_cm))
    new = classes(frame, "starkregen")
    assert (new.isin(["nicht bewertet", "nicht geeignet"])).all()
    assert frame.loc[new == "nicht bewertet", "starkregen_grund"].str.contains("tiefe_cm.tif").all()
    assert any("tiefe_cm.tif" in p and "unit: cm" in p for p in problems)
    frame, _ = rerun(base, "starkregen", rain_depth={"path": str(depth_cm), "unit": "cm"})
    pd.testing.assert_series_equal(classes(frame, "starkregen"), classes(base.areas, "starkregen"))
    np.testing.assert_allclose(frame["starkregen_tiefe_p90_m"], base.areas["starkregen_tiefe_p90_m"], rtol=1e-5)


def test_validate_warns_about_unusable_input(sample_config, depth_cm, tmp_path):
    import yaml

    data = yaml.safe_load(Path(sample_config).read_text(encoding="utf-8"))
    base_dir = Path(sample_config).parent
    for key, value in list(data["inputs"].items()):
        if isinstance(value, str):
            data["inputs"][key] = str(base_dir / value)
        else:
            value["path"] = str(base_dir / value["path"])
    for section in ("alkis", "owners"):
        if isinstance(data.get(section), dict) and "path" in data[section]:
            data[section]["path"] = str(base_dir / data[section]["path"])
    data["inputs"]["rain_depth"] = str(depth_cm)
    cfg = tmp_path / "config.yml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "nachverdichtung", "validate", str(cfg), "-q"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Hinweis: tiefe_cm.tif" in r.stdout and "unit: cm" in r.stdout


def test_class_label_parser_reads_the_usual_legends():
    from nachverdichtung.io.classes import parse_range

    assert parse_range("< 10 cm") == (-math.inf, 0.1)
    assert parse_range("10 - 30 cm") == (0.1, 0.3)
    assert parse_range("10–30 cm") == (0.1, 0.3)
    assert parse_range("> 100 cm") == (1.0, math.inf)
    assert parse_range("55-60", unit="dB") == (55.0, 60.0)
    assert parse_range("≥ 75", unit="dB") == (75.0, math.inf)
    assert parse_range("über 75", unit="dB") == (75.0, math.inf)
    assert parse_range("0,5 - 1 m/s", unit="m/s") == (0.5, 1.0)
    assert parse_range("mittel") is None


def test_missing_class_field_is_a_clear_error(tmp_path):
    gpd.GeoDataFrame({"WERT": [1.0], "STAND": ["2024"]}, geometry=[shapely.box(410000, 5478000, 410010, 5478010)],
                     crs=CRS).to_file(tmp_path / "x.gpkg")
    cfg = config_from_dict({"alkis": {"path": "."}, "inputs": {"noise_lden": str(tmp_path / "x.gpkg")}},
                           base_dir=Path("/"))
    with pytest.raises(InputError, match="Klassenfeld"):
        load_input("noise_lden", cfg.inputs.noise_lden, target_crs=CRS)
