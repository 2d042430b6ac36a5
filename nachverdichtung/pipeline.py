"""``assess(config) -> Assessment``: load, derive, rate, in one straight line.

Every stage takes plain objects and returns new ones; exporters only read the
:class:`Assessment`, they never recompute a criterion.
"""

from __future__ import annotations

import hashlib
import html
import logging
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from .bodenordnung import land_order_notes
from .candidates import CandidateResult, derive_candidates
from .config import Config, dump_config, load_config, missing_paths
from .criteria import REGISTRY
from .criteria.base import KLASSEN, apply_unusable
from .errors import ConfigError
from .io.place import Place, read_place
from .layers import Layers, load_layers
from .levers import lever_columns
from .rating import decision_counts, rate
from .scenarios import comparison, scenario_classes
from .sensitivity import sensitivity

log = logging.getLogger(__name__)

__all__ = ["Assessment", "assess", "decide", "evaluate_criteria", "check_paths", "rate_areas", "build_manifest",
           "file_hash", "versions"]


@dataclass(frozen=True)
class Assessment:
    """The result of one run.

    Attributes
    ----------
    areas
        Candidate areas (index ``flaeche_id``) with every criterion's columns and the rating columns
        ``klasse``, ``entscheidend``, ``nicht_bewertet``, ``zusammenfassung``, ``klasse_vorlaeufig``,
        ``vorlaeufig`` and the note ``bodenordnung`` (running reallocation etc., never a class).
    parcels
        Parcel accounting: every input parcel with ``status`` and ``grund``.
    layers
        The validated inputs (context for maps and reports).
    candidates
        Streets with their rear building lines, blocks and the sliver count.
    config
        The effective configuration.
    criteria
        Names of the evaluated criteria, in display order.
    manifest
        Versions, input file hashes, timings, counts.
    sensitivity
        Areas per class for every re-ratable threshold moved by ±10/20 % and to the scenario values
        (:func:`nachverdichtung.sensitivity.sensitivity`).
    scenario_table
        Areas and estimated dwellings per class and scenario (:func:`nachverdichtung.scenarios.comparison`).
    """

    areas: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    layers: Layers
    candidates: CandidateResult
    config: Config
    criteria: tuple[str, ...]
    manifest: dict = field(default_factory=dict)
    sensitivity: pd.DataFrame | None = None
    scenario_table: pd.DataFrame | None = None

    def class_counts(self) -> pd.Series:
        """Number of areas per overall class, in the fixed class order."""
        return self.areas["klasse"].value_counts().reindex(list(KLASSEN), fill_value=0)

    def summary(self) -> pd.DataFrame:
        """The class table: areas and their share (%) and area (m²) per overall class.

        Examples
        --------
        >>> result.summary()  # doctest: +SKIP
                          Flächen  Anteil %  Fläche m²
        Klasse
        geeignet               40      31.5      41230
        """
        counts = self.class_counts()
        n = int(counts.sum())
        area = (self.areas.groupby("klasse")["flaeche_m2"].sum() if "flaeche_m2" in self.areas
                else pd.Series(dtype=float)).reindex(counts.index, fill_value=0.0)
        table = pd.DataFrame({"Flächen": counts.astype(int),
                              "Anteil %": (100 * counts / n).round(1) if n else counts * 0.0,
                              "Fläche m²": area.round(0).astype(int)})
        table.index.name = "Klasse"
        return table

    def to_geopandas(self) -> gpd.GeoDataFrame:
        """The rated areas as a new GeoDataFrame (index ``flaeche_id``, every criterion's columns)."""
        return self.areas.copy()

    def explore(self, **kwargs):
        """The interactive map as a :class:`folium.Map` (shown inline in Jupyter; add layers to it).

        Keyword arguments go to :func:`nachverdichtung.export.webmap.karte`.
        """
        from .export.webmap import karte  # heavy: folium takes about a second to import

        return karte(self, **kwargs)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.class_counts().items())
        source = f", Konfiguration {self.config.file}" if self.config.file else ""
        return (f"<Assessment: {len(self.areas)} Potenzialflächen ({counts}); {len(self.parcels)} Flurstücke; "
                f"Kriterien: {', '.join(self.criteria) or 'keine'}{source}>")

    def _repr_html_(self) -> str:
        title = html.escape(self.config.output.title)
        return (f"<p><b>{title}</b>: {len(self.areas)} Potenzialflächen aus {len(self.parcels)} Flurstücken, "
                f"{len(self.criteria)} Kriterien</p>" + self.summary().to_html(float_format=lambda v: f"{v:.1f}"))

    def decision_counts(self) -> pd.Series:
        """How often each criterion decided the overall class."""
        return decision_counts(self.areas, self.criteria)

    def titles(self) -> dict[str, str]:
        """Display titles of the evaluated criteria."""
        return {c: REGISTRY[c].title for c in self.criteria}


