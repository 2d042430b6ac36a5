"""Write the sample district as ALKIS DXF in the styles surveying offices export, with ezdxf.

Deliberately independent of the project's own writer (``nachverdichtung.io.dxf_write``): these
files stand for what a user receives. Each style takes the validated layers of the Shapefile run
(parcels with flstkennz/gemarkung/flur/zaehler/nenner, buildings with funktion, roads with art
and name, land use with nutzung) and writes one file:

- ``german``: German layer names, parcel boundaries as single LINE segments, numbers "Z/N" as
  TEXT at the representative point, "Flur N" / "Gemarkung ..." texts, Flur and Gemarkung
  boundaries, buildings by Signaturenkatalog groups, street names as texts.
- ``objektarten``: ``AX_*`` layer names, closed polylines, attributes in XDATA (Kennzeichen,
  gebaeudefunktion, objektart, street name), plus ``AX_BesondereFlurstuecksgrenze`` lines.
- ``blocks``: like german (closed polylines), but numbers as blocks with ZAEHLER/NENNER attributes (odd parcels) or
  as fractions (texts above and below a Bruchstrich; even parcels).
- ``arrows``: like german (closed polylines), but numbers of small parcels placed outside: in the neighbour with a
  Zuordnungspfeil (every other one) or beside the parcel without an arrow.
- ``shortened``: like german (closed polylines), coordinates reduced by (dx, dy).
"""

from __future__ import annotations

import ezdxf
import numpy as np
import pandas as pd
import shapely

FUNCTION_GROUPS = (  # Gebäudefunktion → Signaturenkatalog group layer [U]
    ("Wohngebäude", lambda f: ((f >= 1000) & (f <= 1223)) | np.isin(f, (2310, 2320))),
    ("Nebengebäude", lambda f: np.isin(f, (1313, 2723, 2740)) | ((f >= 2460) & (f <= 2465))),
    ("Gebäude für Wirtschaft oder Gewerbe", lambda f: (f >= 2000) & (f <= 2999)),
    ("Gebäude für öffentliche Zwecke", lambda f: f >= 0),
)
LANDUSE_GERMAN = {
    "wohnbau": "Wohnbaufläche", "gemischt": "Fläche gemischter Nutzung",
    "oeffentlich": "Fläche besonderer funktionaler Prägung", "gewerbe": "Industrie- und Gewerbefläche",
    "gruen": "Sport-, Freizeit- und Erholungsfläche", "wald": "Wald", "landwirtschaft": "Landwirtschaft",
    "bahn": "Bahnverkehr", "gewaesser": "Fließgewässer", "sonstige": "Unland",
}
ROADS_GERMAN = {"strassenverkehr": "Straßenverkehr", "weg": "Weg", "platz": "Platz"}
ROADS_AX = {"strassenverkehr": "AX_Strassenverkehr", "weg": "AX_Weg", "platz": "AX_Platz"}
LANDUSE_AX = {
    "wohnbau": "AX_Wohnbauflaeche", "gemischt": "AX_FlaecheGemischterNutzung",
    "oeffentlich": "AX_FlaecheBesondererFunktionalerPraegung",
    "gewerbe": "AX_IndustrieUndGewerbeflaeche", "gruen": "AX_SportFreizeitUndErholungsflaeche",
    "wald": "AX_Wald", "landwirtschaft": "AX_Landwirtschaft", "bahn": "AX_Bahnverkehr",
    "gewaesser": "AX_Fliessgewaesser", "sonstige": "AX_UnlandVegetationsloseFlaeche",
}
SMALL_M2 = 400.0  # parcels below this (98 of 1,433 in the sample) get their number outside ("arrows")


def _rings(geom):
    polys = getattr(geom, "geoms", [geom])
    for p in polys:
        yield p.exterior
        yield from p.interiors


def _polyline(msp, ring, layer, shift, **attribs):
    pts = np.asarray(ring.coords)[:-1] - shift
    return msp.add_lwpolyline(pts.tolist(), close=True, dxfattribs={"layer": layer, **attribs})


def _text(msp, s, xy, layer, shift, height=1.0, align="MIDDLE_CENTER"):
    t = msp.add_text(s, height=height, dxfattribs={"layer": layer})
    t.set_placement((xy[0] - shift[0], xy[1] - shift[1]), align=ezdxf.enums.TextEntityAlignment[align])
    return t


def _number(z, n) -> str:
    return f"{int(z)}" if pd.isna(n) else f"{int(z)}/{int(n)}"


