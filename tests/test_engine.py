"""The dask engine gives the same result as the single-machine path."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from nachverdichtung.config import config_from_dict
from nachverdichtung.criteria import REGISTRY
from nachverdichtung.engine import assess_partitioned, partition_grid
from nachverdichtung.pipeline import assess
from tests.compare import assert_same_result
from tests.districts import X0, Y0, make_layers

ROWS, PER_ROW, SPACING = 3, 8, 120.0


def _district():
    """Three streets, each with 8 parcels (20 m × 60 m) north of it and a house 5–17 m behind the street.

    The rear building line is 17 m, the front zone 17 + 3 m; the backland of every parcel is
    20 m × 40 m, and the backlands of a row form one block interior: 160 m × 40 m = 6400 m² with
    all 8 parcels. It spans three 60 m tiles, so the partitions must agree on who keeps it.
    The streets are 120 m apart, so no street's front zone reaches the next row.
    """
    parcels, houses, roads = [], [], []
    for r in range(ROWS):
        y = Y0 + r * SPACING
        roads.append(shapely.box(X0 - 20, y - 10, X0 + 20 * PER_ROW + 20, y))
        for i in range(PER_ROW):
            parcels.append(shapely.box(X0 + 20 * i, y, X0 + 20 * (i + 1), y + 60))
            houses.append(shapely.box(X0 + 20 * i + 5, y + 5, X0 + 20 * i + 15, y + 17))
    return make_layers(parcels, houses, roads)


def _config():
    # only criteria that work on these inputs alone; others are switched off
    crit = {name: (name in ("zuschnitt", "topographie")) for name in REGISTRY}
    return config_from_dict({"alkis": {"path": "unused.gpkg"}, "criteria": crit})


@pytest.fixture(scope="module")
def single():
    return assess(_config(), layers=_district())


def test_district_gives_one_area_per_row(single):
    assert len(single.areas) == ROWS
    assert np.allclose(single.areas["flaeche_m2"], 160.0 * 40.0)
    assert single.areas["anzahl_flurstuecke"].tolist() == [PER_ROW] * ROWS


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_partitioned_equals_single(single, scheduler):
    part = assess_partitioned(_config(), tile_size_m=60.0, halo_m=150.0, scheduler=scheduler,
                              layers=single.layers)
    # 160 m × 300 m of parcels in 60 m tiles: 3 columns × 3 rows hold parcel centres
    assert part.manifest["partitionen"] == 9
    assert list(part.areas.index) == list(single.areas.index)
    assert part.areas["klasse"].tolist() == single.areas["klasse"].tolist()
    cols = [c for c in single.areas.columns if c != "geometry"]
    assert part.areas[cols].astype(str).equals(single.areas[cols].astype(str))
    assert part.parcels["flstkennz"].tolist() == single.parcels["flstkennz"].tolist()
    assert part.parcels["status"].tolist() == single.parcels["status"].tolist()
    assert part.criteria == single.criteria


def test_every_parcel_and_area_knows_the_extent_of_its_merged_piece(single):
    """A row's 8 parcels form one piece: each parcel's and the area's extent is the row's 160 m × 60 m."""
    rows = [(X0, Y0 + r * SPACING, X0 + 20.0 * PER_ROW, Y0 + r * SPACING + 60.0) for r in range(ROWS)]
    expected = np.repeat(np.array(rows), PER_ROW, axis=0)
    assert np.allclose(single.candidates.parcel_extent, expected)
    assert np.allclose(single.candidates.area_extent, np.array(rows)[np.argsort(single.areas["haupt_flurstueck"])])


def test_areas_reaching_beyond_the_margin_are_settled_in_a_later_round(single):
    """Each row's area is 160 m long; with 40 m tiles and a 10 m margin no tile sees a whole one.

    The first round keeps no area (every one reaches beyond its tile + 10 m) and hands the parcels on;
    a next round, in a window around each area as the first round saw it, settles them: the result
    is still the single one.
    """
    part = assess_partitioned(_config(), tile_size_m=40.0, halo_m=150.0, margin_m=10.0, scheduler="synchronous",
                              layers=single.layers)
    assert len(part.manifest["runden"]) >= 2
    assert list(part.areas.index) == list(single.areas.index)
    cols = [c for c in single.areas.columns if c != "geometry"]
    assert part.areas[cols].astype(str).equals(single.areas[cols].astype(str))
    assert part.parcels[["flstkennz", "status", "grund", "flaeche_ids"]].equals(
        single.parcels[["flstkennz", "status", "grund", "flaeche_ids"]])


def test_partition_grid_counts_tiles(single):
    tiles, origin = partition_grid(single.layers.parcels, 60.0)
    # parcel centres at x = 10, 30, …, 150 m from the west edge: tile columns 0, 0, 0, 1, 1, 1, 2, 2
    assert origin == (X0 + 10.0, Y0 + 30.0) or origin[0] <= X0 + 10.0
    assert len({tuple(t) for t in tiles.tolist()}) == 9


@pytest.mark.slow
def test_sample_partitioned_equals_single(sample_config, sample_assessment):
    """The built-in sample district: identical ids and classes in several partitions."""
    from nachverdichtung.config import load_config

    part = assess_partitioned(load_config(sample_config), tile_size_m=1000.0, scheduler="threads",
                              layers=sample_assessment.layers)
    assert part.manifest["partitionen"] >= 2
    assert list(part.areas.index) == list(sample_assessment.areas.index)
    assert part.areas["klasse"].tolist() == sample_assessment.areas["klasse"].tolist()


def test_partitioned_manifest_is_built_like_the_single_one(single):
    """One manifest builder: the engine's manifest has the single run's keys, a real start and versions."""
    part = assess_partitioned(_config(), tile_size_m=60.0, halo_m=150.0, scheduler="synchronous",
                              layers=single.layers)
    assert set(single.manifest) <= set(part.manifest)
    assert part.manifest["software"] == single.manifest["software"]
    assert part.manifest["gestartet"] is not None
    assert part.manifest["gestartet"][:10] == single.manifest["gestartet"][:10]
    assert part.manifest["anzahl"] == single.manifest["anzahl"]
    for name, entry in part.manifest["eingaben"].items():
        assert set(entry) == {"pfad", "sha256", "geaendert"}, name


def test_partition_reads_only_its_window(sample_config):
    """A read window returns exactly the parcels whose bounding box meets it, far fewer than all."""
    from nachverdichtung.config import load_config
    from nachverdichtung.io.vector import read_vector
    from nachverdichtung.io.window import reading_window
    from nachverdichtung.layers import load_layers

    parcels_file = sample_config.parent / "alkis_ax" / "ax_flurstueck.shp"
    everything = read_vector(parcels_file).frame
    xmin, ymin, xmax, ymax = everything.total_bounds
    window = (xmin + 200.0, ymin + 200.0, xmin + 700.0, ymin + 600.0)
    b = shapely.bounds(np.asarray(everything.geometry.array))
    expected = int(((b[:, 0] <= window[2]) & (b[:, 2] >= window[0]) & (b[:, 1] <= window[3])
                    & (b[:, 3] >= window[1])).sum())
    assert 0 < expected < len(everything) / 3
    with reading_window(window, crs="EPSG:25832") as w:
        read = read_vector(parcels_file).frame
    assert len(read) == expected
    assert w.rows == {"ax_flurstueck.shp": expected}
    # through load_layers: every role and thematic layer read inside the window only
    layers = load_layers(load_config(sample_config), window=window)
    assert len(layers.parcels) == expected
    assert len(layers.buildings) < len(load_layers(load_config(sample_config)).buildings) / 3


@pytest.mark.slow
def test_windowed_partitions_equal_single(sample_config, sample_assessment):
    """Reading per window (no layers handed over) gives the single run's ids, classes and columns."""
    from nachverdichtung.config import load_config

    from nachverdichtung.engine import plan_partitions

    config = load_config(sample_config)
    part = assess_partitioned(config, tile_size_m=500.0, margin_m=50.0, scheduler="synchronous")
    single = sample_assessment
    assert part.manifest["partitionen"] >= 6
    # the first round read exactly the parcels meeting tile + margin + halo (bounding boxes, as OGR's
    # bbox filter of the Shapefile), far fewer than every partition reading everything; later rounds add
    # their windows around the parcels they settle
    plan = plan_partitions(config, tile_size_m=500.0, halo_m=300.0, margin_m=50.0)
    b = shapely.bounds(np.asarray(single.layers.parcels.geometry.array))
    first = 0
    for tile in plan.tiles:
        x0, y0, x1, y1 = plan.tile_box(tile)
        d = 350.0
        first += int(((b[:, 0] <= x1 + d) & (b[:, 2] >= x0 - d) & (b[:, 1] <= y1 + d) & (b[:, 3] >= y0 - d)).sum())
    read = part.manifest["gelesen"]["flurstuecke"]
    assert first <= read < len(plan.tiles) * len(single.layers.parcels) * 0.75
    assert len(part.manifest["runden"]) >= 2 or read == first
    assert part.areas["klasse"].tolist() == single.areas["klasse"].tolist()
    assert_same_result(single, part)


