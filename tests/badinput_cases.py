"""The bad-input corpus: one table of case → mutation → expected exit code → expected message.

Each mutation receives the copied district folder and the config dict (written after the mutation).
Exit code 2 cases must print one line naming ``file``; exit code 0 cases must report ``message``
in ``protokoll.txt`` or on stdout, and ``check`` asserts the repaired outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from .badinput_district import (CRS, LAYERS, STREET, buildings_frame, parcels_frame, read_outputs, roads_frame,
                               write_dem)
from .districts import X0, Y0, kennz


@dataclass(frozen=True)
class Case:
    """One bad input and what the CLI must make of it."""

    id: str
    group: str
    description: str
    mutate: Callable[[Path, dict], None]
    code: int
    message: str
    file: str = ""
    check: Callable[[Path, str], None] | None = None
    command: str = "assess"
    #: where the run writes, from the case's data folder (default: a folder beside it)
    out: Callable[[Path], Path] | None = None
    #: extra command-line arguments (replacing the default ``--formats csv``)
    args: tuple[str, ...] = ()


def _alkis(d: Path) -> Path:
    return d / "alkis"


def _rewrite(d: Path, layer: str, gdf: gpd.GeoDataFrame, **kw) -> None:
    for f in _alkis(d).glob(f"{layer}.*"):
        f.unlink()
    pyogrio.write_dataframe(gdf, _alkis(d) / f"{layer}.shp", **{"encoding": "UTF-8", **kw})


def _delete(d: Path, name: str) -> None:
    (_alkis(d) / name).unlink()


def _parcels_with(*extra_rows) -> gpd.GeoDataFrame:
    p = parcels_frame()
    for geom, kz in extra_rows:
        row = p.iloc[[0]].copy()
        row["flurstueck"] = kz
        row = row.set_geometry(gpd.GeoSeries([geom], index=row.index, crs=CRS))
        p = gpd.GeoDataFrame(gpd.pd.concat([p, row], ignore_index=True), crs=CRS)
    return p


def _set_geom(i: int, geom) -> Callable[[Path, dict], None]:
    def mutate(d: Path, cfg: dict) -> None:
        p = parcels_frame()
        geoms = p.geometry.copy()
        geoms.iloc[i] = geom
        _rewrite(d, "ax_flurstueck", p.set_geometry(geoms))
    return mutate


# --- checks on the repaired outcome ---------------------------------------------------------------

def _accounted(n_input: int, n_excluded: int = 0, *, reason: str | None = None):
    def check(out: Path, text: str) -> None:
        areas, parcels = read_outputs(out)
        assert len(parcels) == n_input
        excl = parcels[parcels["status"] == "ausgeschlossen"]
        assert len(excl) == n_excluded
        assert (parcels["status"] == "Kandidat").sum() + len(excl) == len(parcels)
        if reason:
            assert excl["grund"].str.contains(reason, regex=False).all()
        assert f"Flurstücke: {n_input} eingelesen" in text
    return check


def _street_name_ok(out: Path, text: str) -> None:
    areas, parcels = read_outputs(out)
    assert len(areas) >= 1
    assert set(areas["strasse"]) == {STREET}


def _topo_class(klasse: str):
    def check(out: Path, text: str) -> None:
        areas, _ = read_outputs(out)
        assert len(areas) >= 1  # the rear gardens may merge into one block-interior area
        assert set(areas["topographie_klasse"]) == {klasse}
    return check


def _kennz_present(*ids: str):
    def check(out: Path, text: str) -> None:
        _, parcels = read_outputs(out)
        for i in ids:
            assert i in set(parcels["flstkennz"]), i
    return check


# --- mutations ------------------------------------------------------------------------------------

def truncate_shp(d: Path, cfg: dict) -> None:
    f = _alkis(d) / "ax_flurstueck.shp"
    f.write_bytes(f.read_bytes()[:150])


def zero_byte_shp(d: Path, cfg: dict) -> None:
    (_alkis(d) / "ax_gebaeude.shp").write_bytes(b"")


def empty_layer(d: Path, cfg: dict) -> None:
    _rewrite(d, "ax_gebaeude", buildings_frame().iloc[:0])


def empty_parcels(d: Path, cfg: dict) -> None:
    _rewrite(d, "ax_flurstueck", parcels_frame().iloc[:0])


def rename_parcels(name: str):
    def mutate(d: Path, cfg: dict) -> None:
        for f in _alkis(d).glob("ax_flurstueck.*"):
            f.rename(f.with_name(name + f.suffix))
    return mutate


def renamed_and_mapped(d: Path, cfg: dict) -> None:
    rename_parcels("flurstuecke_2024")(d, cfg)
    cfg["alkis"].update(preset="ax", layers={"parcels": "flurstuecke_2024"})


def wrong_layer_override(d: Path, cfg: dict) -> None:
    cfg["alkis"]["layers"] = {"parcels": "gibt_es_nicht"}


def drop_required_field(d: Path, cfg: dict) -> None:
    _rewrite(d, "ax_flurstueck", parcels_frame().drop(columns="flurstueck"))


def drop_funktion(d: Path, cfg: dict) -> None:
    _rewrite(d, "ax_gebaeude", buildings_frame().drop(columns="gebaeudefu"))


def text_funktion(d: Path, cfg: dict) -> None:
    b = buildings_frame()
    b["gebaeudefu"] = ["Wohnhaus", "1010", "31001_1010", "", "1010", "1010"]
    _rewrite(d, "ax_gebaeude", b)


def duplicate_same(d: Path, cfg: dict) -> None:
    p = parcels_frame()
    _rewrite(d, "ax_flurstueck", _parcels_with((p.geometry.iloc[2], p["flurstueck"].iloc[2])))


def duplicate_other_geom(d: Path, cfg: dict) -> None:
    p = parcels_frame()
    other = shapely.box(X0 + 200, Y0, X0 + 220, Y0 + 60)
    _rewrite(d, "ax_flurstueck", _parcels_with((other, p["flurstueck"].iloc[2])))


def parcel_without_id(d: Path, cfg: dict) -> None:
    p = parcels_frame()
    p.loc[4, "flurstueck"] = ""
    _rewrite(d, "ax_flurstueck", p)


BOWTIE = shapely.Polygon([(X0 + 60, Y0), (X0 + 80, Y0 + 60), (X0 + 80, Y0), (X0 + 60, Y0 + 60)])


def sliver(d: Path, cfg: dict) -> None:
    thin = shapely.Polygon([(X0, Y0 + 60), (X0 + 120, Y0 + 60), (X0 + 120, Y0 + 60.00001)])
    _rewrite(d, "ax_flurstueck", _parcels_with((thin, kennz(99))))


def null_geometry(d: Path, cfg: dict) -> None:
    _rewrite(d, "ax_flurstueck", _parcels_with((None, kennz(98))))


def multipolygon(d: Path, cfg: dict) -> None:
    p = parcels_frame()
    geoms = p.geometry.copy()
    geoms.iloc[5] = shapely.MultiPolygon([geoms.iloc[5], shapely.box(X0 + 300, Y0, X0 + 310, Y0 + 10)])
    _rewrite(d, "ax_flurstueck", p.set_geometry(geoms))


def z_coords(d: Path, cfg: dict) -> None:
    p = parcels_frame()
    _rewrite(d, "ax_flurstueck", p.set_geometry(shapely.force_3d(np.asarray(p.geometry.array), 101.5)))
    b = buildings_frame()
    _rewrite(d, "ax_gebaeude", b.set_geometry(shapely.force_3d(np.asarray(b.geometry.array), 101.5)))


def mixed_types_gpkg(d: Path, cfg: dict) -> None:
    gpkg = d / "alkis.gpkg"
    for name, make in LAYERS.items():
        gdf = make()
        if name == "ax_flurstueck":
            gdf = _parcels_with((shapely.LineString([(X0, Y0 + 70), (X0 + 50, Y0 + 70)]), kennz(97)),
                                (shapely.Point(X0 + 5, Y0 + 75), kennz(96)))
        pyogrio.write_dataframe(gdf, gpkg, layer=name, geometry_type="Unknown" if name == "ax_flurstueck" else None)
    cfg["alkis"]["path"] = "alkis.gpkg"


def far_outside(d: Path, cfg: dict) -> None:
    p = parcels_frame()
    _rewrite(d, "ax_flurstueck", p.set_geometry(p.geometry.translate(20_000_000, 0)))


def gauss_krueger(d: Path, cfg: dict) -> None:
    p = parcels_frame()
    _rewrite(d, "ax_flurstueck", p.set_geometry(p.geometry.translate(3_000_000, 0)))


def wrong_prj(d: Path, cfg: dict) -> None:
    _rewrite(d, "ax_gebaeude", buildings_frame().set_crs("EPSG:4326", allow_override=True))


def prj_missing_crs_in_config(d: Path, cfg: dict) -> None:
    for layer in LAYERS:
        _delete(d, f"{layer}.prj")
    cfg["alkis"]["crs"] = CRS


def geographic(d: Path, cfg: dict) -> None:
    for name, make in LAYERS.items():
        _rewrite(d, name, make().to_crs("EPSG:4326"))


def cp1252_no_cpg(d: Path, cfg: dict) -> None:
    _rewrite(d, "ax_strassenverkehr", roads_frame(), encoding="cp1252")
    for f in _alkis(d).glob("ax_strassenverkehr.[cC][pP][gG]"):
        f.unlink()


def cp1252_wrong_cpg(d: Path, cfg: dict) -> None:
    cp1252_no_cpg(d, cfg)
    (_alkis(d) / "ax_strassenverkehr.cpg").write_text("UTF-8")


def _trees(rows: list[str], header: str = "Rechtswert;Hochwert;Baumart;Stammumfang", *, bom: bool = True):
    def mutate(d: Path, cfg: dict) -> None:
        (d / "baeume.csv").write_text(header + "\n" + "\n".join(rows) + "\n",
                                      encoding="utf-8-sig" if bom else "utf-8")
    return mutate


TREE_OK = [f"{X0 + 20 * i + 10:.1f};{Y0 + 45:.1f};Stieleiche;{120 + i}".replace(".", ",") for i in range(6)]


def trees_cp1252(d: Path, cfg: dict) -> None:
    (d / "baeume.csv").write_bytes(("Rechtswert;Hochwert;Baumart;Stammumfang\n"
                                   + "\n".join(r.replace("Stieleiche", "Eßkastanie") for r in TREE_OK)
                                   + "\n").encode("cp1252"))


def trees_unmapped_column(d: Path, cfg: dict) -> None:
    cfg["inputs"]["trees"]["fields"]["umfang_cm"] = "Umfang"


def trees_no_fields(d: Path, cfg: dict) -> None:
    cfg["inputs"]["trees"].pop("fields")
    _trees(TREE_OK, header="Rechtswert;Hochwert;art;umfang_cm", bom=True)(d, cfg)


def dem(**kw):
    def mutate(d: Path, cfg: dict) -> None:
        write_dem(d / "dgm.tif", **kw)
    return mutate


def dem_other_crs(d: Path, cfg: dict) -> None:
    from pyproj import Transformer

    t = Transformer.from_crs(CRS, "EPSG:31467", always_xy=True)
    l, b, r, top = (X0 - 40, Y0 - 20, X0 + 160, Y0 + 80)
    xs, ys = t.transform([l, r], [b, top])
    write_dem(d / "dgm.tif", crs="EPSG:31467", bounds=(round(min(xs)) - 20, round(min(ys)) - 20,
                                                       round(max(xs)) + 20, round(max(ys)) + 20))


def dem_corrupt(d: Path, cfg: dict) -> None:
    (d / "dgm.tif").write_bytes(b"II*\x00" + b"\x00garbage" * 50)


def dem_missing(d: Path, cfg: dict) -> None:
    cfg["inputs"]["dem"]["path"] = "dgm_fehlt.tif"


def dem_no_crs(d: Path, cfg: dict) -> None:
    write_dem(d / "dgm.tif", crs=None)


def cfg_set(path: str, value):
    def mutate(d: Path, cfg: dict) -> None:
        node = cfg
        *parents, last = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return mutate


def cfg_drop(path: str):
    def mutate(d: Path, cfg: dict) -> None:
        node = cfg
        *parents, last = path.split(".")
        for p in parents:
            node = node[p]
        del node[last]
    return mutate


def cfg_text(text: str):
    def mutate(d: Path, cfg: dict) -> None:
        cfg.clear()
        cfg["__raw__"] = text
    return mutate


def dxf(content: bytes):
    def mutate(d: Path, cfg: dict) -> None:
        (d / "alkis.dxf").write_bytes(content)
        cfg["alkis"].update(path="alkis.dxf", crs=CRS)
    return mutate


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<AX_Bestandsdatenauszug xmlns="http://www.adv-online.de/namespaces/adv/gid/6.0">&lol9;</AX_Bestandsdatenauszug>
"""
PLAIN_NAS = b"""<?xml version="1.0" encoding="UTF-8"?>
<AX_Bestandsdatenauszug xmlns="http://www.adv-online.de/namespaces/adv/gid/6.0"></AX_Bestandsdatenauszug>
"""


