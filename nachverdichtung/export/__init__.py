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
import signal
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConfigError, OutputError
from .guard import output_error
from .protocol import write_protocol

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

    Every writer works in a hidden staging folder inside ``out_dir``; only when all succeeded are the
    files moved into place, as one transaction: a failure while moving puts the previous outputs
    back, and SIGINT/SIGTERM wait until the move is complete. So the folder holds either the previous
    complete outputs or the new complete ones.

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

    Raises
    ------
    OutputError
        The disk is full, the folder read-only or an output file locked (one line, exit 2).
    """
    formats = check_formats(formats or assessment.config.output.formats)
    out_dir = Path(out_dir)
    staging = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".nachverdichtung-", dir=out_dir))
        _write_all(assessment, staging, formats, progress)
        if assessment.config.output.postgis:  # the database first: if it fails, no file is replaced either
            if progress:
                progress("Ausgabe PostGIS")
            from .postgis import write_postgis  # psycopg: an optional dependency

            write_postgis(assessment, assessment.config.output.postgis)
        with _signals_deferred():
            return _commit(staging, out_dir)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise output_error(exc, out_dir) from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _write_all(assessment, staging: Path, formats: list[str], progress) -> None:
    (staging / "konfiguration_effektiv.yml").write_text(
        assessment.manifest.get("konfiguration_effektiv", ""), encoding="utf-8")
    write_protocol(assessment, staging)  # the run log is written on every run, whatever the formats
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


def _commit(staging: Path, out_dir: Path) -> list[Path]:
    """Move the staged outputs into place; on any failure put the previous ones back."""
    old = staging / ".vorheriger-lauf"
    old.mkdir()
    moved: list[tuple[Path, Path | None]] = []  # (target, its previous version in ``old`` or None)
    try:
        for item in sorted(p for p in staging.iterdir() if p != old):
            target = out_dir / item.name
            previous = None
            if target.exists() or target.is_symlink():
                previous = old / item.name
                os.replace(target, previous)
            moved.append((target, previous))
            os.replace(item, target)
    except BaseException:
        _roll_back(moved, staging)
        raise
    return [target for target, _ in moved]


def _roll_back(moved: list[tuple[Path, Path | None]], staging: Path) -> None:
    for target, previous in reversed(moved):
        try:
            _remove(target)  # the new version, if it got there
            if previous is not None and previous.exists():
                os.replace(previous, target)
        except OSError as exc:  # pragma: no cover - a second failure while repairing the first
            log.error("Vorherige Ausgabe %s konnte nicht wiederhergestellt werden: %s (liegt in %s)",
                      target, exc, staging)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextmanager
def _signals_deferred():
    """Hold SIGINT/SIGTERM back while the block runs; act on them after it (main thread only).

    The handlers are swapped for one that only notes the signal: masking with ``pthread_sigmask``
    would not do, since the kernel then hands a process signal to any other thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: pending.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in pending[:1]:
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)
