"""Parcel numbers of an ALKIS DXF: from texts, fractions, blocks and XDATA to parcels.

ALKIS maps label a parcel with its number at an official position: a text "Z/N" or "Z", a
fraction (Zähler over a Bruchstrich over Nenner, as separate texts and a line), a block with
``ZAEHLER``/``NENNER`` attributes, or an MTEXT. Small parcels get their number outside, with an
assignment arrow (Zuordnungspfeil) pointing into the parcel. Flur and Gemarkung come from the
text itself, the layer name, Flur/Gemarkung boundaries with their "Flur N" labels, or the config.
:func:`number_parcels` does all of this vectorised and returns the canonical parcel columns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

__all__ = ["NumberRules", "Hints", "parse_parcel_text", "parse_label", "number_parcels",
           "split_gemarkung", "BLOCK_KEYS"]

#: Land (federal state) key used when a 4-digit Gemarkung is given: 07 = Rheinland-Pfalz [U].
DEFAULT_LAND = "07"

#: Block attribute / XDATA keys (case-folded) understood for parcels.
KEYS = {
    "kennz": ("flurstueckskennzeichen", "flstkennz", "kennzeichen", "flurstkennz"),
    "zaehler": ("zaehler", "flstnrzae", "zae", "flurstuecksnummer_zaehler"),
    "nenner": ("nenner", "flstnrnen", "nen", "flurstuecksnummer_nenner"),
    "nummer": ("flstnr", "flurstuecksnummer", "flstnummer", "nummer"),
    "flur": ("flur", "flurnummer", "flurnr"),
    "gemarkung": ("gemarkung", "gemarkungsnummer", "gemaschl", "gemarkungsschluessel"),
}
#: ATTRIB tags that make a block a parcel-number block (its attributes are not read as texts).
BLOCK_KEYS = frozenset(k for name in ("kennz", "zaehler", "nummer") for k in KEYS[name])


@dataclass(frozen=True)
class NumberRules:
    """Distances of the number assignment, all in metres (see ``docs/dxf.md``)."""

    max_distance: float = 10.0     #: number outside every parcel → nearest unnumbered parcel
    arrow_snap: float = 3.0        #: arrow tail at most this far from its number
    fraction_gap: float = 3.0      #: Zähler/Nenner at most this far from their Bruchstrich
    fraction_line: float = 8.0     #: a Bruchstrich is at most this long
    tolerance: float = 0.01        #: snapping of boundary linework


class Hints:
    """Problems aggregated by kind: one line per kind with its count, and the full list."""

    def __init__(self, fname: str) -> None:
        self.fname = fname
        self.kinds: dict[str, list[str]] = defaultdict(list)
        self.order: list[str] = []

    def add(self, kind: str, detail: str = "") -> None:
        if kind not in self.kinds:
            self.order.append(kind)
        self.kinds[kind].append(detail)

    def count(self, kind: str, n: int) -> None:
        """Add *n* occurrences of *kind* without details."""
        for _ in range(int(n)):
            self.add(kind)

    def lines(self) -> list[str]:
        out = []
        for kind in self.order:
            details = [d for d in self.kinds[kind] if d]
            n = len(self.kinds[kind])
            ex = f" (z. B. {'; '.join(details[:3])}{' …' if len(details) > 3 else ''})" if details else ""
            out.append(f"{self.fname}: {kind.format(n=n)}{ex}")
        return out

    def details(self) -> list[str]:
        return [f"{self.fname}: {kind.format(n=1)}: {d}" for kind in self.order
                for d in self.kinds[kind] if d]


# --------------------------------------------------------------------------------------------
# texts
# --------------------------------------------------------------------------------------------

_RE_FULL = re.compile(r"^(\d{2})(\d{4})(\d{3})(\d{5})([\d_]{4})([\d_]{2})$")
_RE_LONG = re.compile(
    r"^(?:gem(?:arkung|\.)?\s*(\d{6}|\d{4})\D*?)?(?:flur\s*(\d{1,3})\D*?)?"
    r"(?:flst\.?|flurst(?:ü|ue)ck)?\s*(\d{1,5})(?:\s*/\s*(\d{1,4}))?$", re.IGNORECASE)
_RE_LABEL = re.compile(
    r"^(?:gem(?:arkung|\.)?\b[^\d]*?(\d{6}|\d{4})\D*?)?(?:\bflur\s*(?:nr\.?\s*)?(\d{1,3}))?\s*$",
    re.IGNORECASE)
_RE_LAYER_GEM = re.compile(r"gemarkung\D*(\d{6}|\d{4})", re.IGNORECASE)
_RE_LAYER_FLUR = re.compile(r"\bflur\D{0,3}(\d{1,3})\b", re.IGNORECASE)
_RE_INT = re.compile(r"^\d{1,5}$")


def split_gemarkung(value) -> tuple[str | None, str | None]:
    """(Land, Gemarkung) from a 4- or 6-digit Gemarkung number; ``(None, None)`` if not one."""
    if value is None:
        return None, None
    s = str(value).strip()
    if s.endswith(".0"):
        s = s[:-2]
    if not s.isdigit() or len(s) not in (1, 2, 3, 4, 6):
        return None, None
    if len(s) == 6:
        return s[:2], s[2:]
    return DEFAULT_LAND, s.zfill(4)


def parse_parcel_text(text: str) -> dict | None:
    """Parse a parcel-number text.

    >>> parse_parcel_text("123/4")
    {'land': None, 'gemarkung': None, 'flur': None, 'zaehler': 123, 'nenner': 4, 'folge': None}
    >>> parse_parcel_text("07256600100005______")["zaehler"]
    5
    >>> parse_parcel_text("Flur 14") is None
    True
    """
    s = " ".join(str(text).split())
    m = _RE_FULL.match(s)
    if m:
        nen = m.group(5).strip("_")
        return {"land": m.group(1), "gemarkung": m.group(2), "flur": int(m.group(3)),
                "zaehler": int(m.group(4)), "nenner": int(nen) if nen and int(nen) else None,
                "folge": m.group(6)}
    if parse_label(s) is not None:
        return None
    m = _RE_LONG.match(s)
    if not m:
        return None
    land, gem = split_gemarkung(m.group(1)) if m.group(1) else (None, None)
    return {"land": land, "gemarkung": gem,
            "flur": int(m.group(2)) if m.group(2) else None, "zaehler": int(m.group(3)),
            "nenner": int(m.group(4)) if m.group(4) else None, "folge": None}


def parse_label(text: str) -> dict | None:
    """A Flur / Gemarkung label ("Flur 14", "Gemarkung Hohenecken (2566) Flur 3").

    >>> parse_label("Flur 014")
    {'land': None, 'gemarkung': None, 'flur': 14}
    >>> parse_label("Gemarkung Hohenecken (2566)")["gemarkung"]
    '2566'
    >>> parse_label("12/3") is None
    True
    """
    s = " ".join(str(text).split())
    m = _RE_LABEL.match(s)
    if not m or (m.group(1) is None and m.group(2) is None):
        return None
    land, gem = split_gemarkung(m.group(1)) if m.group(1) else (None, None)
    return {"land": land, "gemarkung": gem, "flur": int(m.group(2)) if m.group(2) else None}


def _first(attrs: dict, name: str):
    for key in KEYS[name]:
        v = attrs.get(key)
        if v not in (None, ""):
            return v
    return None


def parse_attributes(attrs: dict) -> dict | None:
    """A parcel number from block attributes or XDATA (``ZAEHLER``/``NENNER``/``FLSTNR``/…)."""
    kennz = _first(attrs, "kennz")
    if kennz is not None:
        p = parse_parcel_text(str(kennz).replace(" ", ""))
        if p is not None:
            return p
    nummer, zae = _first(attrs, "nummer"), _first(attrs, "zaehler")
    p = parse_parcel_text(str(nummer)) if nummer is not None else None
    if p is None and zae is not None:
        nen = _first(attrs, "nenner")
        text = f"{_int_text(zae)}" + (f"/{_int_text(nen)}" if nen not in (None, "", "0") else "")
        p = parse_parcel_text(text)
    if p is None:
        return None
    flur = _first(attrs, "flur")
    if flur is not None and p["flur"] is None and str(_int_text(flur)).isdigit():
        p["flur"] = int(_int_text(flur))
    gem = _first(attrs, "gemarkung")
    if gem is not None and p["gemarkung"] is None:
        p["land"], p["gemarkung"] = split_gemarkung(_int_text(gem))
    return p


def _int_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


# --------------------------------------------------------------------------------------------
# number records: one row per number found, with its position
# --------------------------------------------------------------------------------------------

_COLS = ("x", "y", "land", "gemarkung", "flur", "zaehler", "nenner", "folge", "raw", "layer")


def _record(x, y, p: dict, raw: str, layer: str) -> tuple:
    return (float(x), float(y), p["land"], p["gemarkung"], p["flur"], p["zaehler"], p["nenner"],
            p["folge"], raw, layer)


def _fractions(texts: pd.DataFrame, lines: np.ndarray, rules: NumberRules):
    """Pair integer texts above and below a Bruchstrich. Returns (records, used text index)."""
    if not len(texts) or not len(lines):
        return [], np.array([], dtype=int)
    ints = texts.index[texts["text"].astype(str).str.fullmatch(_RE_INT.pattern)].to_numpy()
    if not len(ints):
        return [], np.array([], dtype=int)
    lines = lines[shapely.get_num_coordinates(lines) == 2]
    lines = lines[shapely.length(lines) <= rules.fraction_line]
    if not len(lines):
        return [], np.array([], dtype=int)
    c = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    mid = c.mean(axis=1)
    d = c[:, 1] - c[:, 0]
    flip = d[:, 0] < 0  # read every line left to right: its normal points "up" for the text
    d[flip] *= -1
    u = d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    n = np.column_stack([-u[:, 1], u[:, 0]])
    pts = texts.loc[ints, ["x", "y"]].to_numpy()
    tree = shapely.STRtree(shapely.points(pts))
    li, tj = tree.query(shapely.points(mid), predicate="dwithin", distance=rules.fraction_gap)
    if not len(li):
        return [], np.array([], dtype=int)
    rel = pts[tj] - mid[li]
    perp = np.einsum("ij,ij->i", rel, n[li])
    frame = pd.DataFrame({"line": li, "text": ints[tj], "perp": perp, "abs": np.abs(perp)})
    frame = frame[frame["abs"] > 1e-6].sort_values(["line", "abs"], kind="stable")
    top = frame[frame["perp"] > 0].drop_duplicates("line").set_index("line")["text"]
    bottom = frame[frame["perp"] < 0].drop_duplicates("line").set_index("line")["text"]
    pair = pd.concat([top.rename("z"), bottom.rename("n")], axis=1, join="inner")
    pair = pair[~pair["z"].duplicated() & ~pair["n"].duplicated()]
    recs = []
    for line, (tz, tn) in pair.iterrows():
        z, nn = texts.at[tz, "text"], texts.at[tn, "text"]
        p = parse_parcel_text(f"{z}/{nn}")
        recs.append(_record(mid[line, 0], mid[line, 1], p, f"{z}/{nn}", texts.at[tz, "layer"]))
    return recs, np.concatenate([pair["z"].to_numpy(), pair["n"].to_numpy()]).astype(int)


def collect_numbers(texts: pd.DataFrame, lines: np.ndarray, inserts: pd.DataFrame,
                    rules: NumberRules, hints: Hints) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Number records and Flur/Gemarkung labels from the texts, Bruchstriche and blocks.

    *texts* has ``x, y, text, layer``; *inserts* has ``x, y, attrs, layer``. Returns
    ``(numbers, labels)``: numbers with the columns ``_COLS``, labels with ``x, y, land,
    gemarkung, flur``.
    """
    texts = texts.reset_index(drop=True)
    recs, used = _fractions(texts, lines, rules)
    labels = []
    rest = texts.drop(index=used)
    for row in rest.itertuples():
        lab = parse_label(row.text)
        if lab is not None:
            labels.append((row.x, row.y, lab["land"], lab["gemarkung"], lab["flur"]))
            continue
        p = parse_parcel_text(row.text)
        if p is None:
            if row.text:
                hints.add("{n} Texte auf Nummern-Layern sind keine Flurstücksnummern",
                          f"'{row.text}' auf '{row.layer}'")
            continue
        recs.append(_record(row.x, row.y, p, row.text, row.layer))
    for row in inserts.itertuples():
        p = parse_attributes(row.attrs)
        if p is None:
            hints.add("{n} Blöcke mit Nummern-Attributen ohne lesbare Nummer",
                      f"{row.attrs} auf '{row.layer}'")
            continue
        recs.append(_record(row.x, row.y, p, _label(p["zaehler"], p["nenner"]), row.layer))
    numbers = pd.DataFrame(recs, columns=list(_COLS))
    labels = pd.DataFrame(labels, columns=["x", "y", "land", "gemarkung", "flur"])
    return numbers, labels


