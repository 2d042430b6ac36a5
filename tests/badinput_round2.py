"""The bad-input corpus, round two: data nobody checked, odd paths and unusable output folders.

Extends :data:`tests.badinput_cases.CASES` (round one) with the cases of issue #22; the test
(`tests/test_bad_input.py`) and the documentation table (`tests/badinput_docs.py`) run both.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from .badinput_cases import CASES as ROUND_ONE
from .badinput_cases import TREE_OK, Case, _accounted, _alkis, _parcels_with, _rewrite, _set_geom
from .badinput_district import CRS, LAYERS, buildings_frame, parcels_frame, roads_frame
from .districts import X0, Y0, kennz

LOCK_NAME = ".nachverdichtung.lock"
TREES_6 = f"{'trees':10s} {6:>9d} Objekte"  # the line of `validate` for six trees read


# --- geometry nobody checked ----------------------------------------------------------------------

def huge_parcel(d: Path, cfg: dict) -> None:
    """A 150 ha field parcel (1,225 m × 1,225 m) south of the street."""
    _rewrite(d, "ax_flurstueck", _parcels_with((shapely.box(X0 - 500, Y0 - 1235, X0 + 725, Y0 - 10), kennz(90))))


def tiny_parcel(d: Path, cfg: dict) -> None:
    _rewrite(d, "ax_flurstueck", _parcels_with((shapely.box(X0 + 200, Y0, X0 + 200.1, Y0 + 1.0), kennz(91))))


def _dense_ring(box: shapely.Polygon, n: int) -> shapely.Polygon:
    """The same rectangle with ``n`` vertices along its boundary."""
    ring = box.exterior
    pts = shapely.line_interpolate_point(ring, np.linspace(0, ring.length, n, endpoint=False))
    return shapely.Polygon(shapely.get_coordinates(pts))


def spikes(poly: shapely.Polygon) -> shapely.Polygon:
    """0.1 mm out-and-back spikes on every edge's midpoint."""
    coords = shapely.get_coordinates(poly.exterior)[:-1]
    out = []
    for a, b in zip(coords, np.roll(coords, -1, axis=0)):
        mid = (a + b) / 2
        normal = np.array([b[1] - a[1], a[0] - b[0]])
        normal = normal / np.linalg.norm(normal) * 1e-4
        out += [a, mid, mid + normal, mid]
    return shapely.Polygon(out)


def duplicate_vertices(poly: shapely.Polygon) -> shapely.Polygon:
    coords = shapely.get_coordinates(poly.exterior)[:-1]
    return shapely.Polygon(np.repeat(coords, 3, axis=0))


def hole_touching_shell(i: int):
    """Parcel ``i`` with a hole that shares a 5 m edge with its shell (invalid: repaired)."""
    def mutate(d: Path, cfg: dict) -> None:
        p = parcels_frame()
        x0, y0, x1, y1 = p.geometry.iloc[i].bounds
        hole = [(x0, y0 + 40), (x0 + 5, y0 + 40), (x0 + 5, y0 + 45), (x0, y0 + 45)]
        _set_geom(i, shapely.Polygon(p.geometry.iloc[i].exterior.coords, [hole]))(d, cfg)
    return mutate


def nested_multipolygon(d: Path, cfg: dict) -> None:
    """A parcel with a courtyard hole and an island parcel part inside the hole."""
    p = parcels_frame()
    x0, y0, x1, y1 = p.geometry.iloc[3].bounds
    outer = shapely.Polygon(p.geometry.iloc[3].exterior.coords, [[(x0 + 4, y0 + 30), (x1 - 4, y0 + 30),
                                                                   (x1 - 4, y0 + 55), (x0 + 4, y0 + 55)]])
    island = shapely.box(x0 + 7, y0 + 35, x1 - 7, y0 + 50)
    _set_geom(3, shapely.MultiPolygon([outer, island]))(d, cfg)


def overlapping_buildings(d: Path, cfg: dict) -> None:
    b = buildings_frame()
    extra = b.iloc[[0]].copy().set_geometry(gpd.GeoSeries([b.geometry.iloc[0].buffer(2, join_style="mitre")],
                                                          index=[0], crs=CRS))
    _rewrite(d, "ax_gebaeude", gpd.GeoDataFrame(gpd.pd.concat([b, extra], ignore_index=True), crs=CRS))


def buildings_across_boundaries(d: Path, cfg: dict) -> None:
    b = buildings_frame()
    b = b.set_geometry(b.geometry.translate(10, 0))  # every house straddles two parcels
    _rewrite(d, "ax_gebaeude", b)


