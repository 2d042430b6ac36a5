"""Static figures for the report: overview map, class bar chart, histograms, fact-sheet snippets.

Everything is drawn with matplotlib's object API on the Agg canvas (no pyplot state) and returned
as PNG bytes, so the HTML can embed them as base64 and the PDF can place them directly.

Fact-sheet snippets are the hot path (one per area): :class:`SnippetRenderer` converts every
context geometry into a matplotlib path once, finds the features around an area with an STRtree
and redraws one reused figure.
"""

from __future__ import annotations

import io
import math

import numpy as np
import shapely
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from ..criteria.base import BEDINGT, GEEIGNET, KLASSEN, NICHT, UNBEWERTET

__all__ = ["CLASS_COLORS", "SnippetRenderer", "class_bar_chart", "criterion_histogram", "overview_map",
           "geometry_paths", "tornado_chart"]

#: Class colours shared by all figures and the HTML/PDF marks (colour-blind safe traffic light).
CLASS_COLORS = {GEEIGNET: "#1a9850", BEDINGT: "#f39c12", NICHT: "#d73027", UNBEWERTET: "#9e9e9e"}
PARCEL_EDGE = "#9a9a9a"
BUILDING_FILL = "#7f7f7f"
ROAD_FILL = "#ece6d6"
FONT = "DejaVu Sans"


#: Outline colour of the Innenbereich boundary (the web map uses the same violet).
SETTLEMENT_EDGE = "#7a3e9d"


def _png(fig: Figure, dpi: float, *, tight: bool = False, colors: int = 0) -> bytes:
    """PNG bytes of ``fig``; with ``colors`` a palette PNG (about 3× smaller for maps)."""
    if colors:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from PIL import Image

        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        fig.set_dpi(dpi)
        canvas.draw()
        img = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
        out = io.BytesIO()
        img.quantize(colors=colors, method=Image.Quantize.FASTOCTREE).save(out, format="PNG")
        return out.getvalue()
    buf = io.BytesIO()
    extra = {"bbox_inches": "tight", "pad_inches": 0.04} if tight else {}
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", **extra)
    return buf.getvalue()


