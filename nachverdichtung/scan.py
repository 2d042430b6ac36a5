"""``nachverdichtung init FOLDER``: recognise a data delivery and write a commented ``config.yml``.

The folder is scanned at any depth. Each file's role is recognised from its name, its layer and
field names, its geometry type and (for rasters) its value range; every guess is marked in the
written config with ``# geraten: …`` and the reason. The config lists the criteria that will be
"nicht bewertet" for lack of data. An existing config is never overwritten: the new one gets a
free name (``config.init.yml``, ``config.init.2.yml`` …).

Personal data is never pointed at: owner tables (``eigentuemer*``) are listed as skipped.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.errors
import rasterio

from .config import InputsConfig
from .criteria import REGISTRY
from .errors import InputError
from .io.classes import normalize_label
from .io.mosaic import RASTER_SUFFIXES
from .io.tables import COORD_NAMES, read_table
from .io.thematic import CLASS_INPUTS, VECTOR_INPUTS, find_column

__all__ = ["Guess", "Delivery", "scan_delivery", "write_init_config", "init_config_text"]

_SKIP_NAMES = ("config", "ground_truth", "eigentuemer", "owner", "beteiligung", "protokoll")
#: Name fragments (normalised) per role, strongest first.
_NAME_HINTS = {
    "dem": ("dgm", "dem", "gelaende", "hoehenmodell", "dtm"),
    "rain_depth": ("wassertiefe", "tiefe", "depth", "ueberflutung", "sturzflut", "starkregen"),
    "rain_velocity": ("geschwindigkeit", "velocity", "fliessgeschw"),
    "noise_lden": ("lden", "laermtag", "l_den"),
    "noise_night": ("lnight", "nacht", "night", "lngt"),
    "flow_paths": ("fliessweg", "abflussweg", "flowpath", "tiefenlinie"),
    "railways": ("bahn", "gleis", "rail", "schiene"),
    "settlement": ("innenbereich", "siedlung", "34baugb", "ortslage"),
    "planner_areas": ("planer", "planung", "flaechen_planer"),
    "trees": ("baum", "tree", "kataster_baeume"),
    "species": ("artnachweis", "arten", "species", "artenkataster", "fund"),
    "protected_areas": ("schutzgebiet", "naturschutz", "nsg", "lsg", "ffh", "biotop", "lanis", "schutz"),
    "climate": ("klima", "klimatop", "climate", "kaltluft"),
    "noise_areas": ("laerm", "laerm_polygone", "noise"),
}
_ALKIS_LAYERS = ("ax_flurstueck", "flurstueck", "flurstuecke")
#: What GDAL raises for a file it cannot open as vector data (the scan then makes no guess)
_GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError)


@dataclass
class Guess:
    """One recognised input: the role, the path, the chosen field map and why."""

    role: str
    path: Path
    reason: str
    sure: bool = True
    fields: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Delivery:
    """What a scan found: the ALKIS source, the thematic inputs, and what it skipped or could not place."""

    folder: Path
    alkis: Guess | None = None
    inputs: dict[str, Guess] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _hint(name: str) -> list[str]:
    key = normalize_label(name)
    return [role for role, words in _NAME_HINTS.items() if any(w in key for w in words)]


def _is_raster(p: Path) -> bool:
    return p.name.lower().endswith(RASTER_SUFFIXES) and not p.name.lower().endswith(".vrt")


def _alkis(p: Path) -> Guess | None:
    """An ALKIS delivery: a Shapefile folder or GeoPackage with parcel layers, or a DXF."""
    if p.is_dir():
        stems = [q.stem.lower() for q in p.glob("*.shp")]
        if any(s in _ALKIS_LAYERS for s in stems):
            full = "ax_flurstueck" in stems
            return Guess("alkis", p, f"Shapefile-Ordner mit {'ax_flurstueck' if full else 'Flurstueck'}",
                         extra={"preset": "ax" if full else "vereinfacht"})
        return None
    if p.suffix.lower() == ".gpkg":
        try:
            names = [str(n).lower() for n, _ in pyogrio.list_layers(p)]
        except _GDAL_ERRORS:  # not a GeoPackage GDAL can open: not a guess
            return None
        if any(n in _ALKIS_LAYERS for n in names):
            return Guess("alkis", p, "GeoPackage mit Flurstücks-Layer", sure=False)
    if p.suffix.lower() == ".dxf":
        return Guess("alkis", p, "DXF-Zeichnung (Layerzuordnung prüfen)", sure=False)
    return None


def _raster_role(p: Path) -> Guess | None:
    hints = [h for h in _hint(p.name) if h in ("dem", "rain_depth", "rain_velocity", "noise_lden", "noise_night")]
    try:
        with rasterio.open(p) as ds:
            step = max(1, max(ds.width, ds.height) // 256)
            a = ds.read(1, out_shape=(max(1, ds.height // step), max(1, ds.width // step)), masked=True)
            values = np.ma.compressed(a).astype(float)
    except rasterio.errors.RasterioIOError:
        return None
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (np.nan, np.nan)
    if "rain_velocity" in hints:
        return Guess("rain_velocity", p, "Name nennt Fließgeschwindigkeit")
    if "noise_night" in hints:
        return Guess("noise_night", p, "Name nennt L_Night")
    if "noise_lden" in hints:
        return Guess("noise_lden", p, "Name nennt L_DEN")
    if hints:
        role = hints[0]
        return Guess(role, p, f"Name deutet auf {role}; Werte {lo:g} … {hi:g}")
    if 30 <= lo and hi <= 120:
        return Guess("noise_lden", p, f"Werte {lo:g} … {hi:g} sehen nach dB(A) aus", sure=False)
    if -0.01 <= lo and hi <= 10:
        return Guess("rain_depth", p, f"Werte {lo:g} … {hi:g} sehen nach Wassertiefen in m aus", sure=False)
    if hi > 50:
        return Guess("dem", p, f"Werte {lo:g} … {hi:g} sehen nach Geländehöhen aus", sure=False)
    return None


def _fields_for(role: str, columns: list[str]) -> dict[str, str]:
    """The field map :mod:`nachverdichtung.io.thematic` would choose (only fields that differ in name)."""
    defaults = VECTOR_INPUTS[role][2] if role in VECTOR_INPUTS else {"klasse": CLASS_INPUTS[role][2]}
    out = {}
    for canon, names in defaults.items():
        col = find_column(columns, names)
        if col is not None and col != canon:
            out[canon] = col
    return out


def _vector_role(p: Path) -> Guess | None:
    try:
        info = pyogrio.read_info(p)
    except _GDAL_ERRORS:  # not a vector file GDAL can read
        return None
    cols = [str(c) for c in info["fields"]]
    norm = [normalize_label(c) for c in cols]
    geom = (info.get("geometry_type") or "").lower()
    hints = _hint(p.stem)
    if "point" in geom:
        if any(k in n for n in norm for k in ("umfang", "durchm", "stu", "bhd", "krone")):
            return Guess("trees", p, "Punkte mit Stammumfang/-durchmesser", fields=_fields_for("trees", cols))
        if "species" in hints or any(n in ("art", "artname", "taxon") for n in norm):
            return Guess("species", p, "Punkte mit Artname", sure="species" in hints,
                         fields=_fields_for("species", cols))
        return None
    if "line" in geom:
        if "railways" in hints:
            return Guess("railways", p, "Linien, Name nennt Bahn")
        if "flow_paths" in hints:
            return Guess("flow_paths", p, "Linien, Name nennt Fließwege")
        return Guess("flow_paths", p, "Linienlayer ohne eindeutigen Namen", sure=False)
    for role in ("climate", "protected_areas", "settlement", "planner_areas", "railways"):
        if role in hints:
            return Guess(role, p, f"Polygone, Name deutet auf {role}",
                         fields=_fields_for(role, cols) if role in VECTOR_INPUTS else {})
    for role in ("noise_night", "noise_lden", "rain_depth", "rain_velocity"):
        if role in hints:
            return Guess(role, p, "Klassenpolygone, Name deutet darauf", sure=False, fields=_fields_for(role, cols))
    if any("lden" in n for n in norm):
        return Guess("noise_areas", p, "Polygone mit L_DEN-Feld", fields=_fields_for("noise_areas", cols))
    if any("kategor" in n or "schutz" in n for n in norm):
        return Guess("protected_areas", p, "Polygone mit Kategoriefeld", sure=False,
                     fields=_fields_for("protected_areas", cols))
    if any("klimat" in n or "funktion" in n for n in norm):
        return Guess("climate", p, "Polygone mit Klimafunktion", sure=False, fields=_fields_for("climate", cols))
    return None


def _table_role(p: Path) -> Guess | None:
    try:
        df = read_table(p, what="Tabelle", fix_key="inputs").frame
    except InputError:
        return None
    cols = [str(c) for c in df.columns]
    has_xy = all(any(normalize_label(c) in [normalize_label(n) for n in COORD_NAMES[k]] for c in cols) for k in "xy")
    if not has_xy:
        return None
    norm = [normalize_label(c) for c in cols]
    if any(k in n for n in norm for k in ("umfang", "durchm", "stu", "bhd", "krone")) or "trees" in _hint(p.stem):
        return Guess("trees", p, "Tabelle mit Koordinaten und Stammmaß", fields=_fields_for("trees", cols))
    if "species" in _hint(p.stem):
        return Guess("species", p, "Tabelle mit Koordinaten, Name nennt Artnachweise", fields=_fields_for("species", cols))
    return None


def _tile_folders(folder: Path) -> dict[Path, list[Path]]:
    """Folders holding two or more rasters: each is one tiled input."""
    groups: dict[Path, list[Path]] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and _is_raster(p):
            groups.setdefault(p.parent, []).append(p)
    return {d: fs for d, fs in groups.items() if d != folder and len(fs) >= 2}


_PREFERENCE = {"alkis": 0, ".csv": 1, ".gpkg": 2, ".shp": 3}


def scan_delivery(folder: str | Path) -> Delivery:
    """Recognise the inputs of a delivery folder (any depth)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("Lieferordner nicht gefunden", file=folder, fix="einen vorhandenen Ordner angeben")
    out = Delivery(folder=folder)
    tiled = _tile_folders(folder)
    for d, files in tiled.items():
        g = _raster_role(files[0])
        if g is not None:
            g.path, g.reason = d, f"{len(files)} Rasterkacheln; {g.reason}"
            if files[0].name.lower().endswith((".xyz", ".xyz.gz", ".txt.gz")):
                g.extra["crs"] = "EPSG:25832"
                g.sure = False
            out.inputs.setdefault(g.role, g)
    alkis_found: list[Guess] = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or any(t in p.parents for t in tiled):
            continue
        if any(s in normalize_label(p.name) for s in _SKIP_NAMES):
            if p.is_file():
                out.skipped.append(f"{rel}: übersprungen (Konfiguration, Eigentümer- oder Prüfdaten)")
            continue
        if any(a.path in p.parents for a in alkis_found):
            continue
        g = _alkis(p)
        if g is not None:
            alkis_found.append(g)
            continue
        if not p.is_file() or p.suffix.lower() in (".shx", ".dbf", ".prj", ".cpg", ".qml", ".xml", ".json"):
            continue
        if _is_raster(p):
            g = _raster_role(p)
        elif p.suffix.lower() in (".csv", ".txt", ".xlsx"):
            g = _table_role(p)
        else:
            g = _vector_role(p)
        if g is None:
            out.skipped.append(f"{rel}: keine Rolle erkannt")
        elif g.role in out.inputs:
            out.skipped.append(f"{rel}: weitere Datei für {g.role} (verwendet: "
                               f"{out.inputs[g.role].path.relative_to(folder)})")
        else:
            out.inputs[g.role] = g
    order = {"ax": 0, "vereinfacht": 1}
    alkis_found.sort(key=lambda g: (order.get(g.extra.get("preset", ""), 2), g.path.suffix.lower() == ".dxf"))
    if alkis_found:
        out.alkis = alkis_found[0]
        for g in alkis_found[1:]:
            out.skipped.append(f"{g.path.relative_to(folder)}: weitere ALKIS-Lieferung (verwendet: "
                               f"{out.alkis.path.relative_to(folder)})")
    return out


