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

Jede Zeile ist ein Fall des Testkorpus `tests/badinput_cases.py` (erste Runde) und `tests/badinput_round2.py`
(zweite Runde: ungeprüfte Daten, Pfade, Ausgabeordner), geprüft von `tests/test_bad_input.py`.
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


#: Runs that are stopped, doubled or short of room (tests/test_run_faults.py): case, input, exit, message.
RUN_FAULTS = [
    ("Strg+C beim Laden", "SIGINT während die Daten gelesen werden", 130,
     "Abgebrochen (Strg+C); vorherige Ausgaben unverändert."),
    ("Strg+C bei den Kriterien", "SIGINT während der Bewertung", 130, "wie oben"),
    ("Strg+C bei der Ausgabe", "SIGINT während die CSV geschrieben wird", 130, "wie oben"),
    ("SIGTERM beim Laden", "kill PID während die Daten gelesen werden", 143,
     "Abgebrochen (SIGTERM); vorherige Ausgaben unverändert."),
    ("SIGTERM bei den Kriterien", "kill PID während der Bewertung", 143, "wie oben"),
    ("SIGTERM bei der Ausgabe", "kill PID während die CSV geschrieben wird", 143, "wie oben"),
    ("SIGTERM beim Verschieben", "Signal, während die fertigen Dateien an ihren Platz kommen", 143,
     "das Verschieben wird zu Ende geführt: der Ordner enthält den neuen Lauf vollständig"),
    ("SIGKILL bei der Ausgabe", "kill -9 während die CSV geschrieben wird", -9,
     "vorherige Ausgaben byte-gleich; der nächste Lauf übernimmt die Sperre und räumt auf"),
    ("zweiter Lauf", "zweiter Lauf in denselben Ordner, während der erste schreibt", 2,
     "Fehler: out: ein anderer Lauf (PID …, gestartet …) schreibt gerade in diesen Ordner. Lösung: warten, "
     "bis er fertig ist, oder einen anderen Ausgabeordner wählen"),
    ("zwei Prozesse", "zwei Kommandos gleichzeitig gestartet", "0 / 2", "einer schreibt, der andere sagt warum"),
    ("Datenträger voll", "ENOSPC beim Schreiben", 2,
     "Fehler: out/bewertung.csv: Schreiben fehlgeschlagen: kein Platz mehr auf dem Datenträger. Lösung: Platz "
     "schaffen oder einen anderen Ausgabeordner wählen"),
    ("Quota erschöpft", "EDQUOT beim Schreiben", 2, "… Speicherkontingent (Quota) erschöpft …"),
    ("schreibgeschützter Datenträger", "EROFS beim Schreiben", 2, "… Datenträger ist schreibgeschützt …"),
    ("Ordner ohne Schreibrechte", "EACCES schon bei der Prüfung vor dem Lauf", 2,
     "Fehler: out: kann nicht angelegt oder beschrieben werden: keine Schreibrechte. Lösung: Rechte des Ordners "
     "prüfen oder einen anderen Ausgabeordner wählen"),
    ("Datei geöffnet", "nachverdichtung.gpkg ist in QGIS geöffnet (Ersetzen schlägt fehl)", 2,
     "Fehler: out/nachverdichtung.gpkg: Schreiben fehlgeschlagen: Datei ist geöffnet oder gesperrt (z. B. in "
     "Excel oder QGIS). Lösung: die Datei schließen und den Lauf wiederholen – schon verschobene Dateien "
     "werden zurückgesetzt"),
]

FAULTS_HEADER = """
## Läufe, die gestört werden

Geprüft von `tests/test_run_faults.py` und `tests/test_safety.py`. Der Ausgabeordner enthält danach immer
entweder die vorherigen vollständigen Ausgaben oder die neuen vollständigen, nie eine Mischung; Zwischenordner
und die Sperrdatei `.nachverdichtung.lock` sind entfernt, ein neuer Lauf funktioniert.

| Fall | Eingabe | Exit | Meldung bzw. Ergebnis |
|---|---|---|---|
"""

OTHER = """
## Dateien echter CAD-Programme und Zufallsquartiere

* `tests/test_dxf_realworld.py::test_real_cad_file_through_assess`: {n_dxf} DXF-Dateien echter CAD-Programme
  (ezdxf-Testkorpus) laufen durch `nachverdichtung assess`: {n_dxf_0} ergeben ein Ergebnis, {n_dxf_2} enden mit
  Exit 2 und einer Zeile (meist: Koordinaten passen nicht zu EPSG:25832, weil CAD-Zeichnungen lokale
  Koordinaten haben).
* `tests/test_fuzz.py` (hypothesis): zufällige Quartiere mit ungültigen Flurstücken (Schleifen, Spitzen,
  Splitter, leere und doppelte Stützpunkte), beliebigen Gebäudefunktionen (auch Text), Straßen als Linien
  oder ohne Namen, DGM mit NaN/NoData/Ausreißern und Baumkatastern mit Unsinnswerten. In CI 15 feste
  Beispiele (Profil `ci`), lokal `python -m pytest tests/test_fuzz.py --hypothesis-profile long` (400).
  Zusicherung: keine Ausnahme außer den eigenen Eingabefehlern (eine Zeile mit Lösung), jedes Flurstück in der
  Bilanz, jede Klasse einer der vier zulässigen Werte.

Insgesamt: {n_total} Fälle ({n_cases} im Korpus, {n_faults} gestörte Läufe, {n_dxf} CAD-Dateien) plus der
Zufallstest.
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
        dxf_codes = _dxf_codes(tmp)
    faults = [f"| {name} | {_md(what)} | {code} | {_md(msg)} |" for name, what, code, msg in RUN_FAULTS]
    n_total = len(CASES) + len(RUN_FAULTS) + len(dxf_codes)
    other = OTHER.format(n_dxf=len(dxf_codes), n_dxf_0=dxf_codes.count(0), n_dxf_2=dxf_codes.count(2),
                         n_total=n_total, n_cases=len(CASES), n_faults=len(RUN_FAULTS))
    target.write_text(HEADER.format(n=len(CASES)) + "\n".join(rows) + "\n" + FAULTS_HEADER + "\n".join(faults)
                      + "\n" + other, encoding="utf-8")


def _dxf_codes(tmp: Path) -> list[int]:
    from nachverdichtung.cli import main

    from .conftest import SHARED_DATA

    codes = []
    for path in sorted((SHARED_DATA / "dxf_ezdxf").glob("*.[dD][xX][fF]")):
        config = tmp / f"{path.stem}.yml"
        config.write_text(f"alkis: {{path: '{path}', crs: 'EPSG:25832'}}\n", encoding="utf-8")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            codes.append(main(["assess", str(config), "--out", str(tmp / f"{path.stem}-out"), "-q", "--formats", "csv"]))
    return codes


if __name__ == "__main__":
    run_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/bad_input.md"))