def _label(z, n) -> str:
    return f"{z}" if n is None or pd.isna(n) else f"{z}/{n}"


def follow_arrows(numbers: pd.DataFrame, arrows: np.ndarray, rules: NumberRules) -> np.ndarray:
    """Move numbers with a Zuordnungspfeil to its tip. Returns a bool mask of moved numbers.

    An arrow belongs to the number nearest to one of its end points (within ``arrow_snap``);
    that end is the tail, the other end the tip inside the parcel.
    """
    moved = np.zeros(len(numbers), dtype=bool)
    if not len(numbers) or not len(arrows):
        return moved
    ends = np.stack([shapely.get_coordinates(shapely.get_point(arrows, i)) for i in (0, -1)], 1)
    tree = shapely.STRtree(shapely.points(numbers[["x", "y"]].to_numpy()))
    best = np.full(len(arrows), -1)
    dist = np.full(len(arrows), np.inf)
    tail = np.zeros(len(arrows), dtype=int)
    for k in (0, 1):
        ai, ni = tree.query_nearest(shapely.points(ends[:, k]), max_distance=rules.arrow_snap,
                                    return_distance=False, all_matches=False)
        dd = np.hypot(*(ends[ai, k] - numbers[["x", "y"]].to_numpy()[ni]).T)
        better = dd < dist[ai]
        best[ai[better]], dist[ai[better]], tail[ai[better]] = ni[better], dd[better], k
    ok = np.flatnonzero(best >= 0)
    order = ok[np.argsort(dist[ok], kind="stable")]
    _, first = np.unique(best[order], return_index=True)
    chosen = order[first]
    tip = ends[chosen, 1 - tail[chosen]]
    numbers.loc[numbers.index[best[chosen]], ["x", "y"]] = tip
    moved[best[chosen]] = True
    return moved