def boundary_segments(geoms) -> np.ndarray:
    """Every parcel boundary segment once (shared boundaries drawn once), as (n, 2, 2)."""
    coords = []
    for g in geoms:
        for ring in _rings(g):
            c = np.asarray(ring.coords)
            coords.append(np.stack([c[:-1], c[1:]], axis=1))
    seg = np.concatenate(coords)
    key = np.round(seg, 3)
    flip = (key[:, 0, 0] > key[:, 1, 0]) | ((key[:, 0, 0] == key[:, 1, 0]) & (key[:, 0, 1] > key[:, 1, 1]))
    key[flip] = key[flip][:, ::-1]
    _, idx = np.unique(key.reshape(len(key), 4), axis=0, return_index=True)
    return seg[np.sort(idx)]


def _district_labels(msp, parcels, shift):
    """Flur / Gemarkung boundaries (lines) and labels ("Flur 3", "Gemarkung ... (2566)")."""
    for (gem, flur), grp in parcels.groupby(["gemarkung", "flur"]):
        area = shapely.union_all(grp.geometry.to_numpy(), grid_size=0.001)
        for ring in _rings(area):
            c = np.asarray(ring.coords) - shift
            msp.add_lwpolyline(c.tolist(), dxfattribs={"layer": "Flurgrenze"})
        for part in getattr(area, "geoms", [area]):  # a Flur cut by streets: a label per part
            if part.area > 100:
                _text(msp, f"Flur {int(flur)}", shapely.point_on_surface(part).coords[0], "Flur", shift, 3.0)
    for gem, grp in parcels.groupby("gemarkung"):
        area = shapely.union_all(grp.geometry.to_numpy(), grid_size=0.001)
        for ring in _rings(area):
            c = np.asarray(ring.coords) - shift
            msp.add_lwpolyline(c.tolist(), dxfattribs={"layer": "Gemarkungsgrenze"})
        for part in getattr(area, "geoms", [area]):
            if part.area > 100:
                pos = shapely.point_on_surface(part.buffer(-1.0))
                _text(msp, f"Gemarkung Musterdorf ({gem})", pos.coords[0], "Gemarkung", shift, 4.0)


def _german_context(msp, layers, shift):
    """Buildings, roads with names, land use: German layer names, closed polylines."""
    b = layers.buildings
    fun = b["funktion"].to_numpy()
    done = np.zeros(len(b), bool)
    for layer, test in FUNCTION_GROUPS:
        sel = test(fun) & ~done
        done |= sel
        for g in b.geometry[sel]:
            for ring in _rings(g):
                _polyline(msp, ring, layer, shift)
    for art, name, g in zip(layers.roads["art"], layers.roads["name"], layers.roads.geometry):
        for ring in _rings(g):
            _polyline(msp, ring, ROADS_GERMAN[art], shift)
        for part in getattr(g, "geoms", [g]) if name else []:  # a name on every road polygon
            _text(msp, name, shapely.point_on_surface(part).coords[0], "Straßennamen", shift, 2.0)
    for nutzung, g in zip(layers.landuse["nutzung"], layers.landuse.geometry):
        if nutzung == "verkehr":
            continue  # the road layers are the traffic land use
        for ring in _rings(g):
            _polyline(msp, ring, LANDUSE_GERMAN[nutzung], shift)


def write_german(path, layers, *, numbers="text", shift=(0.0, 0.0), lines=True):
    """Style ``german`` (numbers="text"), ``blocks`` ("blocks") or ``arrows`` ("arrows").

    *lines*: parcels as single boundary LINEs (layer Flurstücksgrenze), else as closed
    polylines (layer Flurstücke)."""
    shift = np.asarray(shift, dtype=float)
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    p = layers.parcels
    if lines:
        for (x0, y0), (x1, y1) in boundary_segments(p.geometry.to_numpy()):
            msp.add_line((x0 - shift[0], y0 - shift[1]), (x1 - shift[0], y1 - shift[1]),
                         dxfattribs={"layer": "Flurstücksgrenze"})
    else:
        for g in p.geometry:
            for ring in _rings(g):
                _polyline(msp, ring, "Flurstücke", shift)
    _district_labels(msp, p, shift)
    if numbers == "blocks":
        _numbers_blocks(doc, msp, p, shift)
    elif numbers == "arrows":
        _numbers_arrows(msp, p, shift)
    else:
        for z, n, g in zip(p["zaehler"], p["nenner"], p.geometry):
            _text(msp, _number(z, n), shapely.point_on_surface(g).coords[0], "Flurstücksnummer", shift)
    _german_context(msp, layers, shift)
    doc.saveas(path)
    return path