def file_hash(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, or of every file in a folder (sorted), for the manifest."""
    h = hashlib.sha256()
    files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    return h.hexdigest()


def evaluate_criteria(areas: gpd.GeoDataFrame, layers: Layers, criteria: dict, *,
                      progress: Callable[[str], None] | None = None, timings: dict | None = None,
                      stages: CandidateResult | None = None) -> pd.DataFrame:
    """Run every enabled criterion and join their frames (indexed like ``areas``).

    ``stages`` (the candidate stage's result) is handed to the criteria that use its streets,
    blocks and building depths instead of deriving them again.
    """
    frames = []
    for name, params in criteria.items():
        if progress:
            progress(f"Kriterium {REGISTRY[name].title}")
        t0 = time.perf_counter()
        frame = REGISTRY[name](areas, layers, params, stages=stages)
        frame = apply_unusable(frame, name, REGISTRY[name].inputs, layers.unusable)
        if timings is not None:
            timings[f"kriterium_{name}"] = round(time.perf_counter() - t0, 3)
        frames.append(frame)
    return pd.concat(frames, axis=1) if frames else pd.DataFrame(index=areas.index)


def check_paths(config: Config) -> None:
    """Raise one :class:`ConfigError` naming the first configured input path that does not exist."""
    missing = missing_paths(config)
    if missing:
        key, path = missing[0]
        more = f" (und {len(missing) - 1} weitere)" if len(missing) > 1 else ""
        raise ConfigError(f"Datei nicht gefunden: {path}{more}", file=config.file, key=key,
                          fix="Pfad korrigieren (relativ zur Konfigurationsdatei) oder den Eintrag entfernen")


def rate_areas(areas: gpd.GeoDataFrame, crit: pd.DataFrame, config: Config) -> gpd.GeoDataFrame:
    """The areas with every criterion's columns and the overall rating columns."""
    names = tuple(config.criteria)
    rated = rate(crit, names, {n: REGISTRY[n].title for n in names}, missing=config.rating.missing,
                 advisory=config.rating.advisory)
    result = gpd.GeoDataFrame(pd.concat([areas.drop(columns="geometry"), crit, rated], axis=1),
                              geometry=areas.geometry, crs=areas.crs)
    result.index.name = "flaeche_id"
    return result


def build_manifest(config: Config, layers: Layers, *, started: datetime, timings: dict, counts: dict,
                   hashes: bool = True, **extra) -> dict:
    """The run's manifest: software versions, start, inputs with hash and date, timings, counts, log,
    study area and data date.

    Both engines (and the report re-render) build it here; ``extra`` adds entries such as the
    scenario notes or the partitions of the dask engine. ``hashes=False`` leaves the inputs' SHA-256
    out (a dask partition: the driver hashes each input once).
    """
    return {
        "software": {"nachverdichtung": __version__, "python": platform.python_version(),
                     **versions("geopandas", "shapely", "pyogrio", "rasterio", "numpy", "pandas", "pyproj")},
        "gestartet": started.isoformat(timespec="seconds"),
        "konfiguration": str(config.file) if config.file else None,
        "eingaben": {name: {"pfad": path, "sha256": file_hash(Path(path)) if hashes and Path(path).exists() else None,
                            "geaendert": _mtime(Path(path))}
                     for name, path in layers.sources.items()},
        "zeiten_s": timings,
        "anzahl": counts,
        "protokoll": list(layers.problems),
        **place_manifest(config, layers),
        **extra,
        "konfiguration_effektiv": dump_config(config),
    }


def assess(config: Config | str | Path, *, progress: Callable[[str], None] | None = None,
           layers: Layers | None = None, blocks: gpd.GeoDataFrame | None = None,
           streets: gpd.GeoDataFrame | None = None, settlement: gpd.GeoDataFrame | None = None,
           select: Callable[[CandidateResult], np.ndarray] | None = None, partition: bool = False) -> Assessment:
    """Run the whole assessment: load, derive candidates, evaluate criteria, rate, decide, manifest.

    Parameters
    ----------
    config
        The configuration, or the path of its ``config.yml`` (see
        :func:`nachverdichtung.config.load_config`).
    progress
        Called with a short German message at the start of each step.
    layers
        Already loaded layers (skips loading; for notebooks, tests and the partitions of
        :func:`nachverdichtung.engine.assess_partitioned`).
    blocks, streets
        Street blocks and streets of the whole region with their rear-house counts and rear building
        lines (a partition of the dask engine; see :func:`nachverdichtung.candidates.derive_candidates`).
    settlement
        An Innenbereich derived over the whole region (a partition of the dask engine without a
        settlement layer; see :func:`~nachverdichtung.candidates.derive_candidates`).
    select
        Given the candidate result, which areas to rate (a boolean mask over its areas): a partition
        of the dask engine rates only the areas it keeps. ``None``: all.
    partition
        A partition of the dask engine: the input hashes and the sensitivity sweep are left to the
        driver, which makes them once for the whole region.

    Examples
    --------
    >>> result = assess("data/raw/sample/config.yml")  # doctest: +SKIP
    >>> result.summary()                               # doctest: +SKIP
    """
    if isinstance(config, (str, Path)):
        config = load_config(config)
    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    started = datetime.now(timezone.utc)
    if layers is None:
        check_paths(config)
        t0 = time.perf_counter()
        layers = load_layers(config, progress=say)
        timings["laden"] = round(time.perf_counter() - t0, 3)
    say("Potenzialflächen ableiten")
    t0 = time.perf_counter()
    cand = derive_candidates(layers, config.candidates, blocks=blocks, streets=streets, settlement=settlement)
    if select is not None:
        keep = np.asarray(select(cand), dtype=bool)
        cand = replace(cand, areas=cand.areas[keep], area_extent=cand.area_extent[keep])
    timings["kandidaten"] = round(time.perf_counter() - t0, 3)
    if cand.notes:  # e.g. a derived Innenbereich: into the run log, the manifest and the report
        layers = layers.replace(problems=tuple(layers.problems) + tuple(cand.notes))
    crit = evaluate_criteria(cand.areas, layers, dict(config.criteria), progress=say, timings=timings, stages=cand)
    t0 = time.perf_counter()
    result = rate_areas(cand.areas, crit, config)
    timings["bewertung"] = round(time.perf_counter() - t0, 3)
    result["bodenordnung"] = land_order_notes(result, layers).to_numpy(dtype=object)  # a note, never a class
    result, sens, table, notes = decide(result, layers, config, say, timings, sweep=not partition)
    manifest = build_manifest(config, layers, started=started, timings=timings, counts={
        "flurstuecke": int(len(cand.parcels)), "flaechen": int(len(result)), "splitter": cand.slivers},
        hashes=not partition, szenarien=notes)
    return Assessment(areas=result, parcels=cand.parcels, layers=layers, candidates=cand, config=config,
                      criteria=tuple(config.criteria), manifest=manifest, sensitivity=sens, scenario_table=table)


def place_manifest(config: Config, layers: Layers) -> dict:
    """``gebiet`` (study-area name and its source) and ``datenstand`` (data date and its source)."""
    alkis_path = layers.sources.get("alkis")
    place = read_place(alkis_path, layers.parcels["gemarkung"].dropna().unique()).frame if alkis_path else Place()
    return {"gebiet": {"name": config.output.study_area or place.name or "Untersuchungsgebiet",
                       "quelle": "Konfiguration (output.study_area)" if config.output.study_area else
                       (place.name_quelle or "keine Namen in den Daten")},
            "datenstand": {"datum": place.stand or None, "quelle": place.stand_quelle}}


def decide(result: gpd.GeoDataFrame, layers: Layers, config: Config, say, timings: dict, *, sweep: bool = True):
    """Levers (``hebel_*``), scenario classes (``klasse_<name>``), the sensitivity sweep (unless not
    ``sweep``: an empty frame) and the comparison."""
    say("Hebel, Szenarien und Sensitivität")
    t0 = time.perf_counter()
    criteria = dict(config.criteria)
    levers = lever_columns(result, criteria, config.rating.advisory)
    timings["hebel"] = round(time.perf_counter() - t0, 3)
    scen, notes = scenario_classes(result, layers, config, progress=say, timings=timings)
    result = gpd.GeoDataFrame(pd.concat([result.drop(columns="geometry"), levers, scen], axis=1),
                              geometry=result.geometry, crs=result.crs)
    t0 = time.perf_counter()
    sens = sensitivity(result, criteria, missing=config.rating.missing, advisory=config.rating.advisory,
                       scenarios=config.scenarios) if sweep else pd.DataFrame()
    timings["sensitivitaet"] = round(time.perf_counter() - t0, 3)
    return result, sens, comparison(result, config.scenarios), notes


def versions(*names: str) -> dict[str, str]:
    """Installed versions of the named distributions (``"?"`` where not installed)."""
    out = {}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            out[n] = "?"
    return out


def _mtime(path: Path) -> str | None:
    if not path.exists():
        return None
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).date().isoformat()