def assign_numbers(geoms: np.ndarray, numbers: pd.DataFrame, arrow: np.ndarray,
                   numbered: np.ndarray, rules: NumberRules, hints: Hints) -> np.ndarray:
    """The parcel (index into *geoms*) of each number, -1 for none.

    1. A number inside parcels belongs to the smallest one. 2. Of several numbers in one parcel,
    one that came with an arrow wins, otherwise the one deepest inside (farthest from the
    boundary); ALKIS places foreign numbers of small neighbours at the edge. 3. Numbers in no
    parcel, and the losers of step 2, go to the nearest parcel still without a number, within
    ``max_distance``. Parcels already *numbered* (from XDATA) take no number.
    """
    owner = np.full(len(numbers), -1)
    if not len(numbers) or not len(geoms):
        return owner
    pts = shapely.points(numbers[["x", "y"]].to_numpy())
    tree = shapely.STRtree(geoms)
    ti, pi = tree.query(pts, predicate="within")
    area = shapely.area(geoms)
    order = np.lexsort((area[pi], ti))
    ti, pi = ti[order], pi[order]
    first = np.r_[True, ti[1:] != ti[:-1]] if len(ti) else np.zeros(0, bool)
    inside = np.full(len(numbers), -1)
    inside[ti[first]] = pi[first]
    has = inside >= 0
    depth = np.zeros(len(numbers))
    depth[has] = shapely.distance(pts[has], shapely.boundary(geoms[inside[has]]))
    taken = numbered.copy()
    cand = np.flatnonzero(has & ~taken[np.maximum(inside, 0)])
    frame = pd.DataFrame({"n": cand, "p": inside[cand], "arrow": arrow[cand], "depth": depth[cand]})
    frame = frame.sort_values(["p", "arrow", "depth"], ascending=[True, False, False], kind="stable")
    win = frame.drop_duplicates("p")
    owner[win["n"].to_numpy()] = win["p"].to_numpy()
    taken[win["p"].to_numpy()] = True
    rest = np.flatnonzero(owner < 0)
    rest = rest[~(has[rest] & numbered[np.maximum(inside[rest], 0)] & ~arrow[rest])]
    free = np.flatnonzero(~taken)
    if len(rest) and len(free):
        ri, fj = shapely.STRtree(geoms[free]).query_nearest(
            pts[rest], max_distance=rules.max_distance, return_distance=False, all_matches=False)
        dist = shapely.distance(pts[rest[ri]], geoms[free[fj]])
        near = pd.DataFrame({"n": rest[ri], "p": free[fj], "d": dist}).sort_values("d", kind="stable")
        near = near.drop_duplicates("p")
        owner[near["n"].to_numpy()] = near["p"].to_numpy()
        hints.count("{n} Flurstücksnummern außerhalb ihres Flurstücks dem nächsten Flurstück "
                    f"ohne Nummer zugeordnet (höchstens {rules.max_distance:g} m entfernt)", len(near))
    for t in np.flatnonzero(owner < 0):
        x, y = numbers.at[numbers.index[t], "x"], numbers.at[numbers.index[t], "y"]
        raw = numbers.at[numbers.index[t], "raw"]
        if has[t] and numbered[inside[t]]:
            continue  # the same parcel's number twice (XDATA and text)
        if has[t]:
            hints.add("{n} Flurstücksnummern ignoriert: zweite Nummer in einem Flurstück, kein "
                      "Flurstück ohne Nummer in der Nähe", f"'{raw}' bei ({x:.2f}, {y:.2f})")
        else:
            hints.add("{n} Flurstücksnummern liegen in keinem Flurstück und keinem nahen "
                      "Flurstück ohne Nummer", f"'{raw}' bei ({x:.2f}, {y:.2f})")
    return owner


