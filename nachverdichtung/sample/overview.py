"""Overview map of a generated sample district (matplotlib PNG)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import shapely  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

COLOURS = {
    "ax_wohnbauflaeche": "#f4d6c6", "ax_flaechegemischternutzung": "#e8b8b8",
    "ax_industrieundgewerbeflaeche": "#c9b6d6", "ax_sportfreizeitunderholungsflaeche": "#b9e3a6",
    "ax_wald": "#6fa86a", "ax_landwirtschaft": "#eef0c2", "ax_bahnverkehr": "#b0b0b0",
}


def render_overview(sample_dir: str | Path, png: str | Path, *, dpi: int = 110) -> Path:
    """Render land use, roads, parcels, buildings, candidates and planted cases of tile 0."""
    d = Path(sample_dir)
    gpkg = d / "alkis.gpkg"
    fig, ax = plt.subplots(figsize=(13, 11.5))
    for layer, colour in COLOURS.items():
        gpd.read_file(gpkg, layer=layer).plot(ax=ax, color=colour, linewidth=0)
    roads = {k: gpd.read_file(gpkg, layer=k) for k in ("ax_strassenverkehr", "ax_weg", "ax_platz")}
    roads["ax_strassenverkehr"].plot(ax=ax, color="#ffffff", edgecolor="#9a9a9a", linewidth=0.3)
    roads["ax_weg"].plot(ax=ax, color="#f7f3e8", edgecolor="#b59a6a", linewidth=0.3)
    roads["ax_platz"].plot(ax=ax, color="#e6e0d0", edgecolor="#9a9a9a", linewidth=0.3)
    gpd.read_file(d / "bahn.gpkg").plot(ax=ax, color="#333333", linewidth=1.0)
    gpd.read_file(d / "fliesswege.gpkg").plot(ax=ax, color="#2b6fd6", linewidth=0.9)
    gpd.read_file(gpkg, layer="ax_flurstueck").boundary.plot(ax=ax, color="#7a6a5a", linewidth=0.15)
    b = gpd.read_file(gpkg, layer="ax_gebaeude")
    main = b["gebaeudefunktion"].between(1000, 1223)
    b[main].plot(ax=ax, color="#b03a2e", linewidth=0)
    b[b["gebaeudefunktion"] == 2000].plot(ax=ax, color="#5b4a8a", linewidth=0)
    b[~main & (b["gebaeudefunktion"] != 2000)].plot(ax=ax, color="#7f7f7f", linewidth=0)
    gpd.read_file(d / "schutzgebiete.gpkg").boundary.plot(ax=ax, color="#1e8449", linewidth=0.8, linestyle="--")
    klima = gpd.read_file(d / "klima.gpkg")
    klima[klima["funktion"] == "kaltluftleitbahn"].boundary.plot(ax=ax, color="#3498db", linewidth=0.8,
                                                                 linestyle=":")
    gt = json.loads((d / "ground_truth.json").read_text(encoding="utf-8"))
    settlement = gpd.read_file(d / "innenbereich.gpkg")
    xmin, ymin, xmax, ymax = settlement.total_bounds
    cands = gpd.GeoSeries.from_wkt([c["wkt"] for c in gt["expected_candidates"]], crs=settlement.crs)
    cands = cands[cands.intersects(shapely.box(xmin, ymin, xmax, ymax))]
    cands.boundary.plot(ax=ax, color="#e67e22", linewidth=0.9)
    settlement.boundary.plot(ax=ax, color="#000000", linewidth=0.6, linestyle="-.")
    for case in gt["planted"]:
        g = shapely.from_wkt(case["wkt"])
        gpd.GeoSeries([g]).plot(ax=ax, color="#f1c40f", alpha=0.7, edgecolor="#000000", linewidth=0.8)
        c = g.representative_point()
        ax.annotate(case["case"], (c.x, c.y), xytext=(c.x + 25, c.y + 25), fontsize=7.5,
                    arrowprops={"arrowstyle": "-", "linewidth": 0.6},
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.85, "lw": 0.4})
    handles = [Patch(color=c, label=n.replace("ax_", "")) for n, c in COLOURS.items()] + [
        Patch(color="#b03a2e", label="Hauptgebäude"), Patch(color="#5b4a8a", label="Gewerbe (2000)"),
        Patch(color="#7f7f7f", label="Nebengebäude"),
        Line2D([], [], color="#e67e22", label="erwartete Potenzialfläche"),
        Patch(color="#f1c40f", label="Testfall (planted)"), Line2D([], [], color="#2b6fd6", label="Fließweg"),
        Line2D([], [], color="#1e8449", linestyle="--", label="Schutzgebiet"),
        Line2D([], [], color="#3498db", linestyle=":", label="Kaltluftleitbahn"),
        Line2D([], [], color="#000000", linestyle="-.", label="Innenbereich")]
    ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9, ncol=2)
    ax.set_xlim(xmin - 250, xmax + 250)
    ax.set_ylim(ymin - 150, ymax + 250)
    ax.set_aspect("equal")
    ax.set_title(f"Sample district (seed {gt['seed']}, {gt['n_parcels']} parcels, "
                 f"{len(gt['expected_candidates'])} expected candidates) - EPSG:25832", fontsize=10)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=dpi)
    plt.close(fig)
    return Path(png)
