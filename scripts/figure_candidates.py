"""Render the documentation figure of one street block: front zones, rear building line, candidates.

    python scripts/figure_candidates.py [--config data/raw/sample/config.yml] [--out docs/kandidaten_block.png]

Generates the sample district first if the config does not exist.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from nachverdichtung.candidates import derive_candidates  # noqa: E402
from nachverdichtung.config import load_config  # noqa: E402
from nachverdichtung.layers import load_layers  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=Path("data/raw/sample/config.yml"))
    ap.add_argument("--out", type=Path, default=Path("docs/kandidaten_block.png"))
    args = ap.parse_args()
    if not args.config.exists():
        from nachverdichtung.sample import generate_sample

        generate_sample(args.config.parent)
    config = load_config(args.config)
    layers = load_layers(config)
    res = derive_candidates(layers, config.candidates)
    areas = res.areas
    # the block with the most candidates and at least one merged interior if possible
    score = areas.groupby("block_id").agg(n=("flaeche_m2", "size"), multi=("anzahl_flurstuecke", "max"))
    score = score[score.index >= 0]
    block_id = int((score["n"] + 5 * (score["multi"] > 1)).idxmax())
    block = res.blocks.set_index("block_id").geometry[block_id]
    view = block.buffer(15)
    xmin, ymin, xmax, ymax = view.bounds

    def clip(gdf):
        return gdf[gdf.intersects(view)]

    fig, ax = plt.subplots(figsize=(9, 9 * (ymax - ymin) / (xmax - xmin)), dpi=110)
    clip(layers.roads).plot(ax=ax, color="#d9d9d9", edgecolor="none")
    zones = shapely.intersection(np.asarray(res.streets["vorderzone"].array), view)
    ax.add_collection(_patches(zones, facecolor="#fff3c4", edgecolor="none", alpha=0.8))
    for geom, depth in zip(res.streets.geometry, res.streets["baulinie_m"]):
        line = shapely.intersection(shapely.buffer(geom, depth).exterior if geom.geom_type == "Polygon"
                                    else shapely.boundary(shapely.buffer(geom, depth)), view)
        for part in shapely.get_parts(line):
            if part.geom_type in ("LineString", "LinearRing"):
                ax.plot(*part.xy, color="#b2182b", lw=1.4, ls="--")
    clip(layers.parcels).boundary.plot(ax=ax, color="#7f7f7f", lw=0.5)
    b = clip(layers.buildings)
    colors = {"haupt": "#4d4d4d", "neben": "#a6a6a6", "gewerbe": "#8c6d31", "sonstige": "#666666"}
    b.plot(ax=ax, color=[colors.get(k, "#666") for k in b["kategorie"]], edgecolor="black", lw=0.3)
    cand = clip(areas)
    cand.plot(ax=ax, facecolor="#1a9641", edgecolor="#0b4d1f", alpha=0.55, lw=1.0)
    for idx, row in cand.iterrows():
        p = row.geometry.representative_point()
        ax.annotate(idx, (p.x, p.y), fontsize=6.5, ha="center", va="center")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title("Vorderzonen, hintere Baulinie und Potenzialflächen (ein Straßenblock)", fontsize=11)
    ax.legend(handles=[
        Patch(facecolor="#fff3c4", label="Vorderzone (Baulinie + 3 m)"),
        Line2D([0], [0], color="#b2182b", ls="--", label="faktische hintere Baulinie je Straße"),
        Patch(facecolor="#4d4d4d", label="Hauptgebäude"), Patch(facecolor="#a6a6a6", label="Nebengebäude"),
        Patch(facecolor="#1a9641", alpha=0.55, label="Potenzialfläche (Id)"),
    ], loc="lower left", fontsize=7, framealpha=0.9)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, bbox_inches="tight")
    print(f"{args.out}: Block {block_id}, {len(cand)} Flächen")


def _patches(geoms, **kw):
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    patches = []
    for g in shapely.get_parts(np.asarray(geoms, dtype=object)):
        for poly in shapely.get_parts(g):
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
            verts = np.concatenate(rings)
            codes = np.concatenate([[MPath.MOVETO] + [MPath.LINETO] * (len(r) - 2) + [MPath.CLOSEPOLY] for r in rings])
            patches.append(PathPatch(MPath(verts, codes)))
    return PatchCollection(patches, **kw)


if __name__ == "__main__":
    main()
