"""PostGIS with a real database: results written in one transaction, clear lines for bad sources.

A throw-away cluster (tests/pg_cluster.py) runs on a Unix socket for the session; the tests skip
with the reason where Debian's PostgreSQL/PostGIS are not installed.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from . import pg_cluster
from .test_export_gis import four_class_assessment
from nachverdichtung.errors import ConfigError, InputError
from nachverdichtung.export import postgis as pg_export
from nachverdichtung.io.postgis import connect, list_tables, parse_url, read_table

REASON = pg_cluster.missing_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def server():
    with pg_cluster.cluster() as (sock, user):
        yield sock, user


@pytest.fixture
def db(server):
    sock, user = server
    return pg_cluster.create_database(sock, user, "alkis")


@pytest.fixture(scope="module")
def assessment():
    return four_class_assessment()


def _with_schema(url: str, schema: str) -> str:
    return f"{url}&schema={schema}"


def _rows(url: str, query: str, params=()) -> list[tuple]:
    conn, _ = connect(url, check_schema=False)
    with conn:
        return conn.execute(query, params).fetchall()


def test_results_written_with_styles_and_manifest(db, assessment):
    url = _with_schema(db, "nachverdichtung")
    tables = pg_export.write_postgis(assessment, url)
    assert set(tables) >= {"nachverdichtung.bewertung", "nachverdichtung.flurstuecke", "nachverdichtung.laeufe"}
    classes = _rows(url, "SELECT flaeche_id, klasse FROM nachverdichtung.bewertung ORDER BY flaeche_id")
    expected = assessment.areas["klasse"].sort_index()
    assert [c for _, c in classes] == list(expected)
    assert [i for i, _ in classes] == list(expected.index)
    # geometry: one type per layer, the areas' own CRS, the same area to the square centimetre
    kind = _rows(url, "SELECT type, srid FROM geometry_columns WHERE f_table_schema = 'nachverdichtung' "
                      "AND f_table_name = 'bewertung'")
    assert kind == [("MULTIPOLYGON", 25832)]
    area = _rows(url, "SELECT sum(ST_Area(geom)) FROM nachverdichtung.bewertung")[0][0]
    assert area == pytest.approx(assessment.areas.area.sum(), abs=1e-4)
    # every accounted parcel, also the one excluded at validation without geometry (NULL)
    n_parcels, n_null = _rows(url, "SELECT count(*), count(*) FILTER (WHERE geom IS NULL) "
                                   "FROM nachverdichtung.flurstuecke")[0]
    assert n_parcels == len(assessment.parcels) and n_null >= 1
    default = _rows(url, "SELECT f_table_name FROM public.layer_styles WHERE f_table_catalog = 'alkis' "
                         "AND f_table_schema = 'nachverdichtung' AND useasdefault ORDER BY 1")
    assert [r[0] for r in default] == sorted({"bewertung", "flurstuecke", *(["vorderzonen"] if "nachverdichtung.vorderzonen" in tables else []),
                                                *(["innenbereich"] if "nachverdichtung.innenbereich" in tables else [])})
    qml = _rows(url, "SELECT styleqml::text FROM public.layer_styles WHERE f_table_name = 'bewertung' "
                     "AND useasdefault")[0][0]
    assert 'attr="klasse"' in qml and "categorizedSymbol" in qml
    pg_export.write_postgis(assessment, url)  # a second run replaces the layers and adds a manifest row
    assert _rows(url, "SELECT count(*) FROM nachverdichtung.laeufe")[0][0] == 2
    assert _rows(url, "SELECT count(*) FROM nachverdichtung.bewertung")[0][0] == len(assessment.areas)
    assert _rows(url, "SELECT count(*) FROM public.layer_styles WHERE f_table_name = 'bewertung' "
                      "AND useasdefault")[0][0] == 1


def test_failed_write_leaves_previous_tables(db, assessment, monkeypatch):
    url = _with_schema(db, "nachverdichtung")
    pg_export.write_postgis(assessment, url)
    before = _rows(url, "SELECT flaeche_id, klasse FROM nachverdichtung.bewertung ORDER BY 1")
    areas = assessment.areas.copy()
    areas["klasse"] = "nicht geeignet"
    changed = dataclasses.replace(assessment, areas=areas)

    def broken(*args, **kwargs):
        raise RuntimeError("Verbindung abgebrochen (simuliert)")

    monkeypatch.setattr(pg_export, "_write_styles", broken)  # after both layers were copied
    with pytest.raises(RuntimeError, match="simuliert"):
        pg_export.write_postgis(changed, url)
    assert _rows(url, "SELECT flaeche_id, klasse FROM nachverdichtung.bewertung ORDER BY 1") == before
    assert _rows(url, "SELECT count(*) FROM nachverdichtung.laeufe")[0][0] == 1


KILLER = """
import os, signal, sys
sys.path.insert(0, {root!r})
from tests.test_export_gis import four_class_assessment
import nachverdichtung.export.postgis as pg
real = pg.copy_frame
def dying(cur, schema, table, gdf, srid):
    real(cur, schema, table, gdf, srid)
    if table == "flurstuecke":
        os.kill(os.getpid(), signal.SIGKILL)
