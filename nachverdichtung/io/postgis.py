"""PostgreSQL/PostGIS: the database ALKIS import tools (norBIT ALKIS-Import, PostNAS) fill.

A source is a libpq URI with the schema as a query parameter::

    postgresql://planer@gis.stadt.local:5432/alkis?schema=public

Credentials come from libpq itself (``PGPASSWORD``, ``PGUSER``, ``~/.pgpass``, ``PGSERVICE``): a
password in the URI is refused, so it never stands in a config file or the run log. Queries are
built with :mod:`psycopg.sql` identifiers and bound parameters, never by string concatenation;
schema and table names are additionally checked against the catalogue before use.

psycopg is an optional dependency (``pip install "nachverdichtung[postgis]"``).

Examples
--------
>>> parse_url("postgresql://planer@localhost:5432/alkis?schema=ax&sslmode=require")
('postgresql://planer@localhost:5432/alkis?sslmode=require', 'ax')
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import ConfigError, InputError
from .contract import Read

log = logging.getLogger(__name__)

__all__ = ["DatabaseSource", "is_database_url", "parse_url", "connect", "list_tables", "read_table", "redact",
           "table_columns", "table_boxes", "table_summary"]

SCHEMES = ("postgresql://", "postgres://")
#: Query parameters that are ours, not libpq's.
OWN_PARAMS = ("schema",)


def is_database_url(value) -> bool:
    """Whether a configured source is a PostgreSQL URI rather than a file path."""
    return isinstance(value, str) and value.lower().startswith(SCHEMES)


def redact(url: str) -> str:
    """The URI without any password, for messages and logs.

    >>> redact("postgresql://anna:geheim@db/alkis")
    'postgresql://anna:***@db/alkis'
    """
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(url))


def parse_url(url: str, *, key: str = "alkis.path") -> tuple[str, str]:
    """Split a source URI into the libpq connection URI and the schema (default ``public``).

    Raises
    ------
    ConfigError
        The URI holds a password, or the schema name is not a plain identifier.
    """
    parts = urlsplit(url)
    if parts.password:
        raise ConfigError("Passwort in der Datenbank-Adresse", key=key,
                          fix="das Passwort aus der Konfiguration entfernen und über PGPASSWORD, "
                              "~/.pgpass oder PGSERVICE angeben")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), "public") or "public"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]{0,62}", schema):
        raise ConfigError(f"unzulässiger Schemaname {schema!r}", key=key,
                          fix="einen einfachen Schemanamen angeben (Buchstaben, Ziffern, _)")
    rest = urlencode([(k, v) for k, v in query if k not in OWN_PARAMS])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


def _psycopg():
    try:
        import psycopg
    except ImportError:  # optional dependency: say how to get it
        raise ConfigError("für PostGIS-Quellen fehlt das Paket psycopg", key="alkis.path",
                          fix='pip install "nachverdichtung[postgis]"') from None
    return psycopg


def connect(url: str, *, key: str = "alkis.path", check_schema: bool = True):
    """Open a connection; unreachable server, wrong credentials or a missing database are one line.

    ``check_schema=False`` for a schema that a writer creates.

    Returns
    -------
    (connection, schema)
    """
    psycopg = _psycopg()
    conninfo, schema = parse_url(url, key=key)
    try:
        conn = psycopg.connect(conninfo, connect_timeout=10, application_name="nachverdichtung", autocommit=True)
    except psycopg.OperationalError as exc:
        raise InputError(f"Datenbank nicht erreichbar: {_first_line(exc)}", file=redact(conninfo),
                         fix=_connect_fix(str(exc))) from None
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")
        if not cur.fetchone()[0]:
            conn.close()
            raise InputError("die Datenbank hat keine PostGIS-Erweiterung", file=redact(conninfo),
                             fix="'CREATE EXTENSION postgis;' ausführen lassen oder die richtige Datenbank angeben")
        cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,))
        if check_schema and not cur.fetchone()[0]:
            conn.close()
            raise InputError(f"Schema {schema!r} gibt es nicht", file=redact(conninfo),
                             fix="den Schemanamen unter '?schema=' prüfen")
    return conn, schema


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return redact(re.sub(r"password=\S+", "password=***", text))[:200]


def _connect_fix(text: str) -> str:
    low = text.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return "Benutzer und Passwort prüfen (PGUSER, PGPASSWORD oder ~/.pgpass)"
    if "does not exist" in low and "database" in low:
        return "den Datenbanknamen in der Adresse prüfen"
    return "Server, Port und Netzwerk prüfen (läuft der Datenbankserver? ist der Port freigegeben?)"


def list_tables(conn, schema: str) -> list[str]:
    """The tables and views with or without geometry in ``schema`` (as the import tool named them)."""
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                    "ORDER BY table_name", (schema,))
        return [r[0] for r in cur.fetchall()]


def _geometry_column(conn, schema: str, table: str) -> tuple[str | None, int]:
    with conn.cursor() as cur:
        cur.execute("SELECT f_geometry_column, srid FROM geometry_columns WHERE f_table_schema = %s "
                    "AND f_table_name = %s ORDER BY f_geometry_column LIMIT 1", (schema, table))
        row = cur.fetchone()
    return (row[0], int(row[1])) if row else (None, 0)


def _check_table(conn, schema: str, table: str) -> None:
    if table not in list_tables(conn, schema):
        raise InputError(f"Tabelle {table!r} gibt es nicht im Schema {schema!r}", file=f"{schema}.{table}",
                         fix="Tabellennamen unter 'alkis.layers' angeben oder das Schema prüfen")


def _select(fields, schema: str, table: str, geom: str | None, srid: int, *, bbox=None, bbox_crs=None,
            where=None, null_geometry: bool = False, ordered: bool = False):
    """``SELECT fields FROM schema.table`` with the filters of :func:`read_table`, and its parameters;
    ``ordered``: in the table's row order."""
    from psycopg import sql

    conditions, params = [], []
    if geom is not None and null_geometry:
        conditions.append(sql.SQL("{} IS NULL").format(sql.Identifier(geom)))
    elif geom is not None and bbox is not None:
        conditions.append(sql.SQL("{} && ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, %s), %s)").format(
            sql.Identifier(geom)))
        params += [*map(float, bbox), _epsg(bbox_crs) or srid, srid]
    if where is not None:
        many = isinstance(where[1], (list, tuple))
        conditions.append(sql.SQL("{} = ANY(%s)" if many else "{} = %s").format(sql.Identifier(where[0])))
        params.append([str(v) for v in where[1]] if many else where[1])
    query = sql.SQL("SELECT {} FROM {}.{}").format(fields, sql.Identifier(schema), sql.Identifier(table))
    if conditions:
        query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)
    if ordered:  # the rows of a box read in the order of the whole table (an index scan has its own)
        query += sql.SQL(" ORDER BY ctid")
    return query, params


