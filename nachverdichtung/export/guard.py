"""The output folder of a run: where it may lie, whether it can be written, and who is writing it.

Checked once, before any work: a run that would mix its outputs into the data delivery, that cannot
write its folder, or that would write into a folder another run is writing into, stops with one line
(exit 2) instead of failing after minutes of work. The lock is a file ``.nachverdichtung.lock`` in the
output folder holding the writer's pid, host and start time; a lock left behind by a killed run on the
same host is detected (its pid no longer runs) and taken over.

Examples
--------
>>> from pathlib import Path
>>> inside(Path("/daten/lieferung/ergebnis"), Path("/daten/lieferung"))
True
>>> inside(Path("/daten/ergebnis"), Path("/daten/lieferung"))
False
"""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError

log = logging.getLogger(__name__)

__all__ = ["LOCK_NAME", "claimed_output_folder", "input_paths", "check_output_folder", "output_lock", "output_error",
           "inside"]

LOCK_NAME = ".nachverdichtung.lock"

#: Operating-system errors that the environment causes, not the program: each becomes one line (exit 2).
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: ("kein Platz mehr auf dem Datenträger", "Platz schaffen oder einen anderen Ausgabeordner wählen"),
    errno.EDQUOT: ("Speicherkontingent (Quota) erschöpft", "Platz schaffen oder einen anderen Ausgabeordner wählen"),
    errno.EROFS: ("Datenträger ist schreibgeschützt", "einen beschreibbaren Ausgabeordner wählen"),
    errno.EACCES: ("keine Schreibrechte", "Rechte des Ordners prüfen oder einen anderen Ausgabeordner wählen"),
    errno.EPERM: ("Zugriff verweigert", "Rechte prüfen oder einen anderen Ausgabeordner wählen"),
    errno.EBUSY: ("Datei ist geöffnet oder gesperrt (z. B. in Excel oder QGIS)",
                  "die Datei schließen und den Lauf wiederholen"),
    errno.ETXTBSY: ("Datei ist geöffnet oder gesperrt", "die Datei schließen und den Lauf wiederholen"),
    errno.ENOTDIR: ("ein Teil des Pfads ist eine Datei, kein Ordner", "einen anderen Ausgabeordner wählen"),
    errno.ENAMETOOLONG: ("Pfad ist zu lang", "einen kürzeren Ausgabeordner wählen"),
}


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (both taken as given, compare resolved paths)."""
    return path == folder or folder in path.parents


def input_paths(config) -> list[tuple[str, Path]]:
    """``(config key, resolved path)`` of every configured input file or folder."""
    out = [("alkis.path", config.alkis.path)]
    for f in dataclasses.fields(config.inputs):
        src = getattr(config.inputs, f.name)
        for p in _source_paths(src):
            out.append((f"inputs.{f.name}", p))
    if getattr(config, "owners", None) is not None:  # the owner source is raw input too
        out.append(("owners.path", config.owners.path))
    return [(key, Path(os.path.abspath(p)).resolve()) for key, p in out  # databases are no folders
            if p is not None and "://" not in str(p)]


def _source_paths(src) -> list[Path]:
    if src is None:
        return []
    sources = src if isinstance(src, (list, tuple)) else [src]
    paths = []
    for s in sources:
        path = getattr(s, "path", s)
        paths += list(path) if isinstance(path, (list, tuple)) else [path]
    return [Path(p) for p in paths if p is not None and "://" not in str(p)]


def check_output_folder(out: str | Path, config) -> Path:
    """Refuse an output folder that lies in the data delivery or cannot be written; return it resolved.

    Raises
    ------
    OutputError
        The folder equals an input file or folder, lies inside an input folder, or cannot be created
        or written.
    """
    out = Path(os.path.abspath(out)).resolve()
    config_file = getattr(config, "file", None)
    paths = list(input_paths(config))
    # an input file itself is named as such, even when another input lies in the same folder
    paths = [kp for kp in paths if out == kp[1]] + [kp for kp in paths if out != kp[1]]
    for key, path in paths:
        folder = path if path.is_dir() else path.parent
        if out == path or inside(out, folder):
            what = "ist eine Eingabedatei" if out == path else "liegt in einem Eingabeordner"
            raise OutputError(f"Ausgabeordner {what} ('{key}': {path}); die Ergebnisse würden mit der "
                              f"Datenlieferung vermischt", file=out,
                              fix="einen eigenen Ausgabeordner außerhalb der Eingabedaten angeben, "
                                  "z. B. data/processed/<name>")
    if config_file is not None and out == Path(os.path.abspath(config_file)).resolve():
        raise OutputError("Ausgabeordner ist die Konfigurationsdatei", file=out, fix="einen Ordner angeben")
    _check_writable(out)
    return out


def _check_writable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError("Ausgabeordner ist eine Datei", file=out, fix="einen Ordner angeben")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".nachverdichtung-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise output_error(exc, out, action="kann nicht angelegt oder beschrieben werden") from None


def output_error(exc: OSError, folder: Path, *, action: str = "Schreiben fehlgeschlagen") -> OutputError | OSError:
    """Turn an environment ``OSError`` (full disk, read-only, locked file) into one clear line.

    Any other ``OSError`` is returned unchanged: it is not the user's to fix.
    """
    known = ENVIRONMENT_ERRNOS.get(exc.errno)
    if known is None:
        return exc
    problem, fix = known
    where = exc.filename or folder
    return OutputError(f"{action}: {problem}", file=where, fix=fix)


@contextmanager
def claimed_output_folder(out: str | Path, config) -> Iterator[Path]:
    """Check the output folder, then hold its lock while the block runs.

    A folder that this call created and that is still empty afterwards (the run failed before
    writing) is removed again, so a refused run leaves no trace.
    """
    created = not Path(out).exists()
    folder = check_output_folder(out, config)
    try:
        with output_lock(folder):
            yield folder
    finally:
        if created:
            try:
                folder.rmdir()  # only succeeds when empty
            except OSError:
                pass


@contextmanager
def output_lock(out: Path, *, stale_after_h: float = 24.0) -> Iterator[Path]:
    """Hold the output folder's lock while the block runs.

    Parameters
    ----------
    out
        The output folder (must exist).
    stale_after_h
        A lock written on another host (a shared network drive) cannot be checked by its pid; it is
        taken as stale only after this many hours (Konvention: longer than any plausible run).

    Raises
    ------
    OutputError
        Another running process holds the lock.
    """
    lock = Path(out) / LOCK_NAME
    _acquire(lock, stale_after_h)
    _remove_dead_staging(Path(out))
    try:
        yield lock
    finally:
        try:
            if _read_lock(lock).get("pid") == os.getpid():
                lock.unlink()
        except OSError:
            pass


def _remove_dead_staging(out: Path) -> None:
    """Staging folders of killed runs: holding the lock, nobody else can be writing them."""
    for leftover in out.glob(".nachverdichtung-*"):
        if leftover.is_dir():
            log.info("%s: Zwischenordner eines abgebrochenen Laufs entfernt", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def _acquire(lock: Path, stale_after_h: float) -> None:
    record = {"pid": os.getpid(), "host": socket.gethostname(), "gestartet": time.time()}
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_lock(lock)
            if not _is_stale(holder, stale_after_h, _age_s(lock)):
                since = time.strftime("%d.%m.%Y %H:%M", time.localtime(holder.get("gestartet", 0)))
                raise OutputError(f"ein anderer Lauf (PID {holder.get('pid', '?')} auf {holder.get('host', '?')}, "
                                  f"gestartet {since}) schreibt gerade in diesen Ordner", file=lock.parent,
                                  fix="warten, bis er fertig ist, oder einen anderen Ausgabeordner wählen") from None
            log.warning("%s: Sperre eines abgebrochenen Laufs (PID %s) übernommen", lock, holder.get("pid", "?"))
            try:
                os.unlink(lock)
            except FileNotFoundError:
                pass
            continue
        except OSError as exc:
            raise output_error(exc, lock.parent, action="Sperrdatei kann nicht angelegt werden") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh)
        return
    raise OutputError("Sperrdatei wird ständig neu angelegt", file=lock,
                      fix="prüfen, ob mehrere Läufe gleichzeitig in diesen Ordner schreiben")


def _read_lock(lock: Path) -> dict:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _age_s(lock: Path) -> float:
    try:
        return time.time() - lock.stat().st_mtime
    except OSError:
        return float("inf")


#: A lock younger than this may still be being written by its owner (Konvention: far above the
#: microseconds between create and write).
FRESH_LOCK_S = 10.0


def _is_stale(holder: dict, stale_after_h: float, age_s: float) -> bool:
    pid, host, started = holder.get("pid"), holder.get("host"), holder.get("gestartet")
    if not isinstance(pid, int) or not isinstance(started, (int, float)):
        return age_s > FRESH_LOCK_S  # unreadable lock: being written right now, or its writer died
    if host != socket.gethostname():
        return time.time() - started > stale_after_h * 3600
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # the pid runs under another user
    return False
