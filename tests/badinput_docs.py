"""Generate ``docs/bad_input.md`` from the case table by running every case through the CLI.

Usage: ``python -m tests.badinput_docs docs/bad_input.md``
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
import warnings
from pathlib import Path


from .badinput_district import base_config, write_case_config, write_district
from .badinput_round2 import CASES

HEADER = """# Fehlerhafte Eingangsdaten: was das Werkzeug daraus macht

Jede Zeile ist ein Fall des Testkorpus `tests/badinput_cases.py` (geprüft von `tests/test_bad_input.py`).
Jeder Fall läuft über die Kommandozeile (`nachverdichtung assess …`) auf einem kleinen ALKIS-Quartier
(ax_*-Shapefiles mit gekürzten Feldnamen, DGM als GeoTIFF, Baumkataster als CSV). Es gibt nur zwei
Ausgänge:

* **0 – repariert:** die Bewertung läuft durch; die Reparatur steht in `protokoll.txt` (und als Zahl in
  der Zusammenfassung), kein Flurstück geht verloren (eingelesen = in Potenzialflächen + ausgeschlossen
  mit Grund).
* **2 – abgelehnt:** eine Zeile nennt Datei, Problem und Lösung; nie ein Traceback.

Tabelle erzeugt mit `python -m tests.badinput_docs docs/bad_input.md` ({n} Fälle).

| Gruppe | Fall | Eingabe | Exit | Meldung (Ausgabe bzw. Protokoll) |
|---|---|---|---|---|
"""


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def run_all(target: Path) -> None:
    from nachverdichtung.cli import main

    warnings.simplefilter("ignore")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "base"
        write_district(base)
        for case in CASES:
            d = tmp / case.id
            shutil.copytree(base, d)
            cfg = base_config()
            case.mutate(d, cfg)
            config = d / "config.yml"
            write_case_config(config, cfg)
            out, err = io.StringIO(), io.StringIO()
            folder = case.out(d) if case.out else tmp / f"{case.id}-out"
            args = [case.command, str(config), "-q"]
            if case.command == "assess":
                args += ["--out", str(folder), *(case.args or ("--formats", "csv"))]
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(args)
            if code == 2:
                msg = next(ln for ln in err.getvalue().splitlines() if ln.startswith("Fehler:"))
                msg = msg.replace(str(d) + "/", "").replace(str(d), ".").replace(str(tmp) + "/", "")
            elif case.command == "assess":
                log = (folder / "protokoll.txt").read_text(encoding="utf-8")
                hints = [ln.strip()[2:] for ln in log.splitlines() if ln.startswith("  - ")]
                msg = "; ".join(hints) or "keine Hinweise (Daten ohne Reparatur nutzbar)"
            else:
                msg = "; ".join(ln.strip() for ln in out.getvalue().splitlines() if "trees" in ln or "Hinweis" in ln)
            rows.append(f"| {case.group} | `{case.id}` | {_md(case.description)} | {code} | {_md(msg)} |")
    target.write_text(HEADER.format(n=len(CASES)) + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    run_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/bad_input.md"))