def _is_table(conn, schema: str, table: str) -> bool:
    """Whether ``schema.table`` is a table (or materialised view) with row addresses, not a view."""
    with conn.cursor() as cur:
        cur.execute("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = %s AND c.relname = %s", (schema, table))
        row = cur.fetchone()
    return bool(row) and row[0] in ("r", "m")


def _table_crs(table: str, schema: str, srid: int, crs: str | None) -> str:
    if not srid and not crs:
        raise InputError(f"Tabelle {table!r} hat kein Koordinatensystem (SRID 0)", file=f"{schema}.{table}",
                         fix="'crs: EPSG:25832' (oder das richtige System) unter 'alkis' angeben")
    return f"EPSG:{srid}" if srid else crs


def table_boxes(conn, schema: str, table: str, *, target_crs: str, crs: str | None = None,
                where: tuple[str, object] | None = None, bbox: Sequence[float] | None = None,
                bbox_crs: str | None = None, chunk: int = 50_000) -> np.ndarray:
    """The bounding box of every row in ``target_crs`` (NaN: no geometry), streamed in chunks.

    The geometries are reprojected as :meth:`DatabaseSource.read` reprojects them, so the boxes
    are those of the geometries a later read returns; memory stays at one chunk.
    """
    from psycopg import sql

    _check_table(conn, schema, table)
    geom, srid = _geometry_column(conn, schema, table)
    if geom is None:
        raise InputError(f"Tabelle {table!r} hat keine Geometriespalte", file=f"{schema}.{table}",
                         fix="die Tabelle mit Geometrie angeben (alkis.layers)")
    source_crs = _table_crs(table, schema, srid, crs)
    same = CRS.from_user_input(source_crs).equals(CRS.from_user_input(target_crs))
    query, params = _select(sql.SQL("ST_AsBinary({})").format(sql.Identifier(geom)), schema, table, geom, srid,
                            where=where, bbox=bbox, bbox_crs=bbox_crs, ordered=_is_table(conn, schema, table))
    boxes = [np.zeros((0, 4))]
    with conn.transaction(), conn.cursor(name="nachverdichtung_boxes", binary=True) as cur:
        cur.execute(query, params)
        while rows := cur.fetchmany(chunk):
            geoms = shapely.from_wkb(np.array([bytes(r[0]) if r[0] is not None else None for r in rows], dtype=object))
            if not same:
                geoms = np.asarray(gpd.GeoSeries(geoms, crs=source_crs).to_crs(target_crs).array)
            boxes.append(shapely.bounds(geoms))
    return np.concatenate(boxes)


def table_summary(conn, schema: str, table: str, *, count: bool = True) -> tuple[int, int, str]:
    """Rows, rows with a geometry, and the declared geometry type of ``schema.table``
    (``count=False``: the type only, the counts 0)."""
    from psycopg import sql

    _check_table(conn, schema, table)
    geom, _ = _geometry_column(conn, schema, table)
    if geom is None:
        return 0, 0, ""
    rows = placed = 0
    with conn.cursor() as cur:
        if count:
            cur.execute(sql.SQL("SELECT count(*), count({}) FROM {}.{}").format(
                sql.Identifier(geom), sql.Identifier(schema), sql.Identifier(table)))
            rows, placed = cur.fetchone()
        cur.execute("SELECT type FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s "
                    "AND f_geometry_column = %s", (schema, table, geom))
        kind = (cur.fetchone() or ("",))[0]
    kind = str(kind or "").upper()
    base = _OGC_TYPES.get(kind.removeprefix("MULTI"), "")
    return int(rows), int(placed), ("Multi" if base and kind.startswith("MULTI") else "") + base