# --------------------------------------------------------------------------------------------
# Flur and Gemarkung areas
# --------------------------------------------------------------------------------------------

#: Grid (m) the snapped linework is rounded to before noding; far below survey accuracy.
NODE_GRID = 0.001


def snap_ends(lines: np.ndarray, tolerance: float) -> np.ndarray:
    """Line strings whose end points within *tolerance* of another end point are joined there,
    and whose remaining end points within *tolerance* of another line are moved onto it.

    Only end points move, and only by at most *tolerance*: the drawing is kept as it is.
    """
    parts = shapely.get_parts(shapely.get_parts(lines))
    parts = parts[shapely.get_type_id(parts) == 1]
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    if not len(parts):
        return parts
    count = np.bincount(idx, minlength=len(parts))
    first = np.r_[0, np.cumsum(count)[:-1]]
    ends = np.concatenate([first, first + count - 1])
    owner = np.concatenate([np.arange(len(parts))] * 2)
    pts = shapely.points(coords[ends])
    a, b = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=tolerance)
    rep = np.arange(len(ends))
    np.minimum.at(rep, a, b)
    coords[ends] = coords[ends[rep]]
    partners = np.bincount(a, minlength=len(ends))
    lone = np.flatnonzero(partners == 1)
    if len(lone):
        pi, li = shapely.STRtree(parts).query(pts[lone], predicate="dwithin", distance=tolerance)
        other = li != owner[lone[pi]]
        pi, li = pi[other], li[other]
        d = shapely.distance(pts[lone[pi]], parts[li])
        order = np.argsort(d, kind="stable")
        pi, li = pi[order], li[order]
        _, firsts = np.unique(pi, return_index=True)
        pi, li = pi[firsts], li[firsts]
        on = shapely.line_interpolate_point(parts[li], shapely.line_locate_point(parts[li], pts[lone[pi]]))
        coords[ends[lone[pi]]] = shapely.get_coordinates(on)
    return shapely.linestrings(coords, indices=idx)