def _missing_criteria(found: set[str]) -> list[str]:
    notes = []
    for name, crit in REGISTRY.items():
        if not crit.inputs or set(crit.inputs) & found:
            continue
        if name == "immissionen":
            notes.append(f"{crit.title}: keine Lärmkarte, nur Ersatzwert aus Abständen")
        elif name == "starkregen":
            notes.append(f"{crit.title}: keine Gefahrenkarte und kein DGM: nicht bewertet")
        else:
            notes.append(f"{crit.title}: nicht bewertet (fehlt: {', '.join(crit.inputs)})")
    return notes


def _yaml_value(g: Guess, rel: str) -> str:
    keys = {k: v for k, v in g.extra.items() if k != "preset"}
    if not g.fields and not keys:
        return rel
    parts = [f"path: {rel}"] + [f"{k}: {v}" for k, v in keys.items()]
    if g.fields:
        parts.append("fields: {" + ", ".join(f"{k}: {v}" for k, v in g.fields.items()) + "}")
    return "{" + ", ".join(parts) + "}"


def init_config_text(delivery: Delivery, target: Path) -> str:
    """The commented YAML for ``delivery``, with paths relative to ``target``'s folder."""
    base = os.path.abspath(target.parent)

    def rel(p: Path) -> str:
        r = os.path.relpath(os.path.abspath(p), base)
        return r if re.fullmatch(r"[\w./\-]+", r) else f'"{r}"'

    lines = ["# Konfiguration, erzeugt von 'nachverdichtung init' aus " + str(delivery.folder),
             "# Zeilen mit '# geraten' bitte prüfen. Eingaben: docs/data_model.md, 'Daten, wie sie geliefert werden'.",
             "crs: EPSG:25832"]
    if delivery.alkis is None:
        lines += ["alkis:", "  path: ALKIS_FEHLT   # keine ALKIS-Lieferung erkannt: Pfad eintragen"]
    else:
        a = delivery.alkis
        lines += ["alkis:", f"  path: {rel(a.path)}   # {'' if a.sure else 'geraten: '}{a.reason}"]
        if "preset" in a.extra:
            lines.append(f"  preset: {a.extra['preset']}")
    lines.append("inputs:")
    for role in (f.name for f in dataclasses.fields(InputsConfig)):
        if role in delivery.inputs:
            g = delivery.inputs[role]
            mark = "geraten: " if not g.sure else ""
            lines.append(f"  {role}: {_yaml_value(g, rel(g.path))}   # {mark}{g.reason}")
    if not delivery.inputs:
        lines.append("  {}")
    missing = _missing_criteria(set(delivery.inputs))
    if missing:
        lines.append("# Ohne Daten:")
        lines += [f"#   {m}" for m in missing]
    if delivery.skipped:
        lines.append("# Nicht verwendet:")
        lines += [f"#   {s}" for s in delivery.skipped]
    return "\n".join(lines) + "\n"


def write_init_config(folder: str | Path, out: str | Path | None = None) -> Path:
    """Scan ``folder`` and write the config; never overwrite (a free name is chosen instead)."""
    delivery = scan_delivery(folder)
    target = Path(out) if out is not None else Path(folder) / "config.yml"
    if target.exists():
        stem = target.name[:-4] if target.name.endswith(".yml") else target.name
        k = 1
        while True:
            cand = target.with_name(f"{stem}.init{'' if k == 1 else f'.{k}'}.yml")
            if not cand.exists():
                target = cand
                break
            k += 1
    text = init_config_text(delivery, target)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