pg.copy_frame = dying
a = four_class_assessment()
a.areas["klasse"] = "nicht geeignet"
pg.write_postgis(a, {url!r})
"""


def test_killed_write_leaves_previous_tables(db, assessment):
    url = _with_schema(db, "nachverdichtung")
    pg_export.write_postgis(assessment, url)
    before = _rows(url, "SELECT flaeche_id, klasse FROM nachverdichtung.bewertung ORDER BY 1")
    root = str(__import__("pathlib").Path(__file__).resolve().parents[1])
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", KILLER.format(root=root, url=url)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    assert _rows(url, "SELECT flaeche_id, klasse FROM nachverdichtung.bewertung ORDER BY 1") == before


def test_password_in_url_is_refused():
    with pytest.raises(ConfigError, match="Passwort in der Datenbank-Adresse") as err:
        parse_url("postgresql://anna:geheim@db.stadt.local/alkis?schema=public")
    assert "geheim" not in str(err.value)


@pytest.mark.parametrize("schema", ["public; DROP TABLE ax_flurstueck", 'x"y', "a b", "1abc"])
def test_injection_in_schema_name_is_refused(schema):
    with pytest.raises(ConfigError, match="unzulässiger Schemaname"):
        parse_url(f"postgresql://anna@db/alkis?schema={schema}")


def test_injection_in_table_name_reads_nothing(db):
    conn, schema = connect(_with_schema(db, "public"))
    with conn, pytest.raises(InputError, match="gibt es nicht im Schema"):
        read_table(conn, schema, "ax_flurstueck; DROP TABLE spatial_ref_sys")
    assert "spatial_ref_sys" in list_tables(conn := connect(db)[0], "public")
    conn.close()


def test_unreachable_server(tmp_path):
    with pytest.raises(InputError, match="Datenbank nicht erreichbar") as err:
        connect(f"postgresql://anna@/alkis?host={tmp_path}&schema=public")
    assert "Lösung: Server, Port und Netzwerk prüfen" in str(err.value)


def test_missing_database(server):
    sock, user = server
    with pytest.raises(InputError, match="Datenbank nicht erreichbar.*does not exist") as err:
        connect(f"postgresql://{user}@/gibtsnicht?host={sock}")
    assert "Datenbanknamen" in str(err.value)


def test_missing_postgis_extension(server):
    sock, user = server
    url = pg_cluster.create_database(sock, user, "ohne_postgis", postgis=False)
    with pytest.raises(InputError, match="keine PostGIS-Erweiterung"):
        connect(url)


def test_missing_schema(db):
    with pytest.raises(InputError, match="Schema 'gibtsnicht' gibt es nicht"):
        connect(_with_schema(db, "gibtsnicht"))


# --- ALKIS read from an import schema: the same result as the file run of the same data -------------

@pytest.fixture(scope="module")
def sample_in_postgis(server, sample_config):
    """The sample's ALKIS GeoPackage loaded into an import-like schema ``alkis`` (ax_flurstueck, …)."""
    import psycopg
    import pyogrio

    sock, user = server
    url = pg_cluster.create_database(sock, user, "kreis")
    gpkg = sample_config.parent / "alkis.gpkg"
    with psycopg.connect(parse_url(url)[0], autocommit=True) as conn:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("CREATE SCHEMA alkis")
            for layer, _ in pyogrio.list_layers(gpkg):
                pg_export.copy_frame(cur, "alkis", str(layer), pyogrio.read_dataframe(gpkg, layer=layer), 25832)
    return _with_schema(url, "alkis")


def _config_with(sample_config, tmp_path, **alkis):
    import yaml

    data = yaml.safe_load(sample_config.read_text(encoding="utf-8"))
    data["alkis"] = {**{"preset": "ax"}, **alkis}
    for entry in (data.get("inputs") or {}).values():  # thematic paths stay those of the sample
        for src in entry if isinstance(entry, list) else [entry]:
            if isinstance(src, dict):
                src["path"] = str(sample_config.parent / src["path"])
    data["inputs"] = {k: (str(sample_config.parent / v) if isinstance(v, str) else v)
                      for k, v in (data.get("inputs") or {}).items()}
    if isinstance(data.get("owners"), dict):
        data["owners"]["path"] = str(sample_config.parent / data["owners"]["path"])
    path = tmp_path / f"config_{len(list(tmp_path.iterdir()))}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def db_single(sample_config, sample_in_postgis, tmp_path_factory):
    """The sample assessed from the PostGIS schema on the single path."""
    from nachverdichtung.config import load_config
    from nachverdichtung.pipeline import assess

    return assess(load_config(_config_with(sample_config, tmp_path_factory.mktemp("db"), path=sample_in_postgis)))