def polygonise(lines, tolerance: float) -> np.ndarray:
    """Faces of boundary linework: end points snapped within *tolerance* metres
    (:func:`snap_ends`), rounded to ``NODE_GRID``, noded and polygonised."""
    lines = np.asarray(lines, dtype=object)
    if not len(lines):
        return np.array([], dtype=object)
    arr = shapely.set_precision(snap_ends(lines, tolerance), NODE_GRID)
    noded = shapely.node(shapely.multilinestrings(shapely.get_parts(arr)))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return faces[shapely.area(faces) > 0]


def _by_area(points: np.ndarray, faces: np.ndarray, lab_pts: np.ndarray, lab_val: np.ndarray):
    """Value of the label inside the face each point lies in (None where no labelled face)."""
    out = np.full(len(points), None, dtype=object)
    if not len(faces):
        return out
    tree = shapely.STRtree(faces)
    li, fi = tree.query(lab_pts, predicate="within")
    if not len(li):
        return out
    face_val = pd.Series(lab_val[li]).groupby(fi).agg(lambda s: s.mode().iloc[0])
    pi, fj = tree.query(points, predicate="within")
    got = face_val.reindex(fj).to_numpy()
    out[pi] = got
    return out


def district_of(points: np.ndarray, lab_pts: np.ndarray, lab_val: np.ndarray, lines: np.ndarray,
                outline, tolerance: float) -> tuple[np.ndarray, bool]:
    """Flur (or Gemarkung) for each point: the label of its face in the boundaries drawn, else
    the nearest label. Returns (values with None for unknown, whether only nearest labels were
    used)."""
    out = np.full(len(points), None, dtype=object)
    if not len(lab_pts):
        return out, False
    faces = polygonise(np.concatenate([lines, [outline]]), tolerance) if len(lines) else []
    out = _by_area(points, np.asarray(faces, dtype=object), lab_pts, lab_val)
    miss = np.flatnonzero(pd.isna(out))
    nearest_only = len(lines) == 0
    if len(miss):
        pi, li = shapely.STRtree(lab_pts).query_nearest(points[miss], all_matches=False)
        out[miss[pi]] = lab_val[li]
    return out, nearest_only


