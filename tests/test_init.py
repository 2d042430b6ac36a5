"""``nachverdichtung init``: a delivery folder becomes a commented config that assess runs (issue #16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from nachverdichtung.config import load_config
from nachverdichtung.pipeline import assess
from nachverdichtung.scan import scan_delivery, write_init_config


def test_init_on_the_sample_gives_the_same_result_as_the_shipped_config(sample_config, sample_assessment, tmp_path):
    folder = Path(sample_config).parent
    target = tmp_path / "config.yml"
    r = subprocess.run([sys.executable, "-m", "nachverdichtung", "init", str(folder), "--out", str(target)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    text = target.read_text(encoding="utf-8")
    assert "eigentuemer" not in text.split("# Nicht verwendet:")[0]  # personal data is never pointed at
    result = assess(load_config(target))
    pd.testing.assert_series_equal(result.areas["klasse"], sample_assessment.areas["klasse"])
    for name in sample_assessment.criteria:
        pd.testing.assert_series_equal(result.areas[f"{name}_klasse"], sample_assessment.areas[f"{name}_klasse"])


def test_init_never_overwrites_and_lists_missing_criteria(sample_config, tmp_path):
    folder = tmp_path / "lieferung"
    folder.mkdir()
    src = Path(sample_config).parent
    (folder / "alkis").symlink_to(src / "alkis_ax", target_is_directory=True)
    (folder / "klima.gpkg").symlink_to(src / "klima.gpkg")
    first = write_init_config(folder)
    second = write_init_config(folder)
    assert first.name == "config.yml" and second.name == "config.init.yml"
    assert first.read_text(encoding="utf-8").split("# Nicht verwendet")[0] == \
        second.read_text(encoding="utf-8").split("# Nicht verwendet")[0]
    text = first.read_text(encoding="utf-8")
    assert "climate: klima.gpkg" in text
    assert "Baumbestand: nicht bewertet" in text and "Immissionen: keine Lärmkarte" in text


def test_init_recognises_tiles_and_class_polygons(sample_config, tmp_path):
    import geopandas as gpd
    import shapely

    folder = tmp_path / "stadt"
    tiles = folder / "dgm1_kacheln"
    tiles.mkdir(parents=True)
    for i in range(2):
        (tiles / f"dgm1_{i}.tif").symlink_to(Path(sample_config).parent / "dgm1.tif")
    gpd.GeoDataFrame({"KLASSE": ["10 - 30 cm"]}, geometry=[shapely.box(410000, 5478000, 410010, 5478010)],
                     crs="EPSG:25832").to_file(folder / "sturzflut_tiefe.gpkg")
    found = scan_delivery(folder)
    assert found.inputs["dem"].path == tiles
    assert found.inputs["rain_depth"].path.name == "sturzflut_tiefe.gpkg"
    assert not found.inputs["rain_depth"].sure
