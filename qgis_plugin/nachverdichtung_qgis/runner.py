"""Run the installed ``nachverdichtung`` command line from QGIS (no QGIS imports here).

The plugin never imports the package into QGIS's Python: QGIS brings its own interpreter and the
package needs geopandas, rasterio and friends, so the command runs as a child process and its
progress lines (``[  3.2 s] Potenzialflächen ableiten …``) are turned into Processing feedback.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

#: Environment variable with the command, e.g. ``/opt/venv/bin/nachverdichtung`` (after the setting).
ENV_COMMAND = "NACHVERDICHTUNG_COMMAND"
INSTALL_HINT = (
    "Das Python-Paket »nachverdichtung« wurde nicht gefunden. Installieren Sie es mit "
    "»python3 -m pip install nachverdichtung« (aus dem Quellordner: »python3 -m pip install -e .«), "
    "am besten in eine eigene virtuelle Umgebung, und tragen Sie dann den Befehl unter Einstellungen › "
    "Optionen › Verarbeitung › Anbieter › Nachverdichtung ein (z. B. /home/ich/venv/bin/nachverdichtung), "
    "wenn er nicht im Suchpfad liegt."
)
#: Output formats of ``nachverdichtung assess --formats`` (value, label), in dialog order.
FORMATS = (("gpkg", "GeoPackage (gestylt)"), ("map", "Webkarte karte.html"), ("csv", "CSV-Tabellen"),
           ("xlsx", "Excel"), ("shp", "Shapefiles mit QML"), ("report", "Bericht HTML"), ("pdf", "Bericht PDF"))
_LINE = re.compile(r"^\[\s*[\d.]+ s\] (?P<msg>.*?)(?: …)?$")


def find_command(setting: str | None = None) -> list[str] | None:
    """The command that runs nachverdichtung, or None when it is not installed.

    Looked up in this order: the provider setting, :data:`ENV_COMMAND`, ``nachverdichtung`` on the
    search path, the package in this interpreter with its dependencies (``python -m nachverdichtung``).
    """
    for text in (setting, os.environ.get(ENV_COMMAND)):
        if text and text.strip():
            return shlex.split(text)
    found = shutil.which("nachverdichtung")
    if found:
        return [found]
    if all(importlib.util.find_spec(name) is not None for name in ("nachverdichtung", "geopandas")):
        return [_python(), "-m", "nachverdichtung"]
    return None


def _python() -> str:
    """This interpreter's executable (inside QGIS ``sys.executable`` may be QGIS itself)."""
    for name in ("python3", "python", "python.exe"):
        candidate = Path(sys.exec_prefix) / ("" if name.endswith(".exe") else "bin") / name
        if candidate.exists():
            return str(candidate)
    return sys.executable


class StepProgress:
    """Percent done from the command's step lines (an estimate: reading, areas, criteria, outputs).

    Parameters
    ----------
    n_formats
        Number of output formats requested (each prints one ``Ausgabe …`` line).
    n_criteria
        Expected number of criteria (each prints one ``Kriterium …`` line).
    """

    def __init__(self, n_formats: int, n_criteria: int = 9):
        self.n_formats = max(n_formats, 1)
        self.n_criteria = max(n_criteria, 1)
        self.reads = self.criteria = self.outputs = 0
        self.percent = 0.0

    def step(self, message: str) -> float:
        """Advance by one step line; returns the new percentage (never going back)."""
        if message.startswith("Kriterium "):
            self.criteria += 1
            value = 35 + 50 * min(self.criteria / self.n_criteria, 1.0)
        elif message.startswith("Ausgabe "):
            self.outputs += 1
            value = 85 + 15 * min(self.outputs / self.n_formats, 1.0)
        elif message.startswith("Potenzialflächen"):
            value = 15.0
        else:
            self.reads += 1
            value = min(1.5 * self.reads, 14.0)
        self.percent = max(self.percent, value)
        return self.percent


def step_message(line: str) -> str | None:
    """The message of a progress line ``[  3.2 s] Potenzialflächen ableiten …``, else None."""
    m = _LINE.match(line.strip())
    return m.group("msg") if m else None


def run(command: list[str], args: list[str], *, on_stdout, on_stderr, cancelled=lambda: False,
        poll_s: float = 0.2) -> int:
    """Run ``command + args``; each output line goes to ``on_stdout`` / ``on_stderr`` as it comes.

    Returns the exit code (0 ok, 2 bad input, 1 internal error); when ``cancelled()`` turns true the
    process is terminated and -1 is returned.
    """
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
    lines: queue.Queue = queue.Queue()

    def pump(stream, sink):
        for text in iter(stream.readline, ""):
            lines.put((sink, text.rstrip("\n")))
        lines.put((None, None))

    with subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                          encoding="utf-8", errors="replace", bufsize=1) as proc:
        threads = [threading.Thread(target=pump, args=(proc.stdout, on_stdout), daemon=True),
                   threading.Thread(target=pump, args=(proc.stderr, on_stderr), daemon=True)]
        for t in threads:
            t.start()
        open_streams, stopped = len(threads), False
        while open_streams:
            if not stopped and cancelled():
                proc.terminate()
                stopped = True
            try:
                sink, text = lines.get(timeout=poll_s)
            except queue.Empty:
                continue
            if sink is None:
                open_streams -= 1
            elif not stopped:
                sink(text)
        for t in threads:
            t.join()
        code = proc.wait()
    return -1 if stopped else code
