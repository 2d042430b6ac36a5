"""Write the sample district in the formats offices deliver: Shapefile (full and simplified ALKIS
schema), GeoPackage, GeoTIFF, CSV, YAML and JSON.

Large districts are written tile chunk by tile chunk (appending), so memory stays bounded.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from affine import Affine

from nachverdichtung.landuse import CODES
from nachverdichtung.sample.geometry import ORIGIN_X, ORIGIN_Y, PITCH_Y

CRS = "EPSG:25832"
NODATA = -9999.0
DBF_DATE = bytes([124, 1, 1])  # 2024-01-01: fixed DBF header date keeps Shapefiles byte-identical

AX_LANDUSE = {
    "wohnbau": "ax_wohnbauflaeche",
    "gemischt": "ax_flaechegemischternutzung",
    "oeffentlich": "ax_flaechebesondererfunktionalerpraegung",
    "gewerbe": "ax_industrieundgewerbeflaeche",
    "gruen": "ax_sportfreizeitunderholungsflaeche",
    "wald": "ax_wald",
    "landwirtschaft": "ax_landwirtschaft",
    "bahn": "ax_bahnverkehr",
}
#: ALKIS attributes of the land use (0 = not set) and their 10-character Shapefile names.
LANDUSE_ATTRS = {"funktion": "funktion", "vegetationsmerkmal": "vegetation", "artderbebauung": "artderbeba"}
AX_ROADS = {"strassenverkehr": "ax_strassenverkehr", "weg": "ax_weg", "platz": "ax_platz"}
NUTZART = {
    "wohnbau": "Wohnbaufläche",
    "gemischt": "Fläche gemischter Nutzung",
    "oeffentlich": "Fläche besonderer funktionaler Prägung",
    "gewerbe": "Industrie- und Gewerbefläche",
    "gruen": "Sport-, Freizeit- und Erholungsfläche",
    "wald": "Wald",
    "landwirtschaft": "Landwirtschaft",
    "bahn": "Bahnverkehr",
    "strassenverkehr": "Straßenverkehr",
    "weg": "Weg",
    "platz": "Platz",
}
FUNKTION_TEXT = {
    1000: "Wohngebäude", 1010: "Wohnhaus", 1100: "Gemischt genutztes Gebäude mit Wohnen",
    1120: "Wohn- und Geschäftsgebäude", 1130: "Wohn- und Betriebsgebäude", 1313: "Gartenhaus",
    2000: "Gebäude für Wirtschaft oder Gewerbe", 2463: "Garage", 2723: "Schuppen",
    3260: "Gebäude im Stadion/Sportplatz",
}
GEBNUTZBEZ = {"haupt": "Wohnen", "neben": "Nebengebäude", "gewerbe": "Gewerbe und Industrie",
              "sonstige": "Öffentliche Zwecke"}
CONFIG_YML = """crs: EPSG:25832
alkis:
  path: alkis_ax
  preset: ax
inputs:
  settlement: innenbereich.gpkg
  dem: dgm1.tif
  rain_depth: starkregen_tiefe.tif
  rain_velocity: starkregen_geschwindigkeit.tif
  flow_paths: fliesswege.gpkg
  trees: {path: baumkataster.csv, fields: {x: x, y: y, art: art, umfang_cm: stammumfang_cm, krone_m: kronendurchmesser_m}}
  protected_areas: schutzgebiete.gpkg
  species: artnachweise.gpkg
  climate: klima.gpkg
  noise_lden: laerm_lden.tif
  noise_night: laerm_lnight.tif
  railways: bahn.gpkg
owners:
  path: eigentuemer_postnas.gpkg   # invented owners; the same as CSV: eigentuemer_liegenschaftsbuch.csv