@pytest.mark.slow
def test_windowed_partitions_derive_the_innenbereich_like_the_single_path(sample_config):
    """The sample read from its files without its settlement layer: both paths derive the Innenbereich
    (the dask path over the whole region, 500 m tiles) and agree on every area and parcel."""
    import dataclasses

    from nachverdichtung.config import load_config

    config = load_config(sample_config)
    config = dataclasses.replace(config, inputs=dataclasses.replace(config.inputs, settlement=None))
    single = assess(config)
    assert single.candidates.settlement is not None and (single.candidates.settlement["quelle"] == "abgeleitet").all()
    assert single.parcels["grund"].fillna("").str.contains("Innenbereich abgeleitet").any()
    part = assess_partitioned(config, tile_size_m=500.0, margin_m=50.0, scheduler="synchronous")
    assert part.manifest["partitionen"] >= 6
    assert_same_result(single, part)
    _assert_same_settlement(single, part)


@pytest.mark.slow
def test_cli_dask_engine_on_a_local_cluster(sample_config, sample_assessment, tmp_path):
    import geopandas as gpd
    import subprocess
    import sys

    out = tmp_path / "lauf"
    run = subprocess.run([sys.executable, "-m", "nachverdichtung", "assess", str(sample_config), "--out", str(out),
                          "--engine", "dask", "--workers", "2", "--tile-size", "1000", "--formats", "gpkg,csv"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Partition 1/" in run.stderr
    written = gpd.read_file(next(out.glob("*.gpkg")), layer="bewertung")
    assert len(written) == len(sample_assessment.areas)


@pytest.mark.slow  # importing distributed and the 5 s connect timeout
def test_cli_bad_scheduler_address_is_one_line(sample_config, tmp_path):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "nachverdichtung", "assess", str(sample_config), "--out",
                          str(tmp_path / "x"), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Scheduler tcp://127.0.0.1:9 nicht erreichbar" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_points_table_is_parsed_once_per_process_inside_windows(tmp_path, monkeypatch):
    """Every partition reads the tree table: a worker parses it once and cuts each window from it."""
    from nachverdichtung.io import tables
    from nachverdichtung.io.window import reading_window

    csv = tmp_path / "baeume.csv"
    csv.write_text("x;y;art\n410000;5480000;Linde\n410500;5480000;Eiche\n", encoding="utf-8")
    calls = []
    real = tables._parse_points
    monkeypatch.setattr(tables, "_parse_points", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(tables, "_PARSED", {})
    read = lambda: tables.read_points_table(csv, fields={"x": "x", "y": "y"}, optional={"art": ["art"]},  # noqa: E731
                                            crs="EPSG:25832").frame
    with reading_window((409900, 5479900, 410100, 5480100), crs="EPSG:25832"):
        west = read()
    with reading_window((410400, 5479900, 410600, 5480100), crs="EPSG:25832"):
        east = read()
    assert west["art"].tolist() == ["Linde"] and east["art"].tolist() == ["Eiche"] and len(calls) == 1
    csv.write_text("x;y;art\n410000;5480000;Ahorn\n", encoding="utf-8")  # a new delivery: parsed again
    with reading_window((409900, 5479900, 410100, 5480100), crs="EPSG:25832"):
        assert read()["art"].tolist() == ["Ahorn"]
    assert len(calls) == 2
    assert len(read()) == 1 and len(calls) == 3  # outside a window: no cache


def test_a_parcel_lost_between_partitions_is_reported(single, monkeypatch):
    """If no partition kept a parcel (a bug), the run log says how many are missing."""
    import nachverdichtung.engine as engine

    keep = engine._settle

    def drop_one(cand, parcels, task):
        s = keep(cand, parcels, task)
        lost = np.flatnonzero(s.parcels)[:1]
        s.parcels[lost] = False
        return s

    monkeypatch.setattr(engine, "_settle", drop_one)
    part = assess_partitioned(_config(), tile_size_m=60.0, halo_m=150.0, scheduler="synchronous",
                              layers=single.layers)
    assert len(part.parcels) < len(single.parcels)
    missing = len(single.parcels) - len(part.parcels)
    assert any(f"{missing} von {len(single.parcels)} gelieferten fehlen" in m for m in part.layers.problems)


def test_no_parcel_missing_no_report(single):
    part = assess_partitioned(_config(), tile_size_m=60.0, halo_m=150.0, scheduler="synchronous",
                              layers=single.layers)
    assert not any("fehlen im Ergebnis" in m for m in part.layers.problems)


def _village():
    """No settlement layer (derived): a row of 30 houses along one street (600 m, one cluster of 30 main
    buildings, an Ortsteil) and, 400 m east, a hamlet of 5 houses (a Splittersiedlung, Außenbereich).

    Each parcel is 20 m × 60 m with its house 5–17 m behind the street: the backland of the village
    row is one block interior of 600 m × 40 m. Land use: one residential polygon per group.
    """
    parcels, houses, roads, landuse = [], [], [], []
    for start, n in ((0.0, 30), (1000.0, 5)):
        x0 = X0 + start
        roads.append(shapely.box(x0 - 20, Y0 - 10, x0 + 20 * n + 20, Y0))
        for i in range(n):
            parcels.append(shapely.box(x0 + 20 * i, Y0, x0 + 20 * (i + 1), Y0 + 60))
            houses.append(shapely.box(x0 + 20 * i + 5, Y0 + 5, x0 + 20 * i + 15, Y0 + 17))
        landuse.append(shapely.box(x0, Y0, x0 + 20 * n, Y0 + 60).buffer(0.5))
    return make_layers(parcels, houses, roads, landuse, road_names=["Dorfstraße", "Weiler"], settlement=None)


def test_a_derived_innenbereich_is_formed_over_the_whole_region(monkeypatch):
    """With 60 m tiles and a 20 m halo no window holds 10 of the village's 30 houses: derived per window,
    the village would be Außenbereich. The engine clusters the buildings of all tiles on the driver, so
    the village row is Innenbereich as on the single path, and the hamlet stays outside."""
    layers = _village()
    single = assess(_config(), layers=layers)
    assert len(single.areas) == 1 and single.areas["anzahl_flurstuecke"].iloc[0] == 30
    outside = single.parcels[single.parcels["flstkennz"].isin(layers.parcels["flstkennz"].iloc[30:])]
    assert outside["grund"].str.contains("Außenbereich").all()
    part = assess_partitioned(_config(), tile_size_m=60.0, halo_m=20.0, margin_m=10.0, scheduler="synchronous",
                              layers=layers)
    assert part.manifest["partitionen"] > 10
    assert_same_result(single, part)
    notes = [p for p in part.layers.problems if p.startswith("Innenbereich abgeleitet")]
    assert len(notes) == 1 and "1 zusammenhängende Siedlung(en) der ganzen Region mit 30 Hauptgebäuden" in notes[0]
    _assert_same_settlement(single, part)


def _assert_same_settlement(single, part):
    """The ``innenbereich`` output of both paths: the same parts and counts. The region's clusters are the union of
    the tiles' clusters, the same point set with other vertices at the seams, so the closing (a negative buffer)
    differs by rounding there: 0.4 m² of 145 ha on the sample."""
    a, b = single.candidates.settlement, part.candidates.settlement
    assert len(a) == len(b) and (b["quelle"] == "abgeleitet").all()
    order_a, order_b = np.argsort(shapely.area(a.geometry.values)), np.argsort(shapely.area(b.geometry.values))
    ga, gb = a.geometry.values[order_a], b.geometry.values[order_b]
    assert np.allclose(shapely.area(ga), shapely.area(gb), rtol=1e-6)
    assert (shapely.area(shapely.symmetric_difference(ga, gb)) <= 1e-6 * shapely.area(ga)).all()
    assert a["hauptgebaeude"].to_numpy()[order_a].tolist() == b["hauptgebaeude"].to_numpy()[order_b].tolist()