def roads_as_lines(d: Path, cfg: dict) -> None:
    r = roads_frame()
    _rewrite(d, "ax_strassenverkehr", r.set_geometry(r.geometry.centroid.buffer(1).boundary))


# --- GeoPackage oddities --------------------------------------------------------------------------

def _gpkg(d: Path, cfg: dict, **kw) -> Path:
    gpkg = d / "alkis.gpkg"
    for name, make in LAYERS.items():
        pyogrio.write_dataframe(make(), gpkg, layer=name, **kw)
    cfg["alkis"]["path"] = "alkis.gpkg"
    return gpkg


def gpkg_no_index(d: Path, cfg: dict) -> None:
    _gpkg(d, cfg, layer_options={"SPATIAL_INDEX": "NO"})


def gpkg_custom_fid(d: Path, cfg: dict) -> None:
    _gpkg(d, cfg, layer_options={"FID": "objectid"})


def gpkg_quote_in_name(d: Path, cfg: dict) -> None:
    gpkg = _gpkg(d, cfg)
    pyogrio.write_dataframe(parcels_frame(), gpkg, layer="flur'stücke \"2024\"")
    cfg["alkis"].update(preset="ax", layers={"parcels": "flur'stücke \"2024\""})


def gpkg_two_geometry_columns(d: Path, cfg: dict) -> None:
    gpkg = _gpkg(d, cfg, layer_options={"SPATIAL_INDEX": "NO"})
    with sqlite3.connect(gpkg) as con:
        con.execute("ALTER TABLE ax_flurstueck ADD COLUMN geom2 BLOB")
        con.execute("UPDATE ax_flurstueck SET geom2 = geom")  # the spec allows one registered column per table


def gpkg_corrupt_page(d: Path, cfg: dict) -> None:
    gpkg = _gpkg(d, cfg)
    data = bytearray(gpkg.read_bytes())
    page = 4096
    for start in range(2 * page, len(data) - page, 3 * page):  # scramble every third page after the schema
        data[start + 8:start + page] = os.urandom(page - 8)
    gpkg.write_bytes(bytes(data))


# --- Shapefile headers that lie ---------------------------------------------------------------------

def shp_claims_2gb(d: Path, cfg: dict) -> None:
    f = _alkis(d) / "ax_flurstueck.shp"
    data = bytearray(f.read_bytes())
    data[24:28] = struct.pack(">i", 1_000_000_000)  # file length in 16-bit words: 2 GB
    f.write_bytes(bytes(data))


def dbf_wrong_count(d: Path, cfg: dict) -> None:
    f = _alkis(d) / "ax_gebaeude.dbf"
    data = bytearray(f.read_bytes())
    data[4:8] = struct.pack("<I", 60)  # header claims 60 records, 6 are there
    f.write_bytes(bytes(data))


# --- tables as offices export them ------------------------------------------------------------------

HEADER = "Rechtswert;Hochwert;Baumart;Stammumfang"


def trees_bytes(data: bytes):
    def mutate(d: Path, cfg: dict) -> None:
        (d / "baeume.csv").write_bytes(data)
    return mutate


def _tree_text(rows=TREE_OK, header=HEADER, sep=";") -> str:
    return "\n".join([header.replace(";", sep)] + [r.replace(";", sep) for r in rows]) + "\n"


COMMA_ROWS = [r.replace(",", ".") for r in TREE_OK]
THOUSANDS_ROWS = [f"{X0 + 20 * i + 10:,.1f};{Y0 + 45:,.1f};Stieleiche;{120 + i}"
                  .replace(",", "X").replace(".", ",").replace("X", ".") for i in range(6)]
QUOTED_NEWLINE_ROWS = [r.replace("Stieleiche", '"Stieleiche\nam Zaun"') for r in TREE_OK]


# --- paths and configuration ------------------------------------------------------------------------

def cp1252_config(d: Path, cfg: dict) -> None:
    import yaml

    cfg.setdefault("output", {})["study_area"] = "Großer Garten – Süd"
    text = yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False)
    cfg.clear()
    cfg["__raw_bytes__"] = text.encode("cp1252")


def windows_paths(d: Path, cfg: dict) -> None:
    (d / "daten").mkdir()
    (d / "dgm.tif").rename(d / "daten" / "dgm.tif")
    cfg["inputs"]["dem"]["path"] = "daten\\dgm.tif"
    cfg["inputs"]["trees"]["path"] = ".\\baeume.csv"