"""


def flstkennz(gem: np.ndarray, flur: np.ndarray, zaehler: np.ndarray, nenner: np.ndarray) -> np.ndarray:
    """20-character parcel ids: Land 07, Gemarkung(4), Flur(3), Zähler(5), Nenner(4), Folge(2), ``_`` padded.

    Examples
    --------
    >>> flstkennz(np.array([2566]), np.array([1]), np.array([123]), np.array([4])).tolist()
    ['072566001001230004__']
    """
    nen = np.where(nenner > 0, pd.Series(nenner).map("{:04d}".format).to_numpy(), "____")
    head = pd.Series(gem).map("07{:04d}".format).to_numpy() + pd.Series(flur).map("{:03d}".format).to_numpy()
    return head + pd.Series(zaehler).map("{:05d}".format).to_numpy() + nen + "__"


#: ALKIS life-cycle start of the sample parcels (the delivery's "Stand").
PARCEL_BEGINNT = "2025-11-14T09:30:00Z"
#: Invented Gemeinde and Gemarkung names (Gemarkung number 2566 + 2 t / 2567 + 2 t in tile t).
GEMEINDE = "Rebenhausen"
GEMARKUNG_NAMES = ("Rebenhausen", "Lindenau")


def gemarkung_name(number: int) -> str:
    """Name of a sample Gemarkung.

    Examples
    --------
    >>> gemarkung_name(2566), gemarkung_name(2569)
    ('Rebenhausen', 'Lindenau 2')
    """
    k = number - 2566
    return GEMARKUNG_NAMES[k % 2] + (f" {k // 2 + 1}" if k >= 2 else "")


def write_admin(out: Path, gemarkungen) -> None:
    """The attribute tables ax_gemeinde and ax_gemarkung (GeoPackage; .dbf in the Shapefile folder)."""
    nums = sorted({int(g) for g in gemarkungen})
    gmk = pd.DataFrame({"gemarkungsnummer": [f"{g:04d}" for g in nums], "land": "07",
                        "bezeichnung": [gemarkung_name(g) for g in nums], "beginnt": PARCEL_BEGINNT})
    gem = pd.DataFrame({"bezeichnung": [GEMEINDE], "land": ["07"], "kreis": ["35"], "gemeinde": ["099"],
                        "schluesselgesamt": ["07335099"], "beginnt": [PARCEL_BEGINNT]})
    for name, df in (("ax_gemarkung", gmk), ("ax_gemeinde", gem)):
        pyogrio.write_dataframe(df, out / "alkis.gpkg", layer=name)
        short = df.rename(columns={"gemarkungsnummer": "gemarkungs", "bezeichnung": "bezeichnun",
                                   "schluesselgesamt": "schluessel"})
        pyogrio.write_dataframe(short, out / "alkis_ax" / f"{name}.dbf", encoding="UTF-8")


class VectorSink:
    """Appends GeoDataFrames to Shapefile / GeoPackage layers, creating them on first use."""

    def __init__(self):
        self.created: set[tuple[str, str]] = set()

    def write(self, gdf: gpd.GeoDataFrame, path: Path, layer: str | None = None, **kw) -> None:
        key = (str(path), layer or "")
        append = key in self.created
        if gdf.empty and append:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        pyogrio.write_dataframe(gdf, path, layer=layer, append=append, use_arrow=True, **kw)
        self.created.add(key)


def fix_dbf_dates(folder: Path) -> None:
    """Overwrite the last-update date in every .dbf header (bytes 1-3) with a fixed date."""
    for dbf in sorted(folder.rglob("*.dbf")):
        with open(dbf, "r+b") as fh:
            fh.seek(1)
            fh.write(DBF_DATE)


def write_chunk(out: Path, sink: VectorSink, L: dict[str, gpd.GeoDataFrame]) -> None:
    """Write one chunk of tiles (already translated and numbered) to all vector outputs.

    ``L`` holds canonical-ish frames: parcels, buildings, roads, landuse, settlement, protected,
    species, climate, railways, flow_paths, trees (GeoDataFrame with x, y).
    """
    _write_full_schema(out, sink, L)
    _write_vereinfacht(out / "alkis_vereinfacht", sink, L)
    _write_thematic(out, sink, L)


def _write_full_schema(out: Path, sink: VectorSink, L: dict[str, gpd.GeoDataFrame]) -> None:
    """The ALKIS full schema (ax_*) as Shapefiles (10-character names) and as one GeoPackage."""
    P, B, R, LU = L["parcels"], L["buildings"], L["roads"], L["landuse"]
    ax = out / "alkis_ax"
    gpkg = out / "alkis.gpkg"
    # Full schema: Shapefile (10-character names) and GeoPackage (full names).
    full_p = gpd.GeoDataFrame({
        "flurstueckskennzeichen": P["flstkennz"], "gemarkungsnummer": P["gemarkung"],
        "flurnummer": P["flur"].astype("int32"), "zaehler": P["zaehler"].astype("int32"),
        "nenner": P["nenner"], "amtlicheflaeche": P["flaeche_amtlich"], "beginnt": PARCEL_BEGINNT},
        geometry=P.geometry, crs=CRS)
    short_p = full_p.rename(columns={"flurstueckskennzeichen": "flurstueck", "gemarkungsnummer": "gemarkungs",
                                     "amtlicheflaeche": "amtlichefl"})
    sink.write(short_p, ax / "ax_flurstueck.shp", encoding="UTF-8")
    sink.write(full_p, gpkg, layer="ax_flurstueck")
    full_b = gpd.GeoDataFrame({"gebaeudefunktion": B["funktion"].astype("int32"),
                               "anzahlderoberirdischengeschosse": B["geschosse"].astype("int32")},
                              geometry=B.geometry, crs=CRS)
    sink.write(full_b.rename(columns={"gebaeudefunktion": "gebaeudefu", "anzahlderoberirdischengeschosse": "anzahldero"}),
               ax / "ax_gebaeude.shp", encoding="UTF-8")
    sink.write(full_b, gpkg, layer="ax_gebaeude")
    for art, layer in AX_ROADS.items():
        sel = R[R["art"] == art]
        g = gpd.GeoDataFrame({"name": sel["name"].to_numpy()}, geometry=sel.geometry.to_numpy(), crs=CRS)
        sink.write(g, ax / f"{layer}.shp", encoding="UTF-8")
        sink.write(g, gpkg, layer=layer)
    for cls, layer in AX_LANDUSE.items():
        sel = LU[LU["nutzung"] == cls]
        attrs = [a for a in LANDUSE_ATTRS if a in CODES.get(layer, {})]
        cols = {"gml_id": sel["gml_id"].to_numpy()}
        cols.update({a: pd.array(np.where(sel[a].to_numpy() > 0, sel[a].to_numpy(), 0), dtype="Int32")
                     for a in attrs})
        g = gpd.GeoDataFrame(cols, geometry=sel.geometry.to_numpy(), crs=CRS)
        for a in attrs:
            g.loc[g[a] == 0, a] = pd.NA
        sink.write(g.rename(columns=LANDUSE_ATTRS), ax / f"{layer}.shp", encoding="UTF-8")
        sink.write(g, gpkg, layer=layer)
    # Public-law restrictions of the full schema (ax_denkmalschutzrecht …): Shapefile names cut to 10 characters.
    for key in (k for k in L if k.startswith("legal:")):
        layer, g = key.split(":", 1)[1], L[key]
        sink.write(g.rename(columns={"artderfestlegung": "artderfest"}), ax / f"{layer}.shp", encoding="UTF-8")
        sink.write(g, gpkg, layer=layer)


def _write_vereinfacht(ve: Path, sink: VectorSink, L: dict[str, gpd.GeoDataFrame]) -> None:
    """ALKIS vereinfacht (cp1252, no .cpg) into folder ``ve``."""
    P, B, R, LU = L["parcels"], L["buildings"], L["roads"], L["landuse"]
    vp = gpd.GeoDataFrame({
        "flstkennz": P["flstkennz"], "gemarkung": P["gemarkung"], "flur": P["flur"].astype("int32"),
        "flstnrzae": P["zaehler"].astype(str), "flstnrnen": P["nenner"].astype("string").fillna(""),
        "flaeche": P["flaeche_amtlich"], "lagebeztxt": P["lagebeztxt"]}, geometry=P.geometry, crs=CRS)
    sink.write(vp, ve / "Flurstueck.shp", encoding="cp1252")
    vb = gpd.GeoDataFrame({
        "gebnutzbez": B["role"].map(GEBNUTZBEZ).to_numpy(),
        "funktion": B["funktion"].map(FUNKTION_TEXT).fillna("Gebäude").to_numpy(),
        "gfkzshh": B["funktion"].astype("int32").to_numpy(), "anzahlgs": B["geschosse"].astype("int32").to_numpy()},
        geometry=B.geometry, crs=CRS)
    sink.write(vb, ve / "GebaeudeBauwerk.shp", encoding="cp1252")
    nut = pd.concat([
        pd.DataFrame({"nutzart": LU["nutzung"].map(NUTZART).to_numpy(), "bez": landuse_bez(LU),
                      "geometry": LU.geometry.to_numpy()}),
        pd.DataFrame({"nutzart": R["art"].map(NUTZART).to_numpy(), "bez": R["name"].to_numpy(),
                      "geometry": R.geometry.to_numpy()})], ignore_index=True)
    sink.write(gpd.GeoDataFrame(nut, geometry="geometry", crs=CRS), ve / "Nutzung.shp", encoding="cp1252")


def _write_thematic(out: Path, sink: VectorSink, L: dict[str, gpd.GeoDataFrame]) -> None:
    """The thematic layers and the tree register (GeoPackage and a semicolon CSV)."""
    for key, fname in (("settlement", "innenbereich.gpkg"), ("protected", "schutzgebiete.gpkg"),
                       ("species", "artnachweise.gpkg"), ("climate", "klima.gpkg"), ("railways", "bahn.gpkg"),
                       ("flow_paths", "fliesswege.gpkg")):
        sink.write(L[key], out / fname)
    T = L["trees"]
    tg = gpd.GeoDataFrame({"art": T["art"].to_numpy(), "umfang_cm": T["umfang_cm"].to_numpy(float),
                           "krone_m": T["krone_m"].to_numpy(float)},
                          geometry=shapely.points(T["x"].to_numpy(), T["y"].to_numpy()), crs=CRS)
    sink.write(tg, out / "baumkataster.gpkg")
    csv = pd.DataFrame({"x": T["x"].map("{:.2f}".format), "y": T["y"].map("{:.2f}".format), "art": T["art"],
                        "stammumfang_cm": T["umfang_cm"].map(lambda v: "" if np.isnan(v) else f"{v:.0f}"),
                        "kronendurchmesser_m": T["krone_m"].map(lambda v: "" if np.isnan(v) else f"{v:.1f}")})
    path = out / "baumkataster.csv"
    first = ("csv", str(path)) not in sink.created
    with open(path, "w" if first else "a", encoding="utf-8", newline="\n") as fh:
        csv.to_csv(fh, sep=";", index=False, header=first, lineterminator="\n")
    sink.created.add(("csv", str(path)))


_BEZ = {f"{layer}.{a}.{code}": name for layer, attrs in CODES.items() for a, codes in attrs.items()
        if a != "artderbebauung" for code, name in codes.items()}


def landuse_bez(LU: pd.DataFrame) -> np.ndarray:
    """ALKIS vereinfacht ``bez``: the name of the land use's attribute value ("Weingarten", "Garten", …)."""
    layer = LU["nutzung"].map(AX_LANDUSE).fillna("")
    bez = pd.Series("", index=LU.index, dtype=object)
    for a in LANDUSE_ATTRS:
        key = layer + f".{a}." + LU[a].astype(int).astype(str)
        bez = bez.where(bez != "", key.map(_BEZ).fillna(""))
    return bez.to_numpy(dtype=object)


