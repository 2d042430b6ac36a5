"""The configuration: one frozen tree read from one YAML file.

The file names the input sources and the parameters of every stage. Unknown keys are rejected,
every default is defined once (in the stage's parameter dataclass), and the effective
configuration, with all defaults filled in, is written next to the outputs.

Examples
--------
>>> cfg = load_config("data/raw/sample/config.yml")        # doctest: +SKIP
>>> cfg.criteria["topographie"].bedingt_ab_pct              # doctest: +SKIP
10.0
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .io.contract import TARGET_CRS
from .io.postgis import is_database_url, parse_url
from .params import build, param, to_plain

__all__ = [
    "SourceConfig", "Sources", "source_list", "AlkisConfig", "InputsConfig", "RatingConfig", "OutputConfig",
    "OwnersConfig", "Scenario", "Config",
    "load_config", "config_from_dict", "dump_config", "missing_paths",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceConfig:
    """One input file: a vector layer, a CSV of points or a raster."""

    path: Path = param(None, doc="Pfad zur Datei (relativ zur Konfigurationsdatei)", required=True)
    layer: str | None = param(None, doc="Layername in einer GeoPackage-/Mehrlayer-Datei")
    crs: str | None = param(None, doc="Koordinatensystem, falls die Datei keines angibt")
    encoding: str | None = param(None, doc="Zeichenkodierung, falls nicht erkennbar (z. B. cp1252)")
    fields: dict[str, str] = param({}, doc="Feldzuordnung kanonischer Name → Feldname der Datei")
    values: dict[str, str] = param({}, doc="Fester Wert je kanonischem Feld für die ganze Datei, z. B. "
                                   "{kategorie: NSG} für eine Datei ohne Kategoriefeld")
    unit: str | None = param(None, doc="Einheit der Werte bzw. der Klassengrenzen ohne Einheit (Tiefe m/cm, "
                             "Geschwindigkeit m/s, Lärm dB); ohne Angabe die Grundeinheit der Rolle, geprüft "
                             "am Wertebereich", choices=("m", "cm", "mm", "m/s", "cm/s", "dB"))
    classes: dict[str, str] = param({}, doc="Klassentabelle: Bezeichnung in der Datei → Wertebereich "
                                    "(\"10 - 30 cm\") oder → Klasse des Kriteriums (Legenden); ergänzt die "
                                    "mitgelieferten Tabellen")
    bound: str = param("upper", doc="Welcher Wert eines Klassenbereichs zählt (konservativ: knapp unter der "
                       "Obergrenze)", choices=("upper", "mid", "lower"))
    outside: str = param("below", doc="Flächen außerhalb aller Klassenpolygone einer vollständigen Karte: "
                         "knapp unter der niedrigsten Klasse (below), unbelastet/trocken unter jedem Schwellenwert "
                         "(quiet) oder nicht bewertet (unknown)", choices=("below", "quiet", "unknown"))
    separator: str | None = param(None, doc="Spaltentrenner einer CSV (sonst erkannt)", choices=(";", ",", "\t", "|"))
    decimal: str | None = param(None, doc="Dezimalzeichen einer CSV (sonst erkannt)", choices=(",", "."))
    sheet: str | None = param(None, doc="Tabellenblatt einer XLSX-Datei (sonst das erste)")


#: An input may be one source or several (tiles of a raster, files of one thematic role).
Sources = SourceConfig | tuple[SourceConfig, ...]


def source_list(value) -> tuple[SourceConfig, ...]:
    """The sources of one input as a tuple (empty when the input is not configured)."""
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


@dataclass(frozen=True)
class AlkisConfig:
    """The cadastre: parcels, buildings, roads and land use from one Shapefile folder, GeoPackage or DXF."""

    path: Path = param(None, doc="Shapefile-Ordner, GeoPackage, DXF-Datei oder PostGIS-Adresse "
                                 "(postgresql://benutzer@server/datenbank?schema=public) mit den ALKIS-Daten",
                       required=True)
    preset: str = param("auto", doc="Schema der Daten", choices=("auto", "ax", "vereinfacht", "dxf_sample", "dxf_ax_objektarten"))
    encoding: str | None = param(None, doc="Zeichenkodierung erzwingen (sonst .cpg bzw. Erkennung)")
    crs: str | None = param(None, doc="Koordinatensystem, falls die Dateien keines angeben (DXF!)")
    layers: dict[str, Any] = param({}, doc="Rolle → Layername(n), überschreibt das Preset")
    fields: dict[str, Any] = param({}, doc="Rolle → {kanonisches Feld: Feldname}, überschreibt das Preset")
    gemarkung: str | None = param(None, doc="Gemarkungsnummer für DXF-Flurstücksnummern ohne Gemarkung")
    flur: int | None = param(None, doc="Flurnummer für DXF-Flurstücksnummern ohne Flur", min=0)
    dxf_reader: str = param("auto", doc="DXF-Leser", choices=("auto", "ezdxf", "gdal"))
    offset: tuple[float, ...] = param(
        (0.0, 0.0), doc="DXF: Reduktionskonstanten [dx, dy], die zu gekürzten Koordinaten addiert werden",
        unit="m")
    dxf_tolerance_m: float = param(
        0.01, doc="DXF: absolute Toleranz für geschlossene Linienzüge und das Fangen von Grenzlinien",
        unit="m", min=0.0001, max=1.0, source="Konvention (1 cm, Genauigkeit der Katasterkoordinaten)")
    bbox: tuple[float, ...] = param((), doc="PostGIS: nur Objekte in [xmin, ymin, xmax, ymax] (im Ziel-"
                                             "Koordinatensystem) lesen, damit eine Kreisdatenbank nicht ganz "
                                             "gelesen wird", unit="m")
    gemarkungen: tuple[str, ...] = param((), doc="PostGIS: nur die Flurstücke dieser Gemarkungsnummern lesen "
                                                 "(und die übrigen Objekte in ihrer Umgebung)")
    dxf_number_distance_m: float = param(
        10.0, doc="DXF: größter Abstand einer Flurstücksnummer außerhalb jedes Flurstücks zum "
                  "Flurstück ohne Nummer, dem sie zugeordnet wird", unit="m", min=0.0, max=100.0,
        source="Konvention: Flurstücksnummern stehen in ALKIS-DXF im Flurstück oder dicht daneben (schmale "
               "Flurstücke, Bezugslinie); 10 m reichen dafür, ohne die Nummer eines übernächsten Flurstücks zu "
               "greifen")


@dataclass(frozen=True)
class InputsConfig:
    """Optional thematic layers. A missing layer makes its criterion 'nicht bewertet'."""

    settlement: Sources | None = param(None, doc="Innenbereich / Siedlungsgrenze (Polygone)")
    planner_areas: Sources | None = param(None, doc="Vom Planer gezeichnete Flächen (Polygone)")
    dem: Sources | None = param(None, doc="Digitales Geländemodell: GeoTIFF/ASC/XYZ, Ordner, Muster oder Liste von Kacheln")
    rain_depth: Sources | None = param(None, doc="Starkregen: maximale Wassertiefe (Raster in m/cm oder Klassenpolygone)")
    rain_velocity: Sources | None = param(None, doc="Starkregen: maximale Fließgeschwindigkeit in m/s")
    flow_paths: Sources | None = param(None, doc="Fließwege (Linien)")
    trees: Sources | None = param(None, doc="Baumkataster (CSV mit x/y oder Punktlayer)")
    protected_areas: Sources | None = param(None, doc="Schutzgebiete mit Feld kategorie")
    species: Sources | None = param(None, doc="Artnachweise (Punkte) mit Feld art")
    climate: Sources | None = param(None, doc="Klimafunktionskarte mit Feld funktion")
    noise_lden: Sources | None = param(None, doc="Lärmkarte L_DEN in dB(A) (Raster oder Isophonen-Bänder)")
    noise_night: Sources | None = param(None, doc="Lärmkarte L_Night in dB(A) (Raster oder Isophonen-Bänder)")
    noise_areas: Sources | None = param(None, doc="Lärmkarte als Polygone mit lden_db/lnight_db")
    railways: Sources | None = param(None, doc="Bahnstrecken (für den Lärm-Ersatzwert)")
    monuments: Sources | None = param(None, doc="Denkmalliste (Punkte oder Flächen) mit kategorie/name")
    flood_hazard: Sources | None = param(None, doc="Hochwassergefahrenkarte (Polygone) mit Feld szenario "
                                         "(HQhäufig, HQ100, HQextrem)")


@dataclass(frozen=True)
class RatingConfig:
    """How the criteria combine into one class."""

    rule: str = param("worst", doc="Regel: die schlechteste Klasse entscheidet", choices=("worst",),
         source="INSEK Kaiserslautern (Steuerungsgruppe 21.03.2023): Bewertungsskala geeignet / bedingt geeignet / "
                "nicht geeignet; Konvention: die schlechteste Klasse entscheidet, weil jedes Kriterium für sich "
                "einen Ausschluss begründen kann")
    missing: str = param(
        "nicht bewertet",
        doc="Gesamtklasse, wenn kein Kriterium 'nicht geeignet' ist, aber eines nicht bewertet werden konnte",
        choices=("nicht bewertet", "bedingt geeignet"),
        source="Konvention: fehlende Daten lassen nie eine Fläche passieren; ohne alle Daten ist die Gesamtklasse "
               "offen"
    )
    advisory: tuple[str, ...] = param((), doc="Kriterien, die nur informieren und nicht entscheiden",
        source="Konvention: ohne Angabe entscheiden alle Kriterien mit; nur die Planung stuft eines bewusst zur "
               "Information herab")


@dataclass(frozen=True)
class OutputConfig:
    """Which outputs to write and how tables are formatted."""

    formats: tuple[str, ...] = param(
        ("gpkg", "csv", "shp", "xlsx", "map", "report"),
        doc="Ausgabeformate", choices=("gpkg", "csv", "shp", "xlsx", "map", "report", "pdf"),
    )
    csv_separator: str = param(";", doc="Spaltentrenner der CSV (Excel deutsch: ;)", choices=(";", ",", "\t"))
    csv_decimal: str = param(",", doc="Dezimalzeichen der CSV", choices=(",", "."))
    title: str = param("Potenziale für Bauen in zweiter Reihe", doc="Titel von Karte und Bericht")
    study_area: str = param("", doc="Name des Untersuchungsgebiets (leer: aus den Gemeinde-/Gemarkungsnamen "
                                    "der ALKIS-Daten)")
    postgis: str | None = param(None, doc="Ergebnisse zusätzlich nach PostGIS schreiben: "
                                          "postgresql://benutzer@server/datenbank?schema=nachverdichtung "
                                          "(Passwort über PGPASSWORD oder ~/.pgpass, nie in der Datei)")


@dataclass(frozen=True)
class Scenario:
    """A named policy variant: the base configuration with some criterion parameters and switches overlaid.

    In YAML::

        scenarios:
          streng: {criteria: {topographie: {bedingt_ab_pct: 8}}}
          locker: {criteria: {klima: false}, rating: {missing: bedingt geeignet}}

    ``criteria`` and ``rating`` are the full, effective sections of the variant; ``overlay`` is what
    the file said.
    """

    name: str
    criteria: Mapping[str, Any]
    rating: RatingConfig
    overlay: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class OwnersConfig:
    """Owner data for a participation round (``nachverdichtung beteiligung``), kept apart from ``Layers``.

    Owner data is read only by the ``beteiligung`` commands and copied into the internal store of the
    output folder; it never enters the assessment or a public output (see ``docs/beteiligung.md``).
    """

    path: Path = param(None, doc="PostNAS-/NAS-Import-GeoPackage mit ax_person … oder Liegenschaftsbuch-Auszug (CSV/XLSX)")
    schema: str = param("auto", doc="Form der Eigentümerdaten", choices=("auto", "postnas", "tabelle"))
    encoding: str | None = param(None, doc="Zeichenkodierung der CSV, falls nicht UTF-8 (z. B. cp1252)")
    sheet: str | None = param(None, doc="Tabellenblatt einer XLSX-Datei (Standard: das erste)")
    fields: dict[str, str] = param({}, doc="Tabelle: kanonischer Name (flstkennz, name, anschrift, anteil) → Spaltenname")
    stelle: str = param("Stadtverwaltung – Stadtplanung", doc="Absender der Anschreiben und Verantwortlicher nach Art. 13 DSGVO")
    stelle_anschrift: str = param("Rathausplatz 1, 67657 Kaiserslautern", doc="Postanschrift des Absenders")
    datenschutz_kontakt: str = param("datenschutz@example.org", doc="Kontakt der/des Datenschutzbeauftragten")
    antwort_tage: int = param(28, doc="Antwortfrist der Anschreiben in Tagen", unit="d", min=7, max=180,
        source="Konvention: vier Wochen, wie sie Verwaltungen für freiwillige Rückmeldungen setzen; genug für "
               "Absprachen in Erbengemeinschaften")
    aufbewahrung_monate: int = param(24, doc="Speicherdauer der Eigentümerdaten nach Beginn der Runde (Art. 13 Abs. 2 lit. a DSGVO)",
                                     unit="Monate", min=1, max=120,
        source="Art. 5 Abs. 1 lit. e DSGVO (Speicherbegrenzung), Angabe nach Art. 13 Abs. 2 lit. a DSGVO; "
               "Konvention: 24 Monate decken eine Beteiligungsrunde mit Nachfragen und die anschließende Planung")


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``criteria`` maps each enabled criterion to its parameters."""

    alkis: AlkisConfig
    crs: str = TARGET_CRS
    inputs: InputsConfig = dataclasses.field(default_factory=InputsConfig)
    candidates: Any = None
    criteria: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    rating: RatingConfig = dataclasses.field(default_factory=RatingConfig)
    output: OutputConfig = dataclasses.field(default_factory=OutputConfig)
    owners: OwnersConfig | None = None
    file: Path | None = None
    scenarios: tuple[Scenario, ...] = ()