def umlaut_paths(d: Path, cfg: dict) -> None:
    target = d / "Daten Straße Ü"
    (d / "alkis").rename(target)
    (d / "dgm.tif").rename(d / "Geländemodell 1 m.tif")
    cfg["alkis"]["path"] = "Daten Straße Ü"
    cfg["inputs"]["dem"]["path"] = "Geländemodell 1 m.tif"


def _config_has(text: str):
    def check(out: Path, stdout: str) -> None:
        assert text in (out / "konfiguration_effektiv.yml").read_text(encoding="utf-8")
    return check


# --- output folders ---------------------------------------------------------------------------------

def _blocker_file(d: Path) -> Path:
    blocker = d.parent / "ausgabe.txt"
    blocker.write_text("eine Datei, kein Ordner", encoding="utf-8")
    return blocker / "ergebnis"


def _locked_out(pid_of) -> callable:
    def out(d: Path) -> Path:
        folder = d.parent / "out"
        folder.mkdir(exist_ok=True)
        (folder / LOCK_NAME).write_text(json.dumps(
            {"pid": pid_of(), "host": os.uname().nodename, "gestartet": time.time() - 60}), encoding="utf-8")
        return folder
    return out


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _half_written_lock(d: Path) -> Path:
    folder = d.parent / "out"
    folder.mkdir(exist_ok=True)
    lock = folder / LOCK_NAME
    lock.write_text("", encoding="utf-8")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    return folder


def _lock_gone(out: Path, text: str) -> None:
    assert not (out / LOCK_NAME).exists()
    assert (out / "bewertung.csv").exists()


OUT_REFUSED = "Lösung: einen eigenen Ausgabeordner außerhalb der Eingabedaten angeben"