def finish_vereinfacht(out: Path) -> None:
    """Remove the .cpg files of the simplified export (offices often ship cp1252 without them)."""
    for cpg in (out / "alkis_vereinfacht").glob("*.cpg"):
        cpg.unlink()


def write_raster(path: Path, tile_array: np.ndarray, res: float, cols: int, rows: int) -> None:
    """Write ``tile_array`` (one tile cell) repeated over a ``cols`` x ``rows`` tile grid."""
    th, tw = tile_array.shape
    profile = dict(driver="GTiff", dtype="float32", count=1, width=tw * cols, height=th * rows, crs=CRS,
                   transform=Affine(res, 0.0, ORIGIN_X, 0.0, -res, ORIGIN_Y + rows * PITCH_Y), nodata=NODATA,
                   compress="deflate", predictor=3, zlevel=1, tiled=False)
    band = np.tile(tile_array.astype(np.float32), (1, cols))
    with rasterio.open(path, "w", **profile) as dst:
        for k in range(rows):
            dst.write(band, 1, window=rasterio.windows.Window(0, k * th, tw * cols, th))


#: The same district without the Innenbereich layer: the tool derives it (village edge, § 34/35 BauGB).
CONFIG_DERIVED_NAME = "config_ohne_innenbereich.yml"


def write_config(out: Path) -> Path:
    """Write config.yml and config_ohne_innenbereich.yml (paths relative to them); return config.yml."""
    path = out / "config.yml"
    path.write_text(CONFIG_YML, encoding="utf-8")
    derived = "# Wie config.yml, aber ohne Innenbereich-Layer: der Innenbereich wird abgeleitet\n" + \
        CONFIG_YML.replace("  settlement: innenbereich.gpkg\n", "")
    (out / CONFIG_DERIVED_NAME).write_text(derived, encoding="utf-8")
    return path


def write_ground_truth(out: Path, data: dict) -> None:
    """Write ground_truth.json (stable key order, no timestamps)."""
    with open(out / "ground_truth.json", "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