_SECTIONS = ("crs", "alkis", "inputs", "candidates", "criteria", "rating", "output", "scenarios", "owners")
_SCENARIO_KEYS = ("criteria", "rating")


def load_config(path: str | Path) -> Config:
    """Read and check a YAML configuration file.

    Parameters
    ----------
    path
        The ``config.yml``. Relative paths inside it are resolved against its folder.

    Raises
    ------
    ConfigError
        If the file is missing or not valid YAML, or any key, type or value is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("Konfigurationsdatei nicht gefunden", file=path,
                          fix="Pfad prüfen oder mit 'nachverdichtung sample' ein Beispiel erzeugen")
    try:
        data = yaml.safe_load(_config_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (Zeile {mark.line + 1})" if mark else ""
        raise ConfigError(f"kein gültiges YAML{where}: {getattr(exc, 'problem', exc)}", file=path,
                          fix="Einrückung und Doppelpunkte prüfen") from None
    return config_from_dict(data, file=path, base_dir=path.parent.resolve())


def _config_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else cp1252 as Windows editors save it."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s: nicht UTF-8-kodiert, als cp1252 (Windows) gelesen", path)
        return raw.decode("cp1252", errors="replace")


def config_from_dict(data: Mapping | None, *, file: Path | str | None = None,
                     base_dir: Path | None = None) -> Config:
    """Build a :class:`Config` from plain data (as read from YAML)."""
    from .candidates import CandidateParams
    from .criteria import REGISTRY

    if not isinstance(data, Mapping):
        raise ConfigError("die Datei enthält keine Konfiguration", file=file,
                          fix="mindestens einen Abschnitt 'alkis:' mit 'path:' eintragen")
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise ConfigError(f"unbekannter Abschnitt {', '.join(repr(u) for u in unknown)}", file=file,
                          key=unknown[0], fix=f"erlaubt sind: {', '.join(_SECTIONS)}")
    if "alkis" not in data:
        raise ConfigError("Abschnitt 'alkis' fehlt", file=file, key="alkis",
                          fix="'alkis:' mit 'path:' zu den Flurstücken/Gebäuden eintragen")
    crs = data.get("crs", TARGET_CRS)
    if not isinstance(crs, str):
        raise ConfigError(f"erwartet Text wie 'EPSG:25832', gefunden {crs!r}", file=file, key="crs",
                          fix="crs: EPSG:25832")
    _check_crs(crs, file=file, key="crs")
    alkis = build(AlkisConfig, data["alkis"], key="alkis", file=file, base_dir=base_dir)
    if alkis.crs:
        _check_crs(alkis.crs, file=file, key="alkis.crs")
    inputs = build(InputsConfig, data.get("inputs"), key="inputs", file=file, base_dir=base_dir)
    candidates = build(CandidateParams, data.get("candidates"), key="candidates", file=file,
                       base_dir=base_dir)

    criteria, rating = _criteria_and_rating(data.get("criteria"), data.get("rating"), registry=REGISTRY, file=file,
                                            base_dir=base_dir)
    scenarios = _scenarios(data, registry=REGISTRY, file=file, base_dir=base_dir)
    output = build(OutputConfig, data.get("output"), key="output", file=file, base_dir=base_dir)
    if output.postgis:
        try:
            parse_url(output.postgis, key="output.postgis")
        except ConfigError as exc:
            raise ConfigError(exc.problem, file=file, key="output.postgis", fix=exc.fix) from None
    owners = (build(OwnersConfig, data["owners"], key="owners", file=file, base_dir=base_dir)
              if data.get("owners") is not None else None)
    if owners is not None and owners.path is None:
        raise ConfigError("Pflichtangabe 'path' fehlt", file=file, key="owners",
                          fix="'owners: {path: eigentuemer.gpkg}' eintragen oder den Abschnitt entfernen")
    return Config(alkis=alkis, crs=crs, inputs=inputs, candidates=candidates, criteria=criteria,
                  rating=rating, output=output, owners=owners, file=None if file is None else Path(file),
                  scenarios=scenarios)


def _criteria_and_rating(raw_criteria, raw_rating, *, registry, file, base_dir,
                         key: str = "") -> tuple[dict, RatingConfig]:
    """The enabled criteria with their parameters and the rating section (``key`` prefixes messages)."""
    REGISTRY = registry
    raw_criteria = raw_criteria or {}
    if not isinstance(raw_criteria, Mapping):
        raise ConfigError("erwartet einen Abschnitt (Kriterium: Parameter)", file=file, key=f"{key}criteria",
                          fix="z. B. 'criteria: {topographie: {nicht_geeignet_ab_pct: 25}}'")
    unknown = sorted(set(map(str, raw_criteria)) - set(REGISTRY))
    if unknown:
        raise ConfigError(f"unbekanntes Kriterium {', '.join(repr(u) for u in unknown)}", file=file,
                          key=f"{key}criteria.{unknown[0]}", fix=f"bekannt sind: {', '.join(REGISTRY)}")
    criteria = {}
    for name, criterion in REGISTRY.items():
        value = raw_criteria.get(name, {})
        if value is False:
            continue  # disabled explicitly
        if value is True:
            value = {}
        criteria[name] = build(criterion.params_type, value, key=f"{key}criteria.{name}", file=file,
                               base_dir=base_dir)
    rating = build(RatingConfig, raw_rating, key=f"{key}rating", file=file, base_dir=base_dir)
    bad = [c for c in rating.advisory if c not in REGISTRY]
    if bad:
        raise ConfigError(f"unbekanntes Kriterium {bad[0]!r}", file=file, key=f"{key}rating.advisory",
                          fix=f"bekannt sind: {', '.join(REGISTRY)}")
    return criteria, rating


def _overlay(base: Any, over: Any) -> Any:
    """``over`` laid over ``base``: mappings merge key by key, anything else replaces.

    Examples
    --------
    >>> _overlay({"a": {"x": 1, "y": 2}, "b": False}, {"a": {"y": 3}, "c": True})
    {'a': {'x': 1, 'y': 3}, 'b': False, 'c': True}
    """
    if isinstance(over, Mapping):
        start = dict(base) if isinstance(base, Mapping) else {}
        for k, v in over.items():
            start[k] = _overlay(start.get(k), v)
        return start
    return over


def _overlay_criteria(base: Any, over: Any) -> Any:
    """A scenario's ``criteria`` over the base's: ``true`` switches a criterion on with the base parameters."""
    base = dict(base) if isinstance(base, Mapping) else {}
    if not isinstance(over, Mapping):
        return _overlay(base, over)
    out = dict(base)
    for name, value in over.items():
        old = base.get(name)
        out[name] = (dict(old) if isinstance(old, Mapping) else {}) if value is True else _overlay(
            old if isinstance(old, Mapping) else {}, value)
    return out


def _scenarios(data: Mapping, *, registry, file, base_dir) -> tuple[Scenario, ...]:
    raw = data.get("scenarios") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError("erwartet einen Abschnitt (Szenario: Überlagerung)", file=file, key="scenarios",
                          fix="z. B. 'scenarios: {streng: {criteria: {topographie: {bedingt_ab_pct: 8}}}}'")
    out = []
    for name, over in raw.items():
        name = str(name)
        key = f"scenarios.{name}."
        if not name.isidentifier() or name == "klasse":
            raise ConfigError(f"Szenarioname {name!r} ist kein einfacher Name", file=file, key=f"scenarios.{name}",
                              fix="Buchstaben, Ziffern und _ verwenden, z. B. streng, mittel, locker")
        over = over or {}
        if not isinstance(over, Mapping):
            raise ConfigError("erwartet einen Abschnitt (criteria/rating)", file=file, key=f"scenarios.{name}",
                              fix="z. B. 'streng: {criteria: {topographie: {bedingt_ab_pct: 8}}}'")
        unknown = sorted(set(map(str, over)) - set(_SCENARIO_KEYS))
        if unknown:
            raise ConfigError(f"unbekannter Schlüssel {unknown[0]!r} im Szenario", file=file, key=f"{key}{unknown[0]}",
                              fix=f"ein Szenario überlagert nur: {', '.join(_SCENARIO_KEYS)}")
        criteria, rating = _criteria_and_rating(_overlay_criteria(data.get("criteria"), over.get("criteria") or {}),
                                                _overlay(data.get("rating") or {}, over.get("rating") or {}),
                                                registry=registry, file=file, base_dir=base_dir, key=key)
        out.append(Scenario(name=name, criteria=criteria, rating=rating, overlay=dict(over)))
    return tuple(out)


def _check_crs(value: str, *, file, key: str) -> None:
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        crs = CRS.from_user_input(value)
    except ProjCRSError:
        raise ConfigError(f"unbekanntes Koordinatensystem {value!r}", file=file, key=key,
                          fix="einen EPSG-Code wie 'EPSG:25832' angeben") from None
    if key == "crs" and not crs.is_projected:
        raise ConfigError(f"Ziel-Koordinatensystem {value!r} ist nicht metrisch projiziert", file=file,
                          key=key, fix="ein metrisches System wie EPSG:25832 (UTM 32N) angeben")


def missing_paths(config: Config) -> list[tuple[str, Path]]:
    """Return ``(config key, path)`` for every configured input path that does not exist."""
    out = []
    if not is_database_url(config.alkis.path) and not config.alkis.path.exists():
        out.append(("alkis.path", config.alkis.path))
    for f in dataclasses.fields(config.inputs):
        for k, src in enumerate(source_list(getattr(config.inputs, f.name))):
            if src.path is None or not (src.path.exists() or any(c in src.path.name for c in "*?[")):
                where = f"inputs.{f.name}" if not isinstance(getattr(config.inputs, f.name), tuple) \
                    else f"inputs.{f.name}[{k}]"
                out.append((where, src.path))
    if config.owners is not None and not is_database_url(config.owners.path) and not config.owners.path.exists():
        out.append(("owners.path", config.owners.path))
    return out


def dump_config(config: Config) -> str:
    """The effective configuration as YAML, with every default filled in."""
    data = {
        "crs": config.crs,
        "alkis": to_plain(config.alkis),
        "inputs": {k: v for k, v in to_plain(config.inputs).items() if v is not None},
        "candidates": to_plain(config.candidates),
        "criteria": to_plain(dict(config.criteria)),
        "rating": to_plain(config.rating),
        "output": to_plain(config.output),
    }
    if config.owners is not None:
        data["owners"] = to_plain(config.owners)
    if config.scenarios:
        data["scenarios"] = {s.name: to_plain(dict(s.overlay)) for s in config.scenarios}
    header = "# Effektive Konfiguration (alle Voreinstellungen ausgeschrieben)\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