def geometry_paths(geoms) -> list[MplPath]:
    """One matplotlib path per (multi)polygon, holes included (even-odd via ring orientation)."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[MplPath] = [MplPath(np.zeros((0, 2)))] * len(geoms)
    if len(geoms) == 0:
        return out
    # all rings of all polygons in one pass: coordinates with the owning geometry and ring
    polys, gidx = shapely.get_parts(geoms, return_index=True)
    # exterior counter-clockwise, holes clockwise: holes stay empty under the nonzero fill rule
    polys = shapely.orient_polygons(polys)
    rings, pidx = shapely.get_rings(polys, return_index=True)
    coords, ridx = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(np.diff(ridx)) + 1] if len(ridx) else np.zeros(0, dtype=int)
    codes[starts] = MplPath.MOVETO
    ends = np.r_[starts[1:] - 1, len(coords) - 1] if len(starts) else starts
    codes[ends] = MplPath.CLOSEPOLY
    owner = gidx[pidx[ridx]] if len(ridx) else np.zeros(0, dtype=int)
    bounds = np.r_[0, np.flatnonzero(np.diff(owner)) + 1, len(owner)] if len(owner) else np.zeros(1, dtype=int)
    for a, b in zip(bounds[:-1], bounds[1:]):
        out[owner[a]] = MplPath(coords[a:b], codes[a:b])
    return out


def _collection(paths, **kw) -> PathCollection:
    return PathCollection(paths, **kw)


def overview_map(areas, parcels, buildings, roads, *, numbers=None, settlement=None, width_in: float = 7.0,
                 max_height_in: float = 8.6, dpi: float = 150) -> bytes:
    """The whole study area with every candidate area coloured by its class.

    Parameters
    ----------
    areas
        Candidate areas with ``klasse`` (GeoDataFrame).
    parcels, buildings, roads
        Context layers (GeoDataFrames).
    numbers
        Optional running numbers printed on the areas (the fact-sheet numbers).
    settlement
        Optional Innenbereich (GeoDataFrame with ``quelle``), drawn as a dashed boundary.
    """
    geoms = [np.asarray(g.geometry.array, dtype=object) for g in (parcels, buildings, roads, areas)]
    ext = [g for g in geoms if len(g)]
    if ext:
        xmin, ymin, xmax, ymax = shapely.total_bounds(np.concatenate(ext))
    else:
        xmin, ymin, xmax, ymax = 0, 0, 1, 1
    pad = 0.02 * max(xmax - xmin, ymax - ymin, 1)
    xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    aspect = (ymax - ymin) / max(xmax - xmin, 1e-9)
    legend_h = 0.6
    h = min(max_height_in, width_in * aspect + legend_h)
    w = min(width_in, (h - legend_h) / max(aspect, 1e-9))
    fig = Figure(figsize=(width_in, h))
    ax = fig.add_axes((0.01 + (1 - w / width_in) / 2, legend_h / h, w / width_in - 0.02, 1 - legend_h / h - 0.01))
    ax.set_axis_off()
    ax.add_collection(_collection(geometry_paths(geoms[2]), facecolor=ROAD_FILL, edgecolor="none"))
    ax.add_collection(_collection(geometry_paths(geoms[0]), facecolor="none", edgecolor="#c4c4c4", linewidth=0.25))
    ax.add_collection(_collection(geometry_paths(geoms[1]), facecolor="#b0b0b0", edgecolor="none"))
    klasse = areas["klasse"].to_numpy(dtype=object) if len(areas) else np.array([], dtype=object)
    colors = [CLASS_COLORS.get(k, CLASS_COLORS[UNBEWERTET]) for k in klasse]
    ax.add_collection(_collection(geometry_paths(geoms[3]), facecolor=colors, edgecolor="#222222", linewidth=0.4))
    derived = None
    if settlement is not None and len(settlement):
        derived = bool((settlement["quelle"] == "abgeleitet").any())
        ax.add_collection(_collection(geometry_paths(np.asarray(settlement.geometry.array, dtype=object)),
                                      facecolor="none", edgecolor=SETTLEMENT_EDGE, linewidth=0.9, linestyle="--"))
    if numbers is not None and len(areas) and len(areas) <= 400:
        pts = shapely.get_coordinates(shapely.point_on_surface(geoms[3]))
        size = 5.5 if len(areas) > 60 else 7
        for (x, y), n in zip(pts, numbers):
            ax.text(x, y, str(n), fontsize=size, ha="center", va="center", family=FONT, color="black",
                    fontweight="bold")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    _scale_bar(ax, xmin, ymin, xmax, ymax, fontsize=7)
    counts = {k: int((klasse == k).sum()) for k in KLASSEN}
    handles = [Patch(facecolor=CLASS_COLORS[k], edgecolor="#222222", linewidth=0.4, label=f"{k} ({counts[k]})")
               for k in KLASSEN if counts[k] or k != UNBEWERTET]
    handles.append(Patch(facecolor="#b0b0b0", label="Gebäude"))
    if derived is not None:
        handles.append(Patch(facecolor="none", edgecolor=SETTLEMENT_EDGE, linestyle="--",
                             label="Innenbereich (abgeleitet)" if derived else "Innenbereich"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               prop={"family": FONT, "size": 7.5}, handlelength=1.2, columnspacing=1.2)
    return _png(fig, dpi, colors=128)


def _nice(length: float) -> float:
    """A round scale-bar length not longer than ``length`` (1, 2, 5 × 10^n)."""
    if length <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(length))
    return max(m * e for m in (1, 2, 5) if m * e <= length)


def _scale_bar(ax, xmin, ymin, xmax, ymax, *, fontsize: float = 6) -> None:
    span = xmax - xmin
    length = _nice(span / 5)
    x0 = xmin + 0.03 * span
    y0 = ymin + 0.03 * (ymax - ymin)
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=2, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length / 2, y0 + 0.012 * (ymax - ymin), label, ha="center", va="bottom", fontsize=fontsize,
            family=FONT)
    ax.annotate("N", xy=(xmax - 0.04 * span, ymax - 0.03 * (ymax - ymin)),
                xytext=(xmax - 0.04 * span, ymax - 0.11 * (ymax - ymin)), ha="center", va="center",
                fontsize=fontsize + 1, family=FONT, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1})


def class_bar_chart(counts: dict[str, int], *, dpi: float = 150) -> bytes:
    """Horizontal bar chart of the number of areas per class, with counts and shares."""
    labels = [k for k in KLASSEN if counts.get(k, 0) or k != UNBEWERTET]
    values = np.array([counts.get(k, 0) for k in labels], dtype=float)
    total = values.sum()
    fig = Figure(figsize=(6.3, 0.45 * len(labels) + 0.5))
    ax = fig.add_axes((0.24, 0.12, 0.7, 0.84))
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=[CLASS_COLORS[k] for k in labels], edgecolor="#333333", linewidth=0.5, height=0.65)
    ax.set_yticks(y, labels, family=FONT, fontsize=9)
    vmax = max(values.max() if len(values) else 0, 1)
    ax.set_xlim(0, vmax * 1.25)
    for yi, v in zip(y, values):
        share = f" ({v / total * 100:.0f} %)".replace(".", ",") if total else ""
        ax.text(v + vmax * 0.01, yi, f"{int(v)}{share}", va="center", fontsize=8.5, family=FONT)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("Anzahl Flächen", fontsize=8.5, family=FONT)
    return _png(fig, dpi, tight=True)


def criterion_histogram(values, klassen, *, xlabel: str, thresholds=(), integer: bool = False,
                        dpi: float = 130) -> bytes:
    """Distribution of a criterion's key value, stacked by the criterion's class, thresholds marked.

    Parameters
    ----------
    values
        The key measured value per area (NaN = not measured, left out).
    klassen
        The criterion's class per area (colours the stacks).
    xlabel
        Axis label with unit.
    thresholds
        ``(value, label)`` pairs drawn as dashed vertical lines.
    integer
        Counts (one bar per whole number) instead of continuous bins.
    """
    v = np.asarray(values, dtype=float)
    k = np.asarray(klassen, dtype=object)
    ok = np.isfinite(v)
    v, k = v[ok], k[ok]
    fig = Figure(figsize=(6.3, 2.3))
    ax = fig.add_axes((0.09, 0.2, 0.7, 0.72))
    tvals = [t for t, _ in thresholds if np.isfinite(t)]
    if integer and len(v):
        lo, hi = int(np.floor(v.min())), int(np.ceil(v.max()))
        bins = np.arange(lo - 0.5, hi + 1.5, 1.0)
    elif len(v):
        lo, hi = min([v.min(), *tvals]), max([v.max(), *tvals])
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        bins = np.histogram_bin_edges(v, bins=min(25, max(8, int(np.sqrt(len(v)) * 2))), range=(lo, hi))
    else:
        bins = np.linspace(0, 1, 2)
    groups = [(c, v[k == c]) for c in KLASSEN if (k == c).any()]
    if groups:
        ax.hist([g for _, g in groups], bins=bins, stacked=True, color=[CLASS_COLORS[c] for c, _ in groups],
                label=[c for c, _ in groups], edgecolor="white", linewidth=0.4)
        ax.legend(prop={"family": FONT, "size": 7}, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, "keine Messwerte", transform=ax.transAxes, ha="center", va="center", family=FONT)
    ymax = ax.get_ylim()[1]
    for t, label in thresholds:
        if np.isfinite(t):
            ax.axvline(t, color="#222222", linestyle="--", linewidth=1)
            ax.text(t, ymax * 0.97, f" {label}", rotation=90, va="top", ha="right", fontsize=6.5, family=FONT)
    ax.set_xlabel(xlabel, fontsize=8, family=FONT)
    ax.set_ylabel("Anzahl Flächen", fontsize=8, family=FONT)
    ax.tick_params(labelsize=7.5)
    if integer:
        ax.xaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig, dpi, tight=True)


class SnippetRenderer:
    """Draws the location snippet of one area at a time, reusing one figure and its artists.

    Parameters
    ----------
    parcels, buildings, roads
        Context layers (GeoDataFrames); converted to paths once and indexed with an STRtree.
    size_in
        Figure size (square, inches).
    dpi
        Output resolution; ~110 keeps 150 snippets fast and the PDF small.
    min_extent_m
        Smallest side of the shown window.
    """

    def __init__(self, parcels, buildings, roads, *, size_in: float = 3.6, dpi: float = 110,
                 min_extent_m: float = 110.0):
        self.dpi = dpi
        self.min_extent = min_extent_m
        self._layers = {}
        for name, gdf in (("roads", roads), ("parcels", parcels), ("buildings", buildings)):
            g = np.asarray(gdf.geometry.array, dtype=object)
            self._layers[name] = (shapely.STRtree(g), geometry_paths(g))
        self._parcel_ids = parcels["flstkennz"].astype(str).to_numpy() if "flstkennz" in parcels \
            else np.full(len(parcels), "", dtype=object)
        self.fig = Figure(figsize=(size_in, size_in))
        ax = self.ax = self.fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_aspect("equal")
        self._roads = ax.add_collection(_collection([], facecolor=ROAD_FILL, edgecolor="#cfc6ae", linewidth=0.5))
        self._other = ax.add_collection(_collection([], facecolor="white", edgecolor=PARCEL_EDGE, linewidth=0.5))
        self._own = ax.add_collection(_collection([], facecolor="#fff6cc", edgecolor="#5a5a5a", linewidth=1.3))
        self._bldg = ax.add_collection(_collection([], facecolor=BUILDING_FILL, edgecolor="#555555", linewidth=0.3))
        self._fill = ax.add_collection(_collection([], alpha=0.55, edgecolor="none"))
        self._edge = ax.add_collection(_collection([], facecolor="none", edgecolor="#111111", linewidth=1.6,
                                                   linestyle=(0, (4, 2))))
        (self._bar,) = ax.plot([0, 1], [0, 0], color="black", linewidth=2, solid_capstyle="butt")
        self._bar_text = ax.text(0, 0, "", ha="center", va="bottom", fontsize=6.5, family=FONT)
        ax.annotate("N", xy=(0.96, 0.97), xytext=(0.96, 0.89), xycoords="axes fraction", ha="center", va="center",
                    fontsize=7.5, family=FONT, fontweight="bold",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
                    arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1})
        self._street = ax.text(0.02, 0.97, "", transform=ax.transAxes, fontsize=7, family=FONT, va="top",
                               bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5})

    def _near(self, name: str, window) -> np.ndarray:
        return np.sort(self._layers[name][0].query(window))

    def render(self, geometry, klasse: str, *, parcels_involved=(), street_name: str = "") -> bytes:
        """PNG of the area (class colour) with its parcels highlighted, buildings and roads around it."""
        xmin, ymin, xmax, ymax = geometry.bounds
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        half = max(xmax - xmin, ymax - ymin, self.min_extent / 1.3) * 0.65
        window = shapely.box(cx - half, cy - half, cx + half, cy + half)
        paths = {n: self._layers[n][1] for n in self._layers}
        self._roads.set_paths([paths["roads"][i] for i in self._near("roads", window)])
        hit = self._near("parcels", window)
        own = np.isin(self._parcel_ids[hit], list(parcels_involved))
        self._other.set_paths([paths["parcels"][i] for i in hit[~own]])
        self._own.set_paths([paths["parcels"][i] for i in hit[own]])
        self._bldg.set_paths([paths["buildings"][i] for i in self._near("buildings", window)])
        area_path = geometry_paths([geometry])
        self._fill.set_paths(area_path)
        self._fill.set_facecolor(CLASS_COLORS.get(klasse, CLASS_COLORS[UNBEWERTET]))
        self._edge.set_paths(area_path)
        x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        length = _nice((x1 - x0) / 5)
        bx, by = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
        self._bar.set_data([bx, bx + length], [by, by])
        self._bar_text.set_position((bx + length / 2, by + 0.012 * (y1 - y0)))
        self._bar_text.set_text(f"{length:g} m")
        self._street.set_text(street_name)
        self._street.set_visible(bool(street_name))
        return _png(self.fig, self.dpi, colors=64)


def tornado_chart(rows, *, dpi: float = 150) -> bytes:
    """Tornado chart of threshold sensitivity as PNG bytes.

    Parameters
    ----------
    rows
        Sequence of ``(label, changed_low, changed_high)``: areas whose overall class changes when the
        threshold is lowered (drawn to the left) and raised (to the right), most moving first.
    """
    rows = list(rows)[::-1]
    fig = Figure(figsize=(7.5, 0.42 * max(len(rows), 1) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    low = np.array([-r[1] for r in rows], dtype=float)
    high = np.array([r[2] for r in rows], dtype=float)
    ax.barh(y, low, color="#4575b4", label="Schwelle −20 %")
    ax.barh(y, high, color="#d73027", label="Schwelle +20 %")
    for yi, lo, hi in zip(y, low, high):
        ax.text(lo, yi, f"{abs(lo):.0f} ", va="center", ha="right", fontsize=7, family=FONT)
        ax.text(hi, yi, f" {hi:.0f}", va="center", ha="left", fontsize=7, family=FONT)
    ax.set_yticks(y, [r[0] for r in rows], fontsize=7, family=FONT)
    ax.axvline(0, color="#333333", linewidth=0.8)
    span = max(float(np.max(np.abs(np.r_[low, high, 1.0]))), 1.0) * 1.25
    ax.set_xlim(-span, span)
    ax.set_xlabel("Flächen mit anderer Gesamtklasse", fontsize=8, family=FONT)
    ax.tick_params(axis="x", labelsize=7)
    ax.xaxis.set_major_formatter(lambda v, _: f"{abs(v):.0f}")
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.set_title("Welche Schwellen bewegen die meisten Flächen?", fontsize=9, family=FONT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _png(fig, dpi)