CASES = ROUND_ONE + [
    # Geometry nobody checked
    Case("flurstueck_150_ha", "Geometrie (2)", "Ackerflurstück von 150 ha neben dem Quartier", huge_parcel,
         0, "", check=_accounted(7, 1)),
    Case("flurstueck_0_1_m2", "Geometrie (2)", "Flurstück von 0,1 m²", tiny_parcel, 0, "", check=_accounted(7, 1)),
    Case("flurstueck_100000_stuetzpunkte", "Geometrie (2)", "Flurstück mit 100 000 Stützpunkten",
         lambda d, c: _set_geom(2, _dense_ring(parcels_frame().geometry.iloc[2], 100_000))(d, c),
         0, "", check=_accounted(6)),
    Case("ring_mit_spikes", "Geometrie (2)", "Ring mit 0,1-mm-Spitzen an jeder Kante",
         lambda d, c: _set_geom(1, spikes(parcels_frame().geometry.iloc[1]))(d, c), 0, "", check=_accounted(6)),
    Case("doppelte_stuetzpunkte", "Geometrie (2)", "jeder Stützpunkt dreifach",
         lambda d, c: _set_geom(4, duplicate_vertices(parcels_frame().geometry.iloc[4]))(d, c),
         0, "", check=_accounted(6)),
    Case("loch_beruehrt_rand", "Geometrie (2)", "Loch teilt eine Kante mit dem Außenring", hole_touching_shell(2),
         0, "ungültige Geometrien repariert", check=_accounted(6)),
    Case("verschachteltes_multipolygon", "Geometrie (2)", "Multipolygon mit Insel im Innenhof-Loch",
         nested_multipolygon, 0, "", check=_accounted(6)),
    Case("gebaeude_ueberlappen", "Geometrie (2)", "zwei Gebäude überlappen sich", overlapping_buildings,
         0, "", check=_accounted(6)),
    Case("gebaeude_ueber_grenzen", "Geometrie (2)", "Gebäude liegen über Flurstücksgrenzen",
         buildings_across_boundaries, 0, "", check=_accounted(6)),
    Case("strassen_als_linien", "Geometrie (2)", "Verkehrsflächen als Linien statt Flächen", roads_as_lines,
         2, "nur Linien", "ax_strassenverkehr"),
    # GeoPackage
    Case("gpkg_ohne_index", "GeoPackage", "GeoPackage ohne räumlichen Index", gpkg_no_index,
         0, "", check=_accounted(6)),
    Case("gpkg_fid_objectid", "GeoPackage", "FID-Spalte heißt objectid", gpkg_custom_fid, 0, "",
         check=_accounted(6)),
    Case("gpkg_anfuehrungszeichen", "GeoPackage", "Tabellenname mit ' und \" (über alkis.layers zugeordnet)",
         gpkg_quote_in_name, 0, "", check=_accounted(6)),
    Case("gpkg_zwei_geometriespalten", "GeoPackage", "zweite Geometriespalte (BLOB) in der Flurstückstabelle",
         gpkg_two_geometry_columns, 0, "", check=_accounted(6)),
    Case("gpkg_seite_kaputt", "GeoPackage", "SQLite-Seiten der Datei beschädigt", gpkg_corrupt_page,
         2, "kann nicht gelesen werden", "alkis.gpkg"),
    # Shapefile
    Case("shp_kopf_2gb", "Shapefile (2)", "Kopf der .shp behauptet 2 GB", shp_claims_2gb,
         2, "Datei ist unvollständig (916 von 2.000.000.000 Bytes)", "ax_flurstueck.shp"),
    Case("dbf_falsche_anzahl", "Shapefile (2)", "Kopf der .dbf nennt 60 statt 6 Datensätze", dbf_wrong_count,
         0, "", check=_accounted(6)),
    # Tables
    Case("csv_crlf", "Tabellen", "Baumkataster mit CRLF-Zeilenenden",
         trees_bytes(_tree_text().replace("\n", "\r\n").encode("utf-8")), 0, "trees", command="validate"),
    Case("csv_komma_punkt", "Tabellen", "Trennzeichen ',' und Dezimalpunkt",
         trees_bytes(_tree_text(COMMA_ROWS, sep=",").encode("utf-8")), 0, "trees", command="validate"),
    Case("csv_tausenderpunkt", "Tabellen", "Koordinaten mit Tausenderpunkt (410.010,0)",
         trees_bytes(_tree_text(THOUSANDS_ROWS).encode("utf-8")), 0, TREES_6, command="validate"),
    Case("csv_zeilenumbruch_in_feld", "Tabellen", "Zeilenumbruch in einem Feld in Anführungszeichen",
         trees_bytes(_tree_text(QUOTED_NEWLINE_ROWS).encode("utf-8")), 0, TREES_6, command="validate"),
    Case("csv_utf16", "Tabellen", "Baumkataster in UTF-16 (Excel „Unicode-Text“)",
         trees_bytes(_tree_text().encode("utf-16")), 0, TREES_6, command="validate"),
    # Paths and configuration
    Case("config_cp1252", "Konfiguration (2)", "config.yml in cp1252 mit Umlauten", cp1252_config,
         0, "", check=_config_has("Großer Garten – Süd")),
    Case("pfade_windows", "Konfiguration (2)", "relative Pfade mit Backslash (daten\\dgm.tif)", windows_paths,
         0, "", check=_accounted(6)),
    Case("pfade_umlaute_leerzeichen", "Konfiguration (2)", "Ordner und Dateien mit Leerzeichen, Umlauten und ß",
         umlaut_paths, 0, "", check=_accounted(6)),
    # Output folders
    Case("ausgabe_gleich_eingabe", "Ausgabeordner", "--out ist der Ordner der Lieferung", lambda d, c: None,
         2, OUT_REFUSED, "", out=lambda d: d),
    Case("ausgabe_in_eingabe", "Ausgabeordner", "--out liegt im Shapefile-Ordner", lambda d, c: None,
         2, OUT_REFUSED, "", out=lambda d: d / "alkis" / "ergebnis"),
    Case("ausgabe_ist_eingabedatei", "Ausgabeordner", "--out ist das DGM", lambda d, c: None,
         2, "ist eine Eingabedatei", "", out=lambda d: d / "dgm.tif"),
    Case("ausgabe_nicht_anlegbar", "Ausgabeordner", "--out liegt unter einer Datei", lambda d, c: None,
         2, "kann nicht angelegt oder beschrieben werden", "ausgabe.txt", out=_blocker_file),
    Case("ausgabe_gesperrt", "Ausgabeordner", "ein laufender Lauf hält die Sperre", lambda d, c: None,
         2, "schreibt gerade in diesen Ordner", "out", out=_locked_out(os.getpid)),
    Case("ausgabe_sperre_verwaist", "Ausgabeordner", "Sperre eines abgebrochenen Laufs (PID läuft nicht mehr)",
         lambda d, c: None, 0, "", check=_lock_gone, out=_locked_out(_dead_pid)),
    Case("ausgabe_sperre_leer", "Ausgabeordner", "leere Sperrdatei, eine Stunde alt", lambda d, c: None,
         0, "", check=_lock_gone, out=_half_written_lock),
]