def _numbers_blocks(doc, msp, p, shift):
    """Odd positions: block FLST with ZAEHLER/NENNER; even: fraction texts + Bruchstrich."""
    blk = doc.blocks.new("FLST_NR")
    blk.add_attdef("ZAEHLER", (0, 0.2), height=1.0)
    blk.add_attdef("NENNER", (0, -1.2), height=1.0)
    for i, (z, n, g) in enumerate(zip(p["zaehler"], p["nenner"], p.geometry)):
        x, y = shapely.point_on_surface(g).coords[0]
        x, y = x - shift[0], y - shift[1]
        if i % 2:
            ref = msp.add_blockref("FLST_NR", (x, y), dxfattribs={"layer": "Flurstücksnummer"})
            ref.add_auto_attribs({"ZAEHLER": str(int(z)), "NENNER": "" if pd.isna(n) else str(int(n))})
        elif pd.isna(n):
            msp.add_text(str(int(z)), height=1.0, dxfattribs={"layer": "Flurstücksnummer", "insert": (x - 0.5, y - 0.5)})
        else:
            msp.add_text(str(int(z)), height=1.0, dxfattribs={"layer": "Flurstücksnummer", "insert": (x - 0.5, y + 0.15)})
            msp.add_line((x - 0.8, y), (x + 0.8, y), dxfattribs={"layer": "Flurstücksnummer"})
            msp.add_text(str(int(n)), height=1.0, dxfattribs={"layer": "Flurstücksnummer", "insert": (x - 0.3, y - 1.15)})


def _numbers_arrows(msp, p, shift):
    """Numbers of parcels below SMALL_M2 outside: in the largest neighbour with an arrow (even
    positions) or 2 m beyond the parcel's boundary, outside all parcels if possible, without one."""
    geoms = p.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    union = shapely.union_all(geoms, grid_size=0.001)
    small = shapely.area(geoms) < SMALL_M2
    for i, (z, n, g) in enumerate(zip(p["zaehler"], p["nenner"], geoms)):
        label = _number(z, n)
        inner = shapely.point_on_surface(g)
        if not small[i]:
            _text(msp, label, inner.coords[0], "Flurstücksnummer", shift)
            continue
        neigh = [j for j in tree.query(g.buffer(0.05)) if j != i and not small[j]]
        if i % 2 == 0 and neigh:
            j = max(neigh, key=lambda k: shapely.area(geoms[k]))
            # a point in the neighbour, 3 m from the small parcel, and the arrow into the parcel
            ring = geoms[j].intersection(g.buffer(3.0).exterior.buffer(0.2))
            if not ring.is_empty:
                pos = shapely.point_on_surface(ring)
                _text(msp, label, pos.coords[0], "Flurstücksnummer", shift)
                a = np.array(pos.coords[0]) - shift
                b = np.array(inner.coords[0]) - shift
                msp.add_lwpolyline([a.tolist(), b.tolist()], dxfattribs={"layer": "Zuordnungspfeil"})
                continue
        outside = g.buffer(2.0).exterior.difference(union)
        if outside.is_empty:
            _text(msp, label, inner.coords[0], "Flurstücksnummer", shift)  # enclosed: inside
            continue
        pos = shapely.point_on_surface(outside)
        _text(msp, label, pos.coords[0], "Flurstücksnummer", shift)


def write_objektarten(path, layers):
    """Style ``objektarten``: AX_* layers, closed polylines, XDATA attributes."""
    doc = ezdxf.new("R2018")
    doc.appids.add("NAS2DXF")
    msp = doc.modelspace()
    zero = np.zeros(2)
    p = layers.parcels
    for kennz, g in zip(p["flstkennz"], p.geometry):
        for ring in _rings(g):
            e = _polyline(msp, ring, "AX_Flurstueck", zero)
            e.set_xdata("NAS2DXF", [(1000, "flurstueckskennzeichen"), (1000, kennz)])
    for (gem, flur), grp in p.groupby(["gemarkung", "flur"]):
        area = shapely.union_all(grp.geometry.to_numpy(), grid_size=0.001)
        for ring in _rings(area):  # Flur boundary as special boundary segments
            msp.add_lwpolyline(np.asarray(ring.coords).tolist(), dxfattribs={"layer": "AX_BesondereFlurstuecksgrenze"})
    for fun, g in zip(layers.buildings["funktion"], layers.buildings.geometry):
        for ring in _rings(g):
            e = _polyline(msp, ring, "AX_Gebaeude", zero)
            e.set_xdata("NAS2DXF", [(1000, "gebaeudefunktion"), (1070, int(fun))])
    for art, name, g in zip(layers.roads["art"], layers.roads["name"], layers.roads.geometry):
        for ring in _rings(g):
            e = _polyline(msp, ring, ROADS_AX[art], zero)
            if name:
                e.set_xdata("NAS2DXF", [(1000, f"name={name}")])
    for nutzung, g in zip(layers.landuse["nutzung"], layers.landuse.geometry):
        if nutzung == "verkehr":
            continue
        for ring in _rings(g):
            _polyline(msp, ring, LANDUSE_AX[nutzung], zero)
    doc.saveas(path)
    return path
