"""Thematic vector inputs as offices deliver them, read into canonical columns.

One role (trees, protected areas, climate map, noise or heavy-rain class polygons …) may come as
one file, a folder of files, several layers or a list of sources, each with its own field map and
fixed values (``values: {kategorie: NSG}`` for a file without a category field). Every feature
gets two bookkeeping columns:

* ``verstanden``: whether the criterion can use it (its category, legend word or class label is
  known, its measure is present and plausible);
* ``hinweis``: for a feature not understood, one German sentence naming the file and the field.

Criteria make the areas a not-understood feature touches "nicht bewertet" with that sentence;
:func:`read_thematic` also returns the sentences for the run log and ``validate``. Nothing passes
on data that was not understood.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..errors import InputError
from .classes import CLIMATE_VOCABULARY, PROTECTED_VOCABULARY, match_labels, normalize_label, parse_bands
from .contract import Read
from .names import find_column
from .tables import read_points_table
from .vector import list_layers, read_vector

__all__ = ["VECTOR_INPUTS", "CLASS_INPUTS", "read_thematic", "source_files", "find_column", "TREE_RANGE_CM"]

VECTOR_INPUTS = {
    # name: (label, geometry kind, {canonical column: default source field names}, numeric columns)
    "settlement": ("Innenbereich", "polygon", {}, ()),
    "planner_areas": ("Planerflächen", "polygon", {"name": ["name", "bezeichnung", "id"]}, ()),
    "trees": ("Baumkataster", "point",
              {"art": ["art", "baumart", "gattung_art", "art_deutsch", "deutscher_name", "artname", "baumart_de",
                       "gattung", "botanischer_name", "art_botanisch"],
               "umfang_cm": ["umfang_cm", "stammumfang_cm", "stammumfang", "umfang", "stu", "stu_cm"],
               "durchmesser_cm": ["durchmesser_cm", "stammdurchmesser_cm", "stammdurchmesser", "stammdurchm",
                                  "durchmesser", "bhd", "bhd_cm", "std_cm", "stammdm"],
               "krone_m": ["krone_m", "kronendurchmesser_m", "kronendurchmesser", "kronendm", "krone",
                           "kronendurc"]},
              ("umfang_cm", "durchmesser_cm", "krone_m")),
    "protected_areas": ("Schutzgebiete", "polygon",
                        {"kategorie": ["kategorie", "typ", "schutzkategorie", "kategor", "schutzkat", "kat", "art",
                                       "schutzgebietstyp", "gebietstyp", "schutzstatus", "sg_typ", "schutzart",
                                       "schutzgebiet", "sgtyp"],
                         "name": ["name", "gebietsname", "bezeichnung", "bez"]}, ()),
    "species": ("Artnachweise", "point", {"art": ["art", "artname", "art_deutsch", "taxon"]}, ()),
    "climate": ("Klimafunktionskarte", "polygon",
                {"funktion": ["funktion", "klimafunktion", "klimatop", "klasse", "kategorie", "legende",
                              "bezeichnung", "typ", "planhinweis"]}, ()),
    "noise_areas": ("Lärmkarte (Polygone)", "polygon", {"lden_db": ["lden_db", "lden"],
                                                      "lnight_db": ["lnight_db", "lnight"]},
                    ("lden_db", "lnight_db")),
    "flow_paths": ("Fließwege", "line", {}, ()),
    "railways": ("Bahnstrecken", "any", {}, ()),
    "monuments": ("Denkmalliste", "any", {"kategorie": ["kategorie", "art", "typ", "denkmalart"],
                                          "name": ["name", "bezeichnung", "bez"]}, ()),
    "flood_hazard": ("Hochwassergefahrenkarte", "polygon",
                     {"szenario": ["szenario", "scenario", "hq", "jaehrlichkeit", "status", "klasse"]}, ()),
}
#: Roles that may come as class polygons instead of a raster: label, base unit, label fields.
CLASS_INPUTS = {
    "rain_depth": ("Starkregen-Wassertiefe (Klassen)", "cm",
                   ["klasse", "tiefe", "wassertiefe", "tiefenklasse", "wt_klasse", "bereich", "gefahrenklasse",
                    "class", "label", "legende"]),
    "rain_velocity": ("Starkregen-Fließgeschwindigkeit (Klassen)", "m/s",
                      ["klasse", "geschwindigkeit", "fliessgeschwindigkeit", "v_klasse", "bereich", "class",
                       "label"]),
    "noise_lden": ("Lärmkarte L_DEN (Isophonen-Bänder)", "dB",
                   ["klasse", "db", "db_a", "pegel", "lden", "laermklasse", "isophone", "isoklasse", "db_klasse",
                    "bereich", "dbklasse", "pegelklasse", "class", "label", "gridcode"]),
    "noise_night": ("Lärmkarte L_Night (Isophonen-Bänder)", "dB",
                    ["klasse", "db", "db_a", "pegel", "lnight", "ln", "laermklasse", "isophone", "isoklasse",
                     "db_klasse", "bereich", "dbklasse", "pegelklasse", "class", "label", "gridcode"]),
}
_BASE = {"cm": "m", "m/s": "m/s", "dB": "dB"}
#: How far below an exclusive upper bound a band counts, per base unit: more than the rounding of the
#: stored measure (noise levels are stored to 0.1 dB, depths and velocities unrounded).
BAND_EPS = {"m": 0.001, "m/s": 0.01, "dB": 0.1}
#: Plausible trunk circumference and diameter (cm) for telling them apart and for a unit check [U].
TREE_RANGE_CM = {"umfang_cm": (3.0, 1600.0), "durchmesser_cm": (1.0, 500.0)}
_VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".gml", ".kml", ".fgb", ".sqlite", ".tab")
_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".tsv")


def source_files(src) -> list[tuple[Path, str | None]]:
    """The (file, layer) pairs of one source: a folder gives all its vector files and tables."""
    path = Path(src.path)
    if path.is_dir():
        files = [p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in _VECTOR_SUFFIXES
                 + _TABLE_SUFFIXES]
        return [(p, None) for p in files]
    if src.layer is None and path.suffix.lower() == ".gpkg" and path.exists():
        layers = list_layers(path)
        if len(layers) > 1:
            return [(path, name) for name in layers]
    return [(path, src.layer)]


def _read_one(name: str, src, file: Path, layer: str | None, *, target_crs: str, problems: list[str],
              fields: dict[str, list[str]], numeric) -> tuple[gpd.GeoDataFrame, dict[str, str | None]]:
    """Read one file and map its columns; returns the frame and canonical → source column."""
    label = VECTOR_INPUTS.get(name, CLASS_INPUTS.get(name, (name,)))[0]
    key = f"inputs.{name}"
    if file.suffix.lower() in _TABLE_SUFFIXES:
        optional = {c: names for c, names in fields.items() if c not in src.fields}
        required = {c: col for c, col in src.fields.items() if c in fields or c in ("x", "y")}
        table = read_points_table(file, fields=required, crs=src.crs, target_crs=target_crs,
                                  encoding=src.encoding, what=label, fix_key=key, numeric=numeric,
                                  optional=optional, separator=src.separator, decimal=src.decimal,
                                  sheet=src.sheet)
        problems.extend(table.problems)
        gdf, columns = table.frame, table.source["columns"]
        used = {c: columns.get(c) for c in fields}
        for canon, value in src.values.items():
            gdf[canon] = value
            used[canon] = None
        return gdf, used
    read = read_vector(file, layer=layer, encoding=src.encoding, crs=src.crs, target_crs=target_crs,
                       what=label, fix_key=key)
    problems.extend(read.problems)
    gdf = read.frame
    columns, used = {}, {}
    for canon, names in fields.items():
        if canon in src.values:
            columns[canon] = pd.Series(src.values[canon], index=gdf.index, dtype=object)
            used[canon] = None
            continue
        wanted = [src.fields[canon]] if canon in src.fields else names
        col = find_column([c for c in gdf.columns if c != gdf.geometry.name], wanted)
        if col is None and canon in src.fields:
            raise InputError(f"{label}: Feld {src.fields[canon]!r} fehlt (vorhanden: "
                             f"{', '.join(c for c in gdf.columns if c != gdf.geometry.name)})", file=file,
                             fix=f"Feldnamen unter '{key}.fields.{canon}' korrigieren")
        used[canon] = col
        columns[canon] = gdf[col] if col is not None else pd.Series(np.nan if canon in numeric else None,
                                                                     index=gdf.index)
    out = gpd.GeoDataFrame(columns, geometry=gdf.geometry.values, crs=gdf.crs, index=gdf.index)
    for col in numeric:
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce")
    return out, used


def read_thematic(name: str, sources, *, target_crs: str) -> Read:
    """Read every source of one thematic role into one frame with canonical columns (the reader contract).

    Adds ``quelle`` (file name), ``verstanden`` and ``hinweis`` (see the module docstring) and,
    per role, the derived columns: trees ``umfang_cm`` from a diameter (× π, stated); protected areas
    and climate maps their legend words mapped to the criterion's classes; class polygons ``lo``,
    ``hi``, ``wert`` (base units) and ``ausserhalb`` (how the map's outside counts). The problems
    are the notes of every file read and the sentences of the features not understood.
    """
    problems: list[str] = []
    files: list[Path] = []
    if name in CLASS_INPUTS:
        label, unit, names = CLASS_INPUTS[name]
        fields, numeric = {"klasse": names}, ()
    else:
        label, _kind, fields, numeric = VECTOR_INPUTS[name]
    frames = []
    for src in sources:
        for file, layer in source_files(src):
            files.append(file)
            fields_here = dict(fields)
            gdf, used = _read_one(name, src, file, layer, target_crs=target_crs, problems=problems,
                                  fields=fields_here, numeric=numeric)
            shown = file.name + (f" ({layer})" if layer else "")
            gdf["quelle"] = shown
            gdf["verstanden"] = True
            gdf["hinweis"] = ""
            post = _POST.get("class" if name in CLASS_INPUTS else name)
            if post is not None:
                gdf = post(gdf, src=src, used=used, shown=shown, name=name, problems=problems)
            frames.append(gdf)
    if not frames:
        raise InputError(f"{label}: keine Dateien gefunden", file=sources[0].path if sources else None,
                         fix=f"Pfad unter 'inputs.{name}' prüfen")
    crs = frames[0].crs
    out = pd.concat([f.to_crs(crs) if f.crs != crs else f for f in frames], ignore_index=True)
    files = list(dict.fromkeys(str(f) for f in files))
    return Read(gpd.GeoDataFrame(out, geometry=out.geometry.name, crs=crs), tuple(problems),
                {"file": files[0] if len(files) == 1 else files, "crs": str(crs)})


def _not_understood(gdf, mask, text: str, problems: list[str]) -> None:
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        gdf.loc[mask, "verstanden"] = False
        gdf.loc[mask, "hinweis"] = text
        problems.append(f"{text}; betroffene Flächen werden nicht bewertet")


def _post_trees(gdf, *, src, used, shown, name, problems):
    """Circumference from a diameter, a diameter mapped as circumference, and the unit check."""
    u_col, d_col = used.get("umfang_cm"), used.get("durchmesser_cm")
    umfang, durch = gdf["umfang_cm"].astype(float), gdf["durchmesser_cm"].astype(float)
    looks_like_d = u_col is not None and any(k in normalize_label(u_col) for k in ("durchm", "bhd", "dm"))
    if looks_like_d and d_col in (None, u_col):
        durch, umfang, d_col, u_col = umfang, pd.Series(np.nan, index=gdf.index), u_col, None
        problems.append(f"{shown}: Baumkataster: Feld {d_col!r} ist als Stammumfang zugeordnet, heißt aber wie ein "
                        f"Durchmesser; als Durchmesser gelesen und mit π in den Umfang umgerechnet "
                        f"(sonst 'fields: {{durchmesser_cm: {d_col}}}' bzw. 'umfang_cm' richtig zuordnen)")
    if u_col is None and d_col is not None:
        gdf["umfang_cm"] = (durch * math.pi).round(2)
        problems.append(f"{shown}: Baumkataster: Stammumfang aus dem Durchmesser (Feld {d_col!r}) × π berechnet "
                        f"(auf 0,01 cm gerundet)")
    elif u_col is not None:
        gdf["umfang_cm"] = umfang.where(umfang.notna(), (durch * math.pi).round(2))
    measure = d_col if u_col is None else u_col
    if u_col is None and d_col is None:
        _not_understood(gdf, np.ones(len(gdf), bool),
                        f"{shown}: Baumkataster ohne Feld für Stammumfang oder -durchmesser (gesucht z. B. "
                        f"'stammumfang', 'stammdurchmesser'); 'fields: {{umfang_cm: …}}' oder "
                        f"'fields: {{durchmesser_cm: …}}' unter 'inputs.trees' eintragen", problems)
    else:
        values = (durch if u_col is None else umfang).dropna()
        lo, hi = TREE_RANGE_CM["durchmesser_cm" if u_col is None else "umfang_cm"]
        if len(values) and (values.median() < lo * 2 or values.max() > hi):
            kind = "Durchmesser" if u_col is None else "Stammumfang"
            _not_understood(gdf, np.ones(len(gdf), bool),
                            f"{shown}: Baumkataster: {kind} im Feld {measure!r} mit Werten {values.min():g} … "
                            f"{values.max():g} ist in cm unplausibel (Meter? Millimeter?); Werte in cm liefern",
                            problems)
    return gdf.drop(columns=["durchmesser_cm"])


def _post_legend(vocabulary, column: str, what: str):
    def post(gdf, *, src, used, shown, name, problems):
        col = used.get(column)
        raw = gdf[column]
        if col is None and column not in src.values:
            _not_understood(gdf, np.ones(len(gdf), bool),
                            f"{shown}: {what}: kein Feld {column!r} gefunden (vorhanden: siehe 'nachverdichtung "
                            f"layers'); 'fields: {{{column}: …}}' oder 'values: {{{column}: …}}' unter "
                            f"'inputs.{name}' eintragen", problems)
            return gdf
        mapped, unknown = match_labels(pd.unique(raw.dropna().astype(str)), vocabulary, src.classes)
        gdf[f"{column}_text"] = raw.astype("string").fillna("").astype(str)
        gdf[column] = pd.Series([mapped.get(v) for v in raw.astype(str)], index=gdf.index, dtype=object)
        empty = raw.isna() | (raw.astype(str).str.strip() == "")
        bad = gdf[column].isna()
        field = f"Feld {col!r}" if col else f"values.{column}"
        if unknown:
            _not_understood(gdf, bad & ~empty, f"{shown}: {what}: Bezeichnung(en) {', '.join(map(repr, unknown[:8]))}"
                            f"{' …' if len(unknown) > 8 else ''} im {field} keiner Klasse zugeordnet; unter "
                            f"'inputs.{name}.classes' zuordnen", problems)
        _not_understood(gdf, empty, f"{shown}: {what}: {int(empty.sum())} Objekte ohne Wert im {field}", problems)
        return gdf
    return post


def _post_classes(gdf, *, src, used, shown, name, problems):
    """Band labels of class polygons → ``lo``, ``hi``, ``wert`` in base units."""
    label, unit, _names = CLASS_INPUTS[name]
    col = used.get("klasse")
    if col is None and "klasse" not in src.values and src.layer is None:
        col = _single_attribute(src, problems, shown, label)
        if col is not None:
            gdf["klasse"] = col[1]
            col = col[0]
    if col is None and "klasse" not in src.values:
        raise InputError(f"{label}: kein Klassenfeld gefunden", file=src.path,
                         fix=f"'fields: {{klasse: <Feld mit \"10 - 30 cm\" o. ä.>}}' unter 'inputs.{name}' eintragen")
    raw = gdf["klasse"]
    numeric = pd.to_numeric(raw, errors="coerce")
    text = raw.astype("string")
    if numeric.notna().all() and not src.classes:
        # a numeric field: a value per polygon (e.g. an isophone's lower bound) is ambiguous
        values = numeric.astype(float)
        text = values.map(lambda v: f"{v:g}")
    eps = BAND_EPS[_BASE[unit]]
    bands, unknown = parse_bands(text, unit=src.unit or unit, table=src.classes, bound=src.bound, eps=eps)
    for c in ("lo", "hi", "wert"):
        gdf[c] = bands[c].to_numpy()
    gdf["ausserhalb"] = src.outside
    gdf["einheit"] = _BASE[unit]
    lo = bands["lo"].dropna()
    # outside every band: just below the lowest band (dry / 0 when the lowest band is open, "< 10 cm")
    quiet = src.outside == "quiet" or len(lo) == 0 or np.isneginf(lo).any()
    gdf["unter"] = 0.0 if quiet else float(lo.min()) - eps
    if unknown:
        _not_understood(gdf, bands["wert"].isna().to_numpy(),
                        f"{shown}: {label}: Klasse(n) {', '.join(map(repr, unknown[:8]))} im Feld {col!r} nicht als "
                        f"Wertebereich lesbar; unter 'inputs.{name}.classes' z. B. {{'{unknown[0]}': '10 - 30 cm'}} "
                        f"eintragen", problems)
    return gdf


def _single_attribute(src, problems: list[str], shown: str, label: str):
    """The only attribute column of a class layer (name, values), taken as its class field; else None."""
    raw = read_vector(src.path, layer=src.layer, encoding=src.encoding, crs=src.crs, what=label).frame
    cols = [c for c in raw.columns if c != raw.geometry.name and normalize_label(c) not in ("fid", "id", "objectid")]
    if len(cols) != 1:
        return None
    problems.append(f"{shown}: {label}: einziges Feld {cols[0]!r} als Klassenfeld angenommen")
    return cols[0], raw[cols[0]].to_numpy()


def _post_numeric_noise(gdf, *, src, used, shown, name, problems):
    for col in ("lden_db", "lnight_db"):
        v = gdf[col]
        bad = v.notna() & ((v < 0) | (v > 140))
        _not_understood(gdf, bad, f"{shown}: Lärmkarte: {int(bad.sum())} Werte im Feld {used.get(col)!r} außerhalb "
                        f"0 … 140 dB(A)", problems)
    if used.get("lden_db") is None and used.get("lnight_db") is None:
        _not_understood(gdf, np.ones(len(gdf), bool),
                        f"{shown}: Lärmkarte (Polygone): weder Feld 'lden_db' noch 'lnight_db' gefunden; "
                        f"'fields: {{lden_db: …}}' eintragen oder die Bänder als 'noise_lden' mit Klassenfeld "
                        f"angeben", problems)
    return gdf


_POST = {
    "trees": _post_trees,
    "protected_areas": _post_legend({**PROTECTED_VOCABULARY}, "kategorie", "Schutzgebiete"),
    "climate": _post_legend(CLIMATE_VOCABULARY, "funktion", "Klimafunktionskarte"),
    "class": _post_classes,
    "noise_areas": _post_numeric_noise,
}


def layer_info(path: Path) -> dict:
    """Fields and geometry type of a vector file (for ``init`` and messages)."""
    return pyogrio.read_info(path)
