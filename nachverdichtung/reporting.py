"""Re-render the report of a finished run from its output folder (``nachverdichtung report OUTDIR``).

The areas and the parcel accounting are read back from the written GeoPackage, the configuration
from ``konfiguration_effektiv.yml`` beside it, and only the context layers (parcels, buildings,
roads for the maps) are loaded again from the inputs. Nothing is re-rated, so the report shows
exactly the classes that were written, e.g. after editing the report templates or the title.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd

from .candidates import CandidateResult
from .config import load_config
from .errors import InputError
from .export.gis import GPKG_NAME
from .export.report import write_report
from .layers import load_layers
from .pipeline import Assessment, build_manifest

__all__ = ["load_saved_assessment", "rerender_report"]

CONFIG_NAME = "konfiguration_effektiv.yml"


def load_saved_assessment(out_dir: str | Path, *, layers=None,
                          progress: Callable[[str], None] | None = None):
    """Rebuild an :class:`~nachverdichtung.pipeline.Assessment` from a run's output folder.

    Parameters
    ----------
    out_dir
        Folder with ``nachverdichtung.gpkg`` and ``konfiguration_effektiv.yml``.
    layers
        Already loaded context layers (skips loading the inputs again; for tests and notebooks).
    progress
        Called with a short German message per step.
    """
    say = progress or (lambda msg: None)
    out_dir = Path(out_dir)
    gpkg, cfg_file = out_dir / GPKG_NAME, out_dir / CONFIG_NAME
    for f in (gpkg, cfg_file):
        if not f.exists():
            raise InputError(f"{f.name} fehlt im Ausgabeordner", file=out_dir,
                             fix="zuerst 'nachverdichtung assess CONFIG --out ORDNER' mit dem Format gpkg ausführen")
    config = load_config(cfg_file)
    say("Ergebnis lesen")
    areas = gpd.read_file(gpkg, layer="bewertung")
    if "flaeche_id" in areas:
        areas = areas.set_index("flaeche_id")
    for col in ("entscheidend", "nicht_bewertet", "zusammenfassung", "flurstuecke", "strasse"):
        if col in areas:
            areas[col] = areas[col].fillna("").astype(object)
    parcels = gpd.read_file(gpkg, layer="flurstuecke")
    if layers is None:
        say("Kontext für Karten laden")
        layers = load_layers(config, progress=say)
    criteria = tuple(c for c in config.criteria if f"{c}_klasse" in areas)
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=areas.crs))
    written = datetime.fromtimestamp(gpkg.stat().st_mtime, timezone.utc)
    manifest = build_manifest(config, layers, started=written, timings={},
                              counts={"flurstuecke": int(len(parcels)), "flaechen": int(len(areas))})
    # the saved run's own configuration files, not a re-dump of what was read from them
    manifest.update(konfiguration=str(cfg_file), konfiguration_effektiv=cfg_file.read_text(encoding="utf-8"))
    cand = CandidateResult(areas=areas, parcels=parcels, streets=empty, blocks=empty)
    return Assessment(areas=areas, parcels=parcels, layers=layers,
                      candidates=cand, config=config, criteria=criteria, manifest=manifest)


def rerender_report(out_dir: str | Path, *, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write ``bericht.html`` and ``bericht.pdf`` again from the run in ``out_dir``.

    Examples
    --------
    >>> rerender_report("data/processed/sample")  # doctest: +SKIP
    [PosixPath('data/processed/sample/bericht.html'), PosixPath('data/processed/sample/bericht.pdf')]
    """
    out_dir = Path(out_dir)
    assessment = load_saved_assessment(out_dir, progress=progress)
    if progress:
        progress("Bericht schreiben")
    # only the report files are replaced (atomically); the run's protocol and tables stay untouched
    staging = Path(tempfile.mkdtemp(prefix=".nachverdichtung-", dir=out_dir))
    try:
        written = []
        for path in write_report(assessment, staging):
            os.replace(path, out_dir / path.name)
            written.append(out_dir / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