#: PostGIS geometry type names (``geometry_columns.type``) as OGR names them.
_OGC_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon"}


def read_table(conn, schema: str, table: str, *, columns: Sequence[str] | None = None,
               bbox: Sequence[float] | None = None, bbox_crs: str | None = None, crs: str | None = None,
               where: tuple[str, object] | None = None, null_geometry: bool = False
               ) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read one table, optionally only the rows whose geometry meets ``bbox``.

    Parameters
    ----------
    columns
        Attribute columns to read (default: all).
    bbox
        ``(xmin, ymin, xmax, ymax)`` in ``bbox_crs`` (default: the table's SRID).
    crs
        The CRS to assume when the table's SRID is 0 (unknown).
    where
        ``(column, value)``: only rows with ``column = value``, or ``column`` in a list of values
        (e.g. Gemarkung numbers).
    null_geometry
        Only the rows without geometry (``bbox`` is then ignored).

    Returns
    -------
    GeoDataFrame (or DataFrame for a table without geometry) in the table's own CRS.
    """
    from psycopg import sql

    _check_table(conn, schema, table)
    geom, srid = _geometry_column(conn, schema, table)
    attrs = table_columns(conn, schema, table, exclude=geom)
    if columns is not None:
        attrs = [c for c in attrs if c in set(columns)]
    fields = [sql.Identifier(c) for c in attrs]
    if geom is not None:
        fields.append(sql.SQL("ST_AsBinary({})").format(sql.Identifier(geom)))
    query, params = _select(sql.SQL(", ").join(fields) or sql.SQL("1"), schema, table, geom, srid, bbox=bbox,
                            bbox_crs=bbox_crs, where=where, null_geometry=null_geometry,
                            ordered=_is_table(conn, schema, table))
    with conn.cursor(binary=True) as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=attrs + (["__wkb"] if geom else []))
    if geom is None:
        return frame
    source_crs = _table_crs(table, schema, srid, crs)
    wkb = frame.pop("__wkb").map(lambda v: bytes(v) if v is not None else None).to_numpy(dtype=object)
    geoms = shapely.from_wkb(wkb)
    return gpd.GeoDataFrame(frame, geometry=np.asarray(geoms), crs=source_crs)


def table_columns(conn, schema: str, table: str, *, exclude: str | None = None) -> list[str]:
    """The attribute (non-geometry) columns of ``schema.table``, in table order."""
    with conn.cursor() as cur:
        cur.execute("SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = %s "
                    "AND table_name = %s ORDER BY ordinal_position", (schema, table))
        return [name for name, udt in cur.fetchall() if name != exclude and udt != "geometry"]


def _epsg(crs: str | None) -> int | None:
    if not crs:
        return None
    return CRS.from_user_input(crs).to_epsg()


class DatabaseSource:
    """An open PostGIS schema as a container of layers (tables), like a GeoPackage.

    Parameters
    ----------
    url
        The source URI (``...?schema=``).
    bbox, bbox_crs
        Read only features meeting this box (in ``bbox_crs``).
    null_geometry
        Read only the rows without geometry (the dask engine's driver lists them).
    """

    def __init__(self, url: str, *, bbox: Sequence[float] | None = None, bbox_crs: str | None = None,
                 null_geometry: bool = False) -> None:
        self.url = url
        self.conn, self.schema = connect(url)
        self.bbox, self.bbox_crs = (tuple(bbox) if bbox else None), bbox_crs
        self.null_geometry = null_geometry
        self.name = f"{redact(parse_url(url)[0])} (Schema {self.schema})"

    def __str__(self) -> str:
        return self.name

    def layers(self) -> list[str]:
        return list_tables(self.conn, self.schema)

    def read(self, table: str, *, what: str, target_crs: str, crs: str | None = None,
             where: tuple[str, object] | None = None) -> Read:
        """One table in ``target_crs``, filtered by the source's box (and ``where``): the reader contract."""
        gdf = read_table(self.conn, self.schema, table, bbox=self.bbox, bbox_crs=self.bbox_crs, crs=crs,
                         where=where, null_geometry=self.null_geometry)
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(f"{what}: Tabelle {table!r} hat keine Geometriespalte", file=f"{self.schema}.{table}",
                             fix="die Tabelle mit Geometrie angeben (alkis.layers)")
        source_crs = gdf.crs.to_string()
        if not gdf.crs.equals(target_crs):
            gdf = gdf.to_crs(target_crs)
        return Read(gdf, (), {"file": f"{self.schema}.{table}", "layer": table, "crs": source_crs})

    def close(self) -> None:
        self.conn.close()
