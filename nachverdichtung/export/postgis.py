"""Results back into PostGIS: the tables a GIS office's colleagues open from QGIS.

``output: {postgis: "postgresql://planer@gis/alkis?schema=nachverdichtung"}`` writes the layers
``bewertung``, ``flurstuecke`` and ``vorderzonen`` (as in the GeoPackage) into their own schema, their
QGIS styles into ``public.layer_styles`` (the table QGIS itself uses, so each layer opens styled) and
one row per run into ``laeufe`` (the manifest). Everything happens in ONE transaction: a run that
fails or is killed while writing leaves the previous tables as they were (PostgreSQL's DDL is
transactional).
"""

from __future__ import annotations

import io
import json
import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..io.postgis import connect, redact
from .gis import gis_layers, layer_styles

log = logging.getLogger(__name__)

__all__ = ["write_postgis", "copy_frame", "RUNS_TABLE"]

RUNS_TABLE = "laeufe"
GEOMETRY = "geom"

_LAYER_STYLES = """
CREATE TABLE IF NOT EXISTS public.layer_styles (
    id serial PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar, f_table_name varchar,
    f_geometry_column varchar, stylename text, styleqml xml, stylesld xml, useasdefault boolean,
    description text, owner varchar(63) DEFAULT CURRENT_USER, ui xml,
    update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar)
"""
_RUNS = """
CREATE TABLE IF NOT EXISTS {schema}.{table} (
    id serial PRIMARY KEY, geschrieben timestamptz DEFAULT now(), gestartet text, software jsonb,
    eingaben jsonb, anzahl jsonb, klassen jsonb, konfiguration text)
"""


def _sql_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamptz"
    return "text"


def copy_frame(cur, schema: str, table: str, gdf, srid: int) -> None:
    """Create ``schema.table`` like ``gdf`` and fill it with one COPY (geometry as hex EWKB).

    Polygon layers get one geometry type (MultiPolygon), as QGIS expects; others stay generic.
    """
    from psycopg import sql

    if not isinstance(gdf, gpd.GeoDataFrame):  # an attribute table (e.g. ax_gemarkung, ax_person)
        _copy_attributes(cur, schema, table, gdf)
        return
    geom_name = gdf.geometry.name
    attrs = gdf.drop(columns=geom_name)
    columns = [sql.SQL("{} {}").format(sql.Identifier(str(c)), sql.SQL(_sql_type(attrs[c]))) for c in attrs.columns]
    columns.append(sql.SQL("{} geometry(Geometry, {})").format(sql.Identifier(GEOMETRY), sql.Literal(srid)))
    ident = sql.Identifier(schema, table)
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(ident))
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(columns)))
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    ewkb = np.full(len(geoms), None, dtype=object)
    ewkb[usable] = shapely.to_wkb(shapely.set_srid(geoms[usable], srid), hex=True, include_srid=True)
    frame = attrs.copy()
    frame[GEOMETRY] = ewkb
    _copy_rows(cur, ident, frame)
    if np.isin(shapely.get_type_id(geoms[usable]), (3, 6)).all():  # Polygon, MultiPolygon
        cur.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE geometry(MultiPolygon, {}) USING ST_Multi({})")
                    .format(ident, sql.Identifier(GEOMETRY), sql.Literal(srid), sql.Identifier(GEOMETRY)))
    cur.execute(sql.SQL("CREATE INDEX ON {} USING gist ({})").format(ident, sql.Identifier(GEOMETRY)))


def _copy_attributes(cur, schema: str, table: str, frame: pd.DataFrame) -> None:
    from psycopg import sql

    ident = sql.Identifier(schema, table)
    columns = [sql.SQL("{} {}").format(sql.Identifier(str(c)), sql.SQL(_sql_type(frame[c]))) for c in frame.columns]
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(ident))
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(columns)))
    _copy_rows(cur, ident, frame)


def _copy_rows(cur, ident, frame: pd.DataFrame) -> None:
    """All rows in one ``COPY … FROM STDIN`` (CSV, ``\\N`` for missing values)."""
    from psycopg import sql

    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    names = sql.SQL(", ").join(sql.Identifier(str(c)) for c in frame.columns)
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL '\\N')").format(ident, names)) as copy:
        copy.write(buf.getvalue())


def _write_styles(cur, database: str, schema: str, styles) -> None:
    cur.execute(_LAYER_STYLES)
    layers = sorted({s[0] for s in styles})
    cur.execute("DELETE FROM public.layer_styles WHERE f_table_catalog = %s AND f_table_schema = %s "
                "AND f_table_name = ANY(%s)", (database, schema, layers))
    cur.executemany(
        "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
        "stylename, styleqml, stylesld, useasdefault, description, type) "
        "VALUES (%s, %s, %s, %s, %s, XMLPARSE(DOCUMENT %s), %s, %s, %s, NULL)",  # type: any geometry
        [(database, schema, layer, GEOMETRY, name, q, s or None, default, desc)
         for layer, name, q, s, default, desc in styles])


def _write_run(cur, schema: str, assessment) -> None:
    from psycopg import sql

    m = assessment.manifest
    cur.execute(sql.SQL(_RUNS).format(schema=sql.Identifier(schema), table=sql.Identifier(RUNS_TABLE)))
    counts = {str(k): int(v) for k, v in assessment.class_counts().items()}
    cur.execute(sql.SQL("INSERT INTO {}.{} (gestartet, software, eingaben, anzahl, klassen, konfiguration) "
                        "VALUES (%s, %s, %s, %s, %s, %s)").format(sql.Identifier(schema), sql.Identifier(RUNS_TABLE)),
                (m.get("gestartet"), json.dumps(m.get("software", {})),
                 json.dumps({k: {**v, "pfad": redact(str(v.get("pfad")))} for k, v in m.get("eingaben", {}).items()}),
                 json.dumps(m.get("anzahl", {})), json.dumps(counts), m.get("konfiguration_effektiv", "")))


def write_postgis(assessment, url: str) -> list[str]:
    """Write the GIS layers, their QGIS styles and the run manifest to PostGIS in one transaction.

    Returns
    -------
    list of str
        ``schema.table`` of every table written.
    """
    import psycopg
    from psycopg import sql

    conn, schema = connect(url, key="output.postgis", check_schema=False)
    srid = _srid(assessment.areas.crs)
    layers = gis_layers(assessment)
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            for name, gdf in layers.items():
                copy_frame(cur, schema, name, gdf, srid)
            styles = layer_styles(assessment, layers["bewertung"].columns, with_zones="vorderzonen" in layers,
                                  with_settlement="innenbereich" in layers)
            _write_styles(cur, conn.info.dbname, schema, styles)
            _write_run(cur, schema, assessment)
    except psycopg.errors.InsufficientPrivilege:
        raise InputError(f"keine Rechte zum Schreiben in Schema {schema!r}", file=redact(url),
                         fix="Schreibrechte (CREATE) im Schema geben lassen oder ein eigenes Schema angeben") from None
    finally:
        conn.close()
    log.info("PostGIS: %d Tabellen in Schema %s geschrieben", len(layers) + 1, schema)
    return [f"{schema}.{name}" for name in [*layers, RUNS_TABLE]]


def _srid(crs) -> int:
    epsg = crs.to_epsg() if crs is not None else None
    if not epsg:
        raise InputError("Koordinatensystem der Ergebnisse hat keinen EPSG-Code", key="crs",
                         fix="ein EPSG-System wie EPSG:25832 als 'crs' angeben")
    return int(epsg)