# --------------------------------------------------------------------------------------------
# assembling the parcel number columns
# --------------------------------------------------------------------------------------------

@dataclass
class Linework:
    """Lines that help numbering: Bruchstriche, arrows, Flur and Gemarkung boundaries."""

    fraction: np.ndarray
    arrows: np.ndarray
    flur: np.ndarray
    gemarkung: np.ndarray


def _fill_from(parsed: list, owner: np.ndarray, n: int) -> dict:
    cols = {"land": np.full(n, None, object), "gemarkung": np.full(n, None, object),
            "flur": np.full(n, None, object), "zaehler": np.zeros(n, np.int64),
            "nenner": np.full(n, None, object), "folge": np.full(n, "__", object),
            "layer": np.full(n, "", object), "numbered": np.zeros(n, bool)}
    for k, p in parsed:
        for c in ("land", "gemarkung", "flur", "zaehler", "nenner"):
            cols[c][k] = p[c]
        cols["folge"][k] = p.get("folge") or "__"
        cols["layer"][k] = p.get("layer", "")
        cols["numbered"][k] = True
    return cols


def number_parcels(geoms: np.ndarray, attrs: list[dict], numbers: pd.DataFrame,
                   labels: pd.DataFrame, lines: Linework, *, gemarkung, flur,
                   rules: NumberRules, hints: Hints) -> pd.DataFrame:
    """``flstkennz, gemarkung, flur, zaehler, nenner`` for each parcel polygon in *geoms*.

    *attrs* are the parcels' XDATA attributes (a Kennzeichen there wins), *numbers* and *labels*
    come from :func:`collect_numbers`. *gemarkung*/*flur* are the config fallbacks.
    """
    n = len(geoms)
    pre = [(k, p) for k, a in enumerate(attrs) if a and (p := parse_attributes(a)) is not None]
    numbered = np.zeros(n, bool)
    numbered[[k for k, _ in pre]] = True
    arrow = follow_arrows(numbers, lines.arrows, rules)
    owner = assign_numbers(geoms, numbers, arrow, numbered, rules, hints)
    recs = numbers.to_dict("records")
    parsed = pre + [(int(owner[t]), recs[t]) for t in np.flatnonzero(owner >= 0)]
    c = _fill_from(parsed, owner, n)
    for k in np.flatnonzero(c["numbered"]):
        lay = c["layer"][k]
        if c["gemarkung"][k] is None and (m := _RE_LAYER_GEM.search(lay)):
            c["land"][k], c["gemarkung"][k] = split_gemarkung(m.group(1))
        if c["flur"][k] is None and (m := _RE_LAYER_FLUR.search(lay)):
            c["flur"][k] = int(m.group(1))
    _districts(geoms, c, labels, lines, gemarkung, flur, rules, hints)
    return _kennzeichen(c, hints)


