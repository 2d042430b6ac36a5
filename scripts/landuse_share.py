"""Share of candidate area on non-eligible land use, from a written result and an ALKIS GeoPackage.

Usage::

    python scripts/landuse_share.py <alkis.gpkg> <nachverdichtung.gpkg> [--rules-public]

Reads the ``ax_*`` land-use layers of the delivery (object type = layer name, codes from the
fields), judges them with the default rule table of :mod:`nachverdichtung.landuse` and prints the
number and area of the candidate areas (layer ``bewertung``), the area on non-eligible land use,
its share and the land uses it lies on, and the class mix. Works on results of any version of
the tool (it only reads the written GeoPackage), so "before" and "after" can be compared.
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from nachverdichtung.landuse import OBJEKTARTEN, eligibility, resolve_rules


def read_landuse(alkis_gpkg: str) -> gpd.GeoDataFrame:
    frames = []
    for layer in pyogrio.list_layers(alkis_gpkg)[:, 0]:
        if layer not in OBJEKTARTEN:
            continue
        g = gpd.read_file(alkis_gpkg, layer=layer)
        g["objektart"] = layer
        frames.append(g)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("alkis_gpkg")
    ap.add_argument("result_gpkg")
    ap.add_argument("--rules-public", action="store_true", help="public facilities eligible")
    a = ap.parse_args(argv)
    lu = read_landuse(a.alkis_gpkg)
    ok, label = eligibility(lu, resolve_rules(public_facilities=a.rules_public))
    areas = gpd.read_file(a.result_gpkg, layer="bewertung")
    A = np.asarray(areas.geometry.array, dtype=object)
    G = np.asarray(lu.geometry.array, dtype=object)
    ai, lj = shapely.STRtree(G).query(A, predicate="intersects")
    inter = shapely.area(shapely.intersection(A[ai], G[lj]))
    bad = ~ok[lj]
    total = float(shapely.area(A).sum())
    on_bad = float(inter[bad].sum())
    print(f"Flächen: {len(A)}, zusammen {total / 1e4:.2f} ha")
    print(f"davon auf nicht zulässiger Nutzung: {on_bad:.1f} m² = {100 * on_bad / max(total, 1e-9):.2f} %")
    by = pd.Series(inter[bad]).groupby(label[lj][bad]).sum().sort_values(ascending=False)
    for name, m2 in by.items():
        if m2 >= 1.0:
            print(f"  {name}: {m2:.0f} m² ({100 * m2 / total:.2f} %)")
    if "klasse" in areas:
        print("Klassen:", areas["klasse"].value_counts().to_dict())


if __name__ == "__main__":
    main()