def nas(content: bytes, name: str):
    def mutate(d: Path, cfg: dict) -> None:
        (d / name).write_bytes(content)
        cfg["alkis"]["path"] = name
    return mutate


def _nas_expected() -> tuple[int, str]:
    from nachverdichtung.io.nas import nas_driver_available

    return (2, "NAS") if nas_driver_available() else (2, "ogr2ogr")


_NAS_CODE, _NAS_MSG = _nas_expected()

CASES = [
    # Shapefile files
    Case("shx_fehlt", "Shapefile", "Flurstücke ohne .shx", lambda d, c: _delete(d, "ax_flurstueck.shx"),
         2, "Index (.shx) fehlt", "ax_flurstueck.shp"),
    Case("dbf_fehlt", "Shapefile", "Gebäude ohne .dbf", lambda d, c: _delete(d, "ax_gebaeude.dbf"),
         2, "Attributtabelle (.dbf) fehlt", "ax_gebaeude.shp"),
    Case("prj_fehlt", "Shapefile", "Flurstücke ohne .prj, kein crs in der Konfiguration",
         lambda d, c: _delete(d, "ax_flurstueck.prj"), 2, "kein Koordinatensystem", "ax_flurstueck.shp"),
    Case("prj_fehlt_crs_konfiguriert", "Shapefile", "alle .prj fehlen, alkis.crs gesetzt",
         prj_missing_crs_in_config, 0, "aus der Konfiguration angenommen", check=_accounted(6)),
    Case("shp_abgeschnitten", "Shapefile", "Flurstücks-.shp nach 150 Bytes abgeschnitten", truncate_shp,
         2, "unvollständig", "ax_flurstueck.shp"),
    Case("shp_null_bytes", "Shapefile", "Gebäude-.shp ist leer (0 Bytes)", zero_byte_shp,
         2, "keine gültige Shapefile-Datei", "ax_gebaeude.shp"),
    # Layers and fields
    Case("layer_leer_gebaeude", "Layer/Felder", "Gebäude-Layer ohne Objekte", empty_layer,
         2, "Layer ist leer", "ax_gebaeude.shp"),
    Case("layer_leer_flurstuecke", "Layer/Felder", "Flurstücks-Layer ohne Objekte", empty_parcels,
         2, "Layer ist leer", "ax_flurstueck.shp"),
    Case("layername_falsch", "Layer/Felder", "Flurstücks-Layer heißt flurstuecke_2024 (Preset-Erkennung)",
         rename_parcels("flurstuecke_2024"), 2, "Schema der ALKIS-Daten nicht erkannt", "alkis"),
    Case("layername_zugeordnet", "Layer/Felder", "umbenannter Layer über alkis.layers zugeordnet",
         renamed_and_mapped, 0, "", check=_accounted(6)),
    Case("layer_zuordnung_falsch", "Layer/Felder", "alkis.layers.parcels nennt einen fehlenden Layer",
         wrong_layer_override, 2, "Layer gibt_es_nicht nicht vorhanden", "alkis"),
    Case("pflichtfeld_fehlt", "Layer/Felder", "Flurstücke ohne Kennzeichen-Feld", drop_required_field,
         2, "Pflichtfeld 'flstkennz' fehlt", "ax_flurstueck.shp"),
    Case("gebaeudefunktion_fehlt", "Layer/Felder", "Gebäude ohne Feld gebaeudefunktion", drop_funktion,
         2, "Pflichtfeld 'funktion' fehlt", "ax_gebaeude.shp"),
    Case("gebaeudefunktion_text", "Layer/Felder", "gebaeudefunktion 'Wohnhaus', '31001_1010', leer",
         text_funktion, 0, "nicht numerische Gebäudefunktionen", check=_accounted(6)),
    Case("kennzeichen_doppelt_gleich", "Layer/Felder", "ein Flurstück doppelt geliefert (gleiche Geometrie)",
         duplicate_same, 0, "doppelt gelieferte Flurstücke", check=_accounted(7, 1, reason="doppelt")),
    Case("kennzeichen_doppelt_verschieden", "Layer/Felder", "gleiches Kennzeichen, andere Geometrie",
         duplicate_other_geom, 0, "eindeutig gemacht",
         check=_kennz_present(kennz(3), kennz(3) + "#2")),
    Case("kennzeichen_leer", "Layer/Felder", "Flurstück mit leerem Kennzeichen", parcel_without_id,
         0, "Ersatz-Kennzeichen", check=_kennz_present(f"OHNE_KENNZ_{X0 + 90:.0f}_{Y0 + 30:.0f}")),
    # Geometry
    Case("bowtie", "Geometrie", "selbstüberschneidendes Flurstück (Schleife)", _set_geom(3, BOWTIE),
         0, "ungültige Geometrien repariert", check=_kennz_present(kennz(4))),
    Case("splitterflaeche", "Geometrie", "Flurstück mit Fläche nahe 0 m²", sliver,
         0, "Splitterflächen", check=_accounted(7, 1, reason="Geometrie")),
    Case("geometrie_leer", "Geometrie", "Flurstück ohne Geometrie", null_geometry,
         0, "leere Geometrien verworfen", check=_accounted(7, 1, reason="Geometrie")),
    Case("multipolygon", "Geometrie", "Flurstück aus zwei Teilflächen", multipolygon,
         0, "", check=_accounted(6)),
    Case("z_koordinaten", "Geometrie", "Flurstücke und Gebäude mit Z-Koordinaten", z_coords,
         0, "Z-Koordinaten entfernt", check=_accounted(6)),
    Case("gemischte_geometrien", "Geometrie", "Linie und Punkt im Flurstücks-Layer (GeoPackage)", mixed_types_gpkg,
         0, "Nicht-Flächen-Geometrien", check=_accounted(8, 2, reason="Geometrie")),
    Case("koordinaten_weit_ausserhalb", "Geometrie", "Flurstücke 20 000 km verschoben", far_outside,
         2, "passen nicht zu EPSG:25832", "ax_flurstueck.shp"),
    Case("gauss_krueger_als_utm", "Geometrie", "Gauß-Krüger-Rechtswerte mit UTM-.prj", gauss_krueger,
         2, "Gauß-Krüger", "ax_flurstueck.shp"),
    # CRS and encoding
    Case("crs_falsch", "KBS/Kodierung", "UTM-Koordinaten mit .prj EPSG:4326", wrong_prj,
         2, "sieht nach UTM 32N aus", "ax_gebaeude.shp"),
    Case("crs_geographisch", "KBS/Kodierung", "alle Layer in EPSG:4326 (Längen/Breiten)", geographic,
         0, "umprojiziert", check=_accounted(6)),
    Case("ziel_crs_geographisch", "KBS/Kodierung", "crs: EPSG:4326 als Zielsystem", cfg_set("crs", "EPSG:4326"),
         2, "nicht metrisch projiziert", "config.yml"),
    Case("cp1252_ohne_cpg", "KBS/Kodierung", "Straßennamen cp1252 ohne .cpg", cp1252_no_cpg,
         0, "cp1252", check=_street_name_ok),
    Case("cp1252_falsche_cpg", "KBS/Kodierung", ".cpg sagt UTF-8, Inhalt ist cp1252", cp1252_wrong_cpg,
         0, "cp1252", check=_street_name_ok),
    Case("csv_utf8_bom", "KBS/Kodierung", "Baumkataster UTF-8 mit BOM, Standard-Spaltennamen", trees_no_fields,
         0, "trees", command="validate"),
    Case("csv_cp1252", "KBS/Kodierung", "Baumkataster in cp1252 (Eßkastanie)", trees_cp1252,
         0, "trees", command="validate"),
    # Tree CSV
    Case("baum_spalte_fehlt", "Baumkataster", "zugeordnete Spalte 'Umfang' gibt es nicht", trees_unmapped_column,
         2, "Spalte(n) umfang_cm ('Umfang') fehlen", "baeume.csv"),
    Case("baum_koordinate_fehlt", "Baumkataster", "Spalte Hochwert fehlt",
         _trees([r.rsplit(";", 3)[0] + ";Linde;100" for r in TREE_OK], header="Rechtswert;Baumart;Stammumfang"),
         2, "Spalte(n) y ('Hochwert') fehlen", "baeume.csv"),
    Case("baum_nan", "Baumkataster", "Koordinaten leer oder NaN",
         _trees(TREE_OK[:4] + [";;Linde;100", "NaN;NaN;Linde;100"]), 0, "2 Zeilen ohne gültige Koordinaten"),
    Case("baum_text_in_zahl", "Baumkataster", "Stammumfang 'ca. 120', Koordinate 'unbekannt'",
         _trees(TREE_OK[:4] + [TREE_OK[4].replace("124", "ca. 120"), "unbekannt;5478045;Linde;90"]),
         0, "1 Werte in 'umfang_cm' sind keine Zahl"),
    Case("baum_csv_leer", "Baumkataster", "Baumkataster-Datei ist leer",
         lambda d, c: (d / "baeume.csv").write_bytes(b""), 2, "Datei ist leer", "baeume.csv"),
    # Rasters
    Case("raster_fehlt", "Raster", "inputs.dem zeigt auf eine fehlende Datei", dem_missing,
         2, "Datei nicht gefunden", "config.yml"),
    Case("raster_anderes_crs", "Raster", "DGM in Gauß-Krüger (EPSG:31467)", dem_other_crs,
         0, "", check=_topo_class("geeignet")),
    Case("raster_deckt_nicht_ab", "Raster", "DGM liegt 5 km neben dem Gebiet",
         dem(bounds=(X0 + 5000, Y0, X0 + 5100, Y0 + 100)), 0, "deckt das Untersuchungsgebiet nicht ab",
         check=_topo_class("nicht bewertet")),
    Case("raster_nur_nodata", "Raster", "DGM enthält nur NoData", dem(fill=-9999.0),
         0, "enthält nur NoData", check=_topo_class("nicht bewertet")),
    Case("raster_ohne_nodata", "Raster", "DGM ohne NoData-Wert", dem(nodata=None),
         0, "keinen NoData-Wert", check=_topo_class("geeignet")),
    Case("raster_ganzzahl", "Raster", "DGM als int16 (ganze Meter)", dem(dtype="int16", nodata=-32768),
         0, "Ganzzahl-Raster", check=_accounted(6)),
    Case("raster_kaputt", "Raster", "DGM-Datei beschädigt", dem_corrupt, 2, "Raster kann nicht gelesen werden",
         "dgm.tif"),
    Case("raster_ohne_crs", "Raster", "DGM ohne Koordinatensystem", dem_no_crs,
         2, "Raster hat kein Koordinatensystem", "dgm.tif"),
    # Config
    Case("config_unbekannter_schluessel", "Konfiguration", "alkis.pfad statt alkis.path",
         cfg_set("alkis.pfad", "alkis"), 2, "unbekannter Schlüssel 'pfad'", "config.yml"),
    Case("config_unbekannter_abschnitt", "Konfiguration", "Abschnitt 'kriterien'",
         cfg_set("kriterien", {}), 2, "unbekannter Abschnitt 'kriterien'", "config.yml"),
    Case("config_falscher_typ", "Konfiguration", "Schwelle als Text 'zehn'",
         cfg_set("criteria.topographie.bedingt_ab_pct", "zehn"), 2, "criteria.topographie.bedingt_ab_pct",
         "config.yml"),
    Case("config_negative_schwelle", "Konfiguration", "Schwelle −5 %",
         cfg_set("criteria.topographie.bedingt_ab_pct", -5), 2, "außerhalb des zulässigen Bereichs", "config.yml"),
    Case("config_pfad_fehlt", "Konfiguration", "alkis.path zeigt ins Leere", cfg_set("alkis.path", "gibtsnicht"),
         2, "Datei nicht gefunden", "config.yml"),
    Case("config_alkis_ohne_pfad", "Konfiguration", "Abschnitt alkis ohne path", cfg_drop("alkis.path"),
         2, "Pflichtangabe 'path' fehlt", "config.yml"),
    Case("config_eingabe_ohne_pfad", "Konfiguration", "inputs.trees ohne path", cfg_drop("inputs.trees.path"),
         2, "Pflichtangabe 'path' fehlt", "config.yml"),
    Case("config_kein_yaml", "Konfiguration", "kaputtes YAML", cfg_text("alkis: [path: alkis\n  crs: :"),
         2, "kein gültiges YAML", "config.yml"),
    # Other files
    Case("dxf_kaputt", "Andere Dateien", "DXF mit zufälligem Inhalt", dxf(b"0\nSECTION\n2\nENTITIES\n0\nLINE\n8\n"
                                                                       + bytes(range(256)) * 4),
         2, "DXF", "alkis.dxf"),
    Case("dxf_leer", "Andere Dateien", "DXF-Datei mit 0 Bytes", dxf(b""), 2, "DXF", "alkis.dxf"),
    Case("nas_billion_laughs", "Andere Dateien", "NAS-XML mit Entity-Expansion", nas(BILLION_LAUGHS, "alkis.xml"),
         2, "DOCTYPE-/ENTITY-Deklaration", "alkis.xml"),
    Case("nas_ohne_treiber", "Andere Dateien", "NAS-Datei (.nas) ohne DOCTYPE", nas(PLAIN_NAS, "alkis.nas"),
         _NAS_CODE, _NAS_MSG, "alkis.nas"),
]