def _districts(geoms, c, labels, lines, gemarkung, flur, rules, hints) -> None:
    """Fill missing Flur and Gemarkung from boundaries + labels, nearest labels, the config."""
    miss_f = pd.isna(c["flur"])
    miss_g = pd.isna(c["gemarkung"])
    if (miss_f.any() or miss_g.any()) and len(labels):
        pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
        pts = shapely.points(pts)
        outline = shapely.boundary(shapely.union_all(shapely.set_precision(geoms, rules.tolerance)))
        lab_pts = shapely.points(labels[["x", "y"]].to_numpy())
        for col, sel, bounds, what in (
                ("flur", miss_f, np.concatenate([lines.flur, lines.gemarkung]), "Flur"),
                ("gemarkung", miss_g, lines.gemarkung, "Gemarkung")):
            has = labels[col].notna().to_numpy()
            if not sel.any() or not has.any():
                continue
            val, nearest = district_of(pts[sel], lab_pts[has], labels[col].to_numpy()[has],
                                       bounds, outline, rules.tolerance)
            c[col][sel] = val
            if col == "gemarkung":
                land = dict(zip(labels["gemarkung"], labels["land"]))
                c["land"][sel] = [land.get(v) for v in val]
            if nearest:
                hints.count(f"{what} von {{n}} Flurstücken aus dem nächsten {what}-Text bestimmt "
                            f"(keine {what}sgrenzen im DXF; unsicher an den Grenzen)", int(sel.sum()))
    land, gem = split_gemarkung(gemarkung)
    miss_g = pd.isna(c["gemarkung"])
    c["land"][miss_g], c["gemarkung"][miss_g] = land or "00", gem or "0000"
    c["land"][pd.isna(c["land"])] = DEFAULT_LAND
    if (c["gemarkung"] == "0000").any():
        hints.count("Gemarkung für {n} Flurstücke unbekannt; Lösung: gemarkung: unter alkis: "
                    "setzen oder Gemarkungstexte ('Gemarkung 2566') in die DXF",
                    int((c["gemarkung"] == "0000").sum()))
    miss_f = pd.isna(c["flur"])
    c["flur"][miss_f] = -1 if flur is None else int(flur)
    if (c["flur"] == -1).any():
        hints.count("Flur für {n} Flurstücke unbekannt; Lösung: Flur-Texte ('Flur 3') oder "
                    "Flurgrenzen in die DXF, bei nur einer Flur flur: unter alkis: setzen",
                    int((c["flur"] == -1).sum()))
        c["flur"][c["flur"] == -1] = 0


def _kennzeichen(c: dict, hints: Hints) -> pd.DataFrame:
    flr = c["flur"].astype(np.int64)
    zae, folge = c["zaehler"], c["folge"]
    nen = pd.array([v if v is not None and not pd.isna(v) else pd.NA for v in c["nenner"]],
                   dtype="Int64")
    prefix = [f"{a}{g}{f:03d}" for a, g, f in zip(c["land"], c["gemarkung"], flr)]
    kennz = np.array([
        f"{pre}{z:05d}{'____' if pd.isna(nn) else f'{int(nn):04d}'}{fo}"
        for pre, z, nn, fo in zip(prefix, zae, nen, folge)], dtype=object)
    numbered = c["numbered"]
    dup = pd.Series(kennz).duplicated().to_numpy() & numbered
    for k in np.flatnonzero(dup):
        hints.add("{n} Flurstückskennzeichen mehrfach; weitere Flächen als Flurstücke ohne "
                  "Nummer übernommen", kennz[k])
    unnumbered = ~numbered | dup
    if unnumbered.any():
        hints.count("{n} Flurstücke ohne Flurstücksnummer (Zähler 00000, laufende Nummer im "
                    "Kennzeichen)", int(unnumbered.sum()))
        for j, k in enumerate(np.flatnonzero(unnumbered)):
            zae[k] = 0
            nen[k] = pd.NA
            kennz[k] = f"{prefix[k]}00000{j + 1:06d}"
    return pd.DataFrame({"flstkennz": kennz.astype(str), "gemarkung": c["gemarkung"].astype(str),
                         "flur": flr, "zaehler": zae, "nenner": nen})
