"""Exporters: they only read an :class:`~nachverdichtung.pipeline.Assessment`.

:func:`write_outputs` writes every requested format into a temporary folder beside the output
folder and moves the finished files into place only when all writers succeeded, so a crash never
leaves half-written outputs and a re-run replaces the previous outputs cleanly.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError

log = logging.getLogger(__name__)

__all__ = ["WRITERS", "check_formats", "write_outputs"]

#: format → "module:function"; each function is ``write(assessment, folder) -> list[Path]``.
WRITERS: dict[str, str] = {
    "gpkg": "nachverdichtung.export.gis:write_gpkg",
    "shp": "nachverdichtung.export.gis:write_shapefiles",
    "csv": "nachverdichtung.export.tables:write_csv",
    "xlsx": "nachverdichtung.export.tables:write_xlsx",
    "map": "nachverdichtung.export.webmap:write_map",
    "report": "nachverdichtung.export.report:write_report",
    "pdf": "nachverdichtung.export.report:write_report",
}


def check_formats(formats, *, key: str = "--formats") -> list[str]:
    """The requested formats without repeats; an unknown one is a :class:`ConfigError`.

    Examples
    --------
    >>> check_formats(["gpkg", "csv", "gpkg"])
    ['gpkg', 'csv']
    """
    formats = [str(f).strip() for f in formats]
    unknown = [f for f in formats if f not in WRITERS]
    if unknown:
        raise ConfigError(f"unbekanntes Ausgabeformat {unknown[0]!r}", key=key,
                          fix=f"eines oder mehrere von {', '.join(WRITERS)} angeben, durch Komma getrennt")
    return list(dict.fromkeys(formats))


def _writer(fmt: str) -> Callable:
    module, func = WRITERS[fmt].split(":")
    return getattr(importlib.import_module(module), func)


def write_outputs(assessment, out_dir: str | Path, *, formats=None,
                  progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the assessment's outputs atomically into ``out_dir``.

    Parameters
    ----------
    assessment
        The result of :func:`nachverdichtung.pipeline.assess`.
    out_dir
        Target folder; created if needed. Files of a previous run with the same names are replaced,
        other files are left alone.
    formats
        Output formats (default: ``assessment.config.output.formats``).

    Returns
    -------
    list of Path
        The written files, in their final place.
    """
    formats = check_formats(formats or assessment.config.output.formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".nachverdichtung-", dir=out_dir))
    try:
        (staging / "konfiguration_effektiv.yml").write_text(
            assessment.manifest.get("konfiguration_effektiv", ""), encoding="utf-8")
        from .protocol import write_protocol  # the run log is written on every run, whatever the formats

        write_protocol(assessment, staging)
        from .decision import write_decision  # matplotlib: only when outputs are written

        write_decision(assessment, staging)
        done = set()
        for fmt in formats:
            key = WRITERS[fmt]
            if key in done:
                continue
            done.add(key)
            if progress:
                progress(f"Ausgabe {fmt}")
            _writer(fmt)(assessment, staging)
        written = []
        old = staging / ".vorheriger-lauf"
        old.mkdir()
        for item in sorted(p for p in staging.iterdir() if p != old):
            target = out_dir / item.name
            if target.is_dir() and not target.is_symlink():
                # move the previous folder aside first: a folder cannot be replaced in one step,
                # and the old one is deleted with the staging folder afterwards
                os.replace(target, old / item.name)
            os.replace(item, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
