"""Write canonical ALKIS frames as an ALKIS-like DXF (the sample district's ``alkis.dxf``).

Layer scheme (read back by the ``dxf_sample`` preset, see ``docs/dxf.md``):

- ``Flurstücke``: parcels as closed LWPOLYLINEs; parcels with holes also as a HATCH.
- ``Flurstücksnummern Gemarkung <LLGGGG> Flur <FFF>``: TEXT "Zähler/Nenner" (or "Zähler") at the
  parcel's representative point; a parcel whose Folge is not "__" gets its full 20-character
  ``flstkennz`` as text instead.
- ``Gebäude_Wohnen`` / ``Gebäude_Nebengebäude`` / ``Gebäude_Gewerbe`` / ``Gebäude_Sonstige`` by
  ``kategorie``: closed LWPOLYLINE plus a solid HATCH.
- ``Straßenverkehr`` / ``Weg`` / ``Platz`` by ``art``; street names as TEXT on ``Straßennamen``.
- ``Nutzung_<Klasse>`` for the land-use classes, e.g. ``Nutzung_Wohnbaufläche``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

__all__ = ["write", "BUILDING_LAYERS", "ROAD_LAYERS", "LANDUSE_LAYERS", "PARCEL_LAYER"]

PARCEL_LAYER = "Flurstücke"
NUMBER_LAYER = "Flurstücksnummern Gemarkung {gem} Flur {flur:03d}"
STREET_NAME_LAYER = "Straßennamen"
BUILDING_LAYERS = {"haupt": "Gebäude_Wohnen", "neben": "Gebäude_Nebengebäude",
                   "gewerbe": "Gebäude_Gewerbe", "sonstige": "Gebäude_Sonstige"}
ROAD_LAYERS = {"strassenverkehr": "Straßenverkehr", "weg": "Weg", "platz": "Platz"}
LANDUSE_LAYERS = {
    "wohnbau": "Nutzung_Wohnbaufläche",
    "gemischt": "Nutzung_Fläche gemischter Nutzung",
    "oeffentlich": "Nutzung_Fläche besonderer funktionaler Prägung",
    "gewerbe": "Nutzung_Industrie- und Gewerbefläche",
    "gruen": "Nutzung_Sport-, Freizeit- und Erholungsfläche",
    "wald": "Nutzung_Wald",
    "landwirtschaft": "Nutzung_Landwirtschaft",
    "gewaesser": "Nutzung_Gewässer",
    "bahn": "Nutzung_Bahnverkehr",
    "verkehr": "Nutzung_Verkehr",
    "sonstige": "Nutzung_Sonstige",
}
_COLORS = {PARCEL_LAYER: 7, "Gebäude_Wohnen": 1, "Gebäude_Nebengebäude": 3, "Gebäude_Gewerbe": 6,
           "Gebäude_Sonstige": 8, "Straßenverkehr": 9, "Weg": 9, "Platz": 9}
TEXT_HEIGHT = 1.0


class _Writer:
    def __init__(self, version: str) -> None:
        import ezdxf
        from ezdxf import units

        self.doc = ezdxf.new(version)
        self.r12 = self.doc.dxfversion <= "AC1009"
        if not self.r12:
            self.doc.units = units.M
        self.msp = self.doc.modelspace()

    def layer(self, name: str, color: int = 7) -> str:
        if name not in self.doc.layers:
            self.doc.layers.add(name, color=color)
        return name

    def polygon(self, geom, layer: str, *, hatch: bool) -> None:
        for poly in getattr(geom, "geoms", [geom]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            ext = [(x, y) for x, y, *_ in poly.exterior.coords[:-1]]
            attribs = {"layer": layer}
            if self.r12:
                self.msp.add_polyline2d(ext, close=True, dxfattribs=attribs)
                continue
            self.msp.add_lwpolyline(ext, close=True, dxfattribs=attribs)
            if hatch or len(poly.interiors):
                h = self.msp.add_hatch(color=256, dxfattribs=attribs)
                h.paths.add_polyline_path(ext, is_closed=True, flags=1)
                for ring in poly.interiors:
                    h.paths.add_polyline_path([(x, y) for x, y, *_ in ring.coords[:-1]],
                                              is_closed=True, flags=16)

    def text(self, text: str, point, layer: str) -> None:
        from ezdxf.enums import TextEntityAlignment

        t = self.msp.add_text(text, height=TEXT_HEIGHT, dxfattribs={"layer": layer})
        t.set_placement((point.x, point.y), align=TextEntityAlignment.MIDDLE_CENTER)


def _number_text(row) -> str | None:
    kennz = str(row.flstkennz)
    if int(row.zaehler) <= 0:
        return None
    if len(kennz) == 20 and kennz[18:] != "__":
        return kennz
    return f"{int(row.zaehler)}" if pd.isna(row.nenner) else f"{int(row.zaehler)}/{int(row.nenner)}"


def write(path: Path, *, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame,
          roads: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame, version: str = "R2018") -> None:
    """Write the four canonical frames to *path*; see the module docstring for the layers."""
    w = _Writer(version)
    # land use first, so parcels and buildings are drawn on top
    for nutzung, group in landuse.groupby("nutzung", sort=True):
        layer = w.layer(LANDUSE_LAYERS.get(nutzung, LANDUSE_LAYERS["sonstige"]), 30)
        for geom in group.geometry.values:
            w.polygon(geom, layer, hatch=False)
    name_layer = None
    for art, group in roads.groupby("art", sort=True):
        layer = w.layer(ROAD_LAYERS.get(art, "Straßenverkehr"), 9)
        names = group["name"] if "name" in group else pd.Series("", index=group.index)
        for geom, name in zip(group.geometry.values, names):
            w.polygon(geom, layer, hatch=False)
            if isinstance(name, str) and name.strip():
                name_layer = name_layer or w.layer(STREET_NAME_LAYER, 5)
                w.text(name.strip(), geom.representative_point(), name_layer)
    w.layer(PARCEL_LAYER, 7)
    for row in parcels.itertuples(index=False):
        w.polygon(row.geometry, PARCEL_LAYER, hatch=False)
        text = _number_text(row)
        if text is None:
            continue
        kennz = str(row.flstkennz)
        layer = w.layer(NUMBER_LAYER.format(gem=kennz[:6], flur=int(row.flur)), 2)
        w.text(text, row.geometry.representative_point(), layer)
    for kategorie, group in buildings.groupby("kategorie", sort=True):
        layer = w.layer(BUILDING_LAYERS.get(kategorie, "Gebäude_Sonstige"),
                        _COLORS.get(BUILDING_LAYERS.get(kategorie, ""), 8))
        for geom in group.geometry.values:
            w.polygon(geom, layer, hatch=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    w.doc.saveas(path)