@pytest.mark.slow
def test_postgis_run_equals_file_run(sample_config, sample_in_postgis, db_single, tmp_path):
    from nachverdichtung.config import load_config
    from nachverdichtung.pipeline import assess

    files = assess(load_config(_config_with(sample_config, tmp_path, path=str(sample_config.parent / "alkis.gpkg"))))
    db = db_single
    assert list(db.areas.index) == list(files.areas.index)
    assert (db.areas["klasse"] == files.areas["klasse"]).all()
    acc_db, acc_files = (a.parcels.set_index("flstkennz").sort_index() for a in (db, files))
    assert (acc_db["status"] == acc_files["status"]).all()
    assert (acc_db["grund"].fillna("") == acc_files["grund"].fillna("")).all()
    assert db.layers.sources["alkis"].startswith("postgresql://")


@pytest.mark.slow
def test_dask_engine_reads_postgis_per_window(sample_config, sample_in_postgis, db_single, tmp_path):
    """The dask engine on the import schema: each window reads its box from the database, and the
    result is the single path's (ids, classes, every column, the parcel accounting)."""
    from nachverdichtung.config import load_config
    from nachverdichtung.engine import assess_partitioned

    from .compare import assert_same_result

    config = load_config(_config_with(sample_config, tmp_path, path=sample_in_postgis))
    part = assess_partitioned(config, tile_size_m=500.0, margin_m=50.0, scheduler="synchronous")
    single = db_single
    assert part.manifest["partitionen"] >= 6
    assert part.manifest["gelesen"]["flurstuecke"] < part.manifest["partitionen"] * len(single.layers.parcels) * 0.75
    assert_same_result(single, part)


@pytest.mark.slow
def test_dask_engine_with_a_gemarkung_filter_equals_the_single_path(sample_config, sample_in_postgis, tmp_path):
    """Windows without a parcel of the chosen Gemarkung are empty, not an error; ids and classes as
    the single path with the same filter."""
    from nachverdichtung.config import load_config
    from nachverdichtung.engine import assess_partitioned
    from nachverdichtung.layers import load_layers
    from nachverdichtung.pipeline import assess

    whole = load_layers(load_config(_config_with(sample_config, tmp_path, path=sample_in_postgis)))
    some = whole.parcels["gemarkung"].astype(str).value_counts().index[-1]
    config = load_config(_config_with(sample_config, tmp_path, path=sample_in_postgis, gemarkungen=[some]))
    single = assess(config)
    part = assess_partitioned(config, tile_size_m=300.0, margin_m=50.0, scheduler="synchronous")
    assert set(part.parcels["gemarkung"].astype(str)) == {some}
    assert part.parcels["flstkennz"].tolist() == single.parcels["flstkennz"].tolist()
    assert list(part.areas.index) == list(single.areas.index)
    assert part.areas["klasse"].tolist() == single.areas["klasse"].tolist()


@pytest.mark.slow
def test_gemarkung_filter_reads_only_its_parcels(sample_config, sample_in_postgis, tmp_path):
    from nachverdichtung.config import load_config
    from nachverdichtung.layers import load_layers

    whole = load_layers(load_config(_config_with(sample_config, tmp_path, path=sample_in_postgis)))
    some = whole.parcels["gemarkung"].astype(str).value_counts().index[0]
    part = load_layers(load_config(_config_with(sample_config, tmp_path, path=sample_in_postgis,
                                                gemarkungen=[some])))
    assert set(part.parcels["gemarkung"].astype(str)) == {some}
    assert len(part.parcels) == (whole.parcels["gemarkung"].astype(str) == some).sum()
    assert len(part.buildings) <= len(whole.buildings)


def test_bbox_reads_only_the_window(sample_config, sample_in_postgis, tmp_path):
    from nachverdichtung.config import load_config
    from nachverdichtung.layers import load_layers

    whole = load_layers(load_config(_config_with(sample_config, tmp_path, path=sample_in_postgis)))
    x0, y0, x1, y1 = whole.parcels.total_bounds
    box = [float(x0), float(y0), float(x0 + x1) / 2, float(y0 + y1) / 2]
    part = load_layers(load_config(_config_with(sample_config, tmp_path, path=sample_in_postgis, bbox=box)))
    import shapely

    expected = whole.parcels.intersects(shapely.box(*box)).sum()
    assert 0 < len(part.parcels) < len(whole.parcels)
    assert abs(len(part.parcels) - expected) <= 0.01 * expected + 2  # && uses bounding boxes: a few more


