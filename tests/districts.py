"""Tiny hand-made districts in EPSG:25832 whose results can be worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from nachverdichtung.layers import Layers, building_category

CRS = "EPSG:25832"
X0, Y0 = 410_000.0, 5_478_000.0


def kennz(zaehler: int, nenner: int = 0, flur: int = 1, gemarkung: str = "2566") -> str:
    """A 20-character flstkennz."""
    return f"07{gemarkung}{flur:03d}{zaehler:05d}{nenner:04d}__"


def make_layers(parcels, buildings, roads, landuse=None, *, funktion=None, road_names=None, **vectors) -> Layers:
    """Build validated-looking :class:`Layers` from lists of shapely polygons.

    ``buildings`` default to residential main buildings (1010) unless ``funktion`` gives codes.
    ``landuse`` defaults to one residential polygon covering all parcels; ``settlement`` (Innenbereich)
    defaults to a box around everything (``settlement=None``: no layer, so it is derived).
    """
    p = gpd.GeoDataFrame({"flstkennz": [kennz(i + 1) for i in range(len(parcels))]}, geometry=list(parcels), crs=CRS)
    p["gemarkung"] = "2566"
    p["flur"] = pd.array([1] * len(p), dtype="Int64")
    p["zaehler"] = pd.array(range(1, len(p) + 1), dtype="Int64")
    p["nenner"] = pd.array([pd.NA] * len(p), dtype="Int64")
    p["flaeche_amtlich"] = shapely.area(np.asarray(parcels, dtype=object))
    f = pd.Series(funktion if funktion is not None else [1010] * len(buildings), dtype=int)
    b = gpd.GeoDataFrame({"funktion": f, "geschosse": pd.array([2] * len(buildings), dtype="Int64"),
                          "kategorie": building_category(f)}, geometry=list(buildings), crs=CRS)
    r = gpd.GeoDataFrame({"art": ["strassenverkehr"] * len(roads),
                          "name": road_names or [f"Straße {i + 1}" for i in range(len(roads))]},
                         geometry=list(roads), crs=CRS)
    if landuse is None:
        landuse = [shapely.union_all(list(parcels)).buffer(0.5)]
    lu = gpd.GeoDataFrame({"nutzung": ["wohnbau"] * len(landuse)}, geometry=list(landuse), crs=CRS)
    if "settlement" not in vectors:  # hand-made districts lie inside the Innenbereich unless a test says otherwise
        extent = shapely.box(*shapely.bounds(shapely.union_all(list(parcels) + list(roads))))
        vectors["settlement"] = gpd.GeoDataFrame(geometry=[extent.buffer(50.0)], crs=CRS)
    elif vectors["settlement"] is None:  # settlement=None: no layer (derived or none, as configured)
        del vectors["settlement"]
    return Layers(parcels=p, buildings=b, roads=r, landuse=lu, crs=CRS, vectors=dict(vectors))


def street_row(n: int = 6, *, width: float = 20.0, depth: float = 60.0, house_depth: float = 12.0,
               front: float = 5.0):
    """``n`` parcels north of an east-west street, each with a 10 m wide house ``front`` m behind the street.

    Returns (parcels, buildings, roads). The street occupies y in [Y0 - 10, Y0].
    """
    parcels = [shapely.box(X0 + width * i, Y0, X0 + width * (i + 1), Y0 + depth) for i in range(n)]
    houses = [shapely.box(X0 + width * i + (width - 10) / 2, Y0 + front, X0 + width * i + (width + 10) / 2,
                          Y0 + front + house_depth) for i in range(n)]
    road = shapely.box(X0 - 20, Y0 - 10, X0 + width * n + 20, Y0)
    return parcels, houses, [road]
