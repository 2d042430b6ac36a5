"""The notebook API: ``nachverdichtung.assess(path)``, the Assessment's repr, summary, frame and map."""

from __future__ import annotations

import dataclasses

import folium
import geopandas as gpd
import pytest

import nachverdichtung as nv
from nachverdichtung.config import load_config
from nachverdichtung.export import webmap
from nachverdichtung.pipeline import Assessment, assess
from tests.badinput_district import write_district
from tests.test_webmap import hand_assessment


@pytest.fixture(scope="module")
def result():
    return hand_assessment()


def test_top_level_names_are_the_module_functions():
    assert nv.assess is assess and nv.Assessment is Assessment and nv.karte is webmap.karte
    assert nv.load_config is load_config
    with pytest.raises(AttributeError, match="no attribute 'gibtsnicht'"):
        nv.gibtsnicht  # noqa: B018


def test_assess_accepts_a_path(tmp_path):
    config = write_district(tmp_path / "d")
    by_path = nv.assess(config)
    by_str = nv.assess(str(config))
    by_config = assess(load_config(config))
    assert isinstance(by_path, Assessment) and len(by_path.areas) > 0
    assert list(by_path.areas.index) == list(by_str.areas.index) == list(by_config.areas.index)
    assert by_path.areas["klasse"].tolist() == by_config.areas["klasse"].tolist()
    assert by_path.config.file == by_config.config.file


def test_repr_names_counts_parcels_and_criteria(result):
    # hand_assessment: one area per class except "nicht bewertet", six parcels in the street row
    assert repr(result) == ("<Assessment: 3 Potenzialflächen (geeignet 1, bedingt geeignet 1, nicht geeignet 1, "
                            "nicht bewertet 0); 6 Flurstücke; Kriterien: zuschnitt, topographie>")


def test_summary_is_the_class_table(result):
    table = result.summary()
    assert table.index.name == "Klasse"
    assert table.index.tolist() == ["geeignet", "bedingt geeignet", "nicht geeignet", "nicht bewertet"]
    assert table["Flächen"].tolist() == [1, 1, 1, 0]
    assert table["Anteil %"].tolist() == [33.3, 33.3, 33.3, 0.0]
    assert table["Fläche m²"].tolist() == [800, 800, 1600, 0]  # flaeche_m2 of the hand-made areas


def test_summary_without_areas(result):
    empty = dataclasses.replace(result, areas=result.areas.iloc[:0])
    assert empty.summary()["Flächen"].tolist() == [0, 0, 0, 0]
    assert empty.summary()["Anteil %"].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_html_repr_shows_the_class_table(result):
    page = result._repr_html_()
    assert "<table" in page and "<th>bedingt geeignet</th>" in page and "<td>1600</td>" in page
    assert "3 Potenzialflächen aus 6 Flurstücken, 2 Kriterien" in page


def test_to_geopandas_is_a_copy(result):
    frame = result.to_geopandas()
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs == result.areas.crs
    assert frame.index.name == "flaeche_id" and list(frame.index) == list(result.areas.index)
    frame.loc[frame.index[0], "klasse"] = "geändert"
    assert result.areas["klasse"].iloc[0] == "geeignet"


def test_explore_returns_the_folium_map(result):
    m = result.explore(height=300)
    assert isinstance(m, folium.Map)
    inline = m._repr_html_()
    assert inline.startswith("<iframe srcdoc=") and "height:300px" in inline
    assert m.get_root().render() == webmap.map_html(result)