QGIS_PG = r'''
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication, QgsDataSourceUri, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
host, user, db, schema = sys.argv[1:5]
out = {}
for table in ("bewertung", "flurstuecke"):
    uri = QgsDataSourceUri()
    uri.setConnection(host, "5432", db, user, "")
    uri.setDataSource(schema, table, "geom", "", "flaeche_id" if table == "bewertung" else "")
    lyr = QgsVectorLayer(uri.uri(False), table, "postgres")
    r = lyr.renderer()
    out[table] = {"valid": lyr.isValid(), "type": r.type() if r else None,
                  "attr": r.classAttribute() if r and r.type() == "categorizedSymbol" else None,
                  "count": lyr.featureCount()}
print(json.dumps(out))
app.exitQgis()
'''


@pytest.mark.qgis
def test_qgis_opens_the_postgis_results_styled(db, assessment, server):
    """Debian's QGIS opens the tables from PostGIS and applies the default style from layer_styles."""
    import json
    import os

    if not os.path.exists("/usr/bin/python3") or subprocess.run(
            ["/usr/bin/python3", "-c", "import qgis.core"], capture_output=True).returncode:
        pytest.skip("Debian QGIS (python3-qgis) not installed")
    sock, user = server
    pg_export.write_postgis(assessment, _with_schema(db, "nachverdichtung"))
    proc = subprocess.run(["/usr/bin/python3", "-c", QGIS_PG, str(sock), user, "alkis", "nachverdichtung"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["bewertung"] == {"valid": True, "type": "categorizedSymbol", "attr": "klasse",
                                "count": len(assessment.areas)}
    assert out["flurstuecke"]["valid"] and out["flurstuecke"]["attr"] == "status"


def test_owners_from_the_import_database(server, sample_config):
    """The owner tables read from PostGIS resolve to the same addressees as from the GeoPackage."""
    import psycopg
    import pyogrio

    from nachverdichtung.beteiligung.owners import read_owners
    from nachverdichtung.config import OwnersConfig

    sock, user = server
    url = pg_cluster.create_database(sock, user, "eigentum")
    gpkg = sample_config.parent / "eigentuemer_postnas.gpkg"
    with psycopg.connect(parse_url(url)[0], autocommit=True) as conn, conn.transaction(), conn.cursor() as cur:
        for layer, geometry_type in pyogrio.list_layers(gpkg):
            frame = pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=geometry_type is not None)
            pg_export.copy_frame(cur, "public", str(layer), frame, 25832)
    from_file = read_owners(OwnersConfig(path=gpkg))
    from_db = read_owners(OwnersConfig(path=url))
    key = ["flstkennz"] if "flstkennz" in from_file.holdings.columns else list(from_file.holdings.columns[:1])
    assert len(from_db.addressees) == len(from_file.addressees) > 0
    assert sorted(map(tuple, from_db.holdings[key].astype(str).values)) == \
        sorted(map(tuple, from_file.holdings[key].astype(str).values))


@pytest.mark.slow
def test_dask_engine_lists_database_parcels_without_geometry(server, tmp_path, monkeypatch):
    """A parcel row without geometry in the import schema: both paths list it as excluded, with the
    same reason; the dask engine reads it once on the driver (no window's box finds it)."""
    from contextlib import nullcontext

    import psycopg
    import yaml

    import nachverdichtung.engine
    from nachverdichtung.cli import main

    from .badinput_district import LAYERS, read_outputs, write_district
    from .districts import kennz

    sock, user = server
    url = pg_cluster.create_database(sock, user, "dorf")
    config = write_district(tmp_path / "d")
    with psycopg.connect(parse_url(url)[0], autocommit=True) as conn:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("CREATE SCHEMA ax")
            for name, make in LAYERS.items():
                pg_export.copy_frame(cur, "ax", name, make(), 25832)
            cur.execute("INSERT INTO ax.ax_flurstueck (flurstueck) VALUES (%s)", (kennz(98),))
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["alkis"] = {"path": _with_schema(url, "ax"), "preset": "ax"}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(nachverdichtung.engine, "start_client", lambda **kw: nullcontext("synchronous"))
    outs = {}
    for engine in ("single", "dask"):
        outs[engine] = tmp_path / engine
        assert main(["assess", str(config), "-q", "--out", str(outs[engine]), "--formats", "csv",
                     "--engine", engine, "--tile-size", "60"]) == 0
    (_, single), (_, dask) = (read_outputs(outs[e]) for e in ("single", "dask"))
    assert kennz(98) in set(single["flstkennz"])
    assert single.sort_values("flstkennz").reset_index(drop=True)[["flstkennz", "status", "grund"]].equals(
        dask.sort_values("flstkennz").reset_index(drop=True)[["flstkennz", "status", "grund"]])
    assert "leere Geometrien verworfen" in (outs["dask"] / "protokoll.txt").read_text(encoding="utf-8")
