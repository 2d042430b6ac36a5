"""The QGIS plugin: built as a zip, installed, its Processing provider registers and its algorithms run.

Debian's QGIS is importable only by ``/usr/bin/python3`` (see tests/test_qgis.py), so the checks run in
a subprocess of it, headless (``QT_QPA_PLATFORM=offscreen``). The plugin calls nachverdichtung as a
command; here that is this interpreter with this checkout on ``PYTHONPATH`` (a small wrapper script).
The runner's pure-Python parts are tested directly, without QGIS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "qgis_plugin"))

import build_qgis_plugin  # noqa: E402
from nachverdichtung_qgis import runner  # noqa: E402  (imports no QGIS module)

import nachverdichtung  # noqa: E402
from tests.test_qgis import SYSTEM_PYTHON, qgis_available  # noqa: E402

QGIS_SCRIPT = r'''
import json, os, sys, zipfile
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
plugin_zip, plugins, config, out, bad_config = sys.argv[1:6]
zipfile.ZipFile(plugin_zip).extractall(plugins)
sys.path.insert(0, plugins)
sys.path.append("/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback, QgsProject

app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
import processing
import nachverdichtung_qgis

plugin = nachverdichtung_qgis.classFactory(None)
plugin.initGui()
registry = QgsApplication.processingRegistry()
provider = registry.providerById("nachverdichtung")
res = {"provider": provider.name() if provider else None,
       "algorithms": sorted(a.id() for a in provider.algorithms()) if provider else []}

# without the package: the dialog's message says how to install it
command, path = os.environ.pop("NACHVERDICHTUNG_COMMAND"), os.environ["PATH"]
os.environ["PATH"] = "/nonexistent"
res["missing"] = list(registry.algorithmById("nachverdichtung:bewerten").canExecute())
os.environ["NACHVERDICHTUNG_COMMAND"], os.environ["PATH"] = command, path
res["found"] = list(registry.algorithmById("nachverdichtung:bewerten").canExecute())


class Feedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.progress, self.texts = [], []
        self.progressChanged.connect(self.progress.append)

    def setProgressText(self, text):
        self.texts.append(text)
        super().setProgressText(text)


fb = Feedback()
result = processing.runAndLoadResults("nachverdichtung:bewerten", {
    "CONFIG": config, "OUTPUT": out, "FORMATS": [0, 1], "SCENARIO": "streng", "LOAD": True}, feedback=fb)
res["outputs"] = {k: v for k, v in result.items() if k != "LAYERS"}
res["n_loaded"] = len(result["LAYERS"])
res["progress"] = [round(p) for p in fb.progress]
res["texts"] = fb.texts
layers = []
for lyr in QgsProject.instance().layerTreeRoot().layerOrder():
    r = lyr.renderer()
    cats = r.categories() if r.type() == "categorizedSymbol" else []
    layers.append({"name": lyr.name(), "count": lyr.featureCount(), "type": r.type(),
                   "attr": r.classAttribute() if cats else None,
                   "categories": [[c.value(), c.symbol().color().name()] for c in cats]})
res["project"] = layers
res["files"] = sorted(os.listdir(out))

res["validate"] = processing.run("nachverdichtung:pruefen", {"CONFIG": config})["REPORT"]
try:
    processing.run("nachverdichtung:pruefen", {"CONFIG": bad_config})
    res["bad"] = None
except QgsProcessingException as exc:
    res["bad"] = str(exc)
res["layers"] = processing.run("nachverdichtung:layer", {"INPUT": os.path.join(out, "nachverdichtung.gpkg")})["REPORT"]
try:
    processing.run("nachverdichtung:bewerten", {"CONFIG": config, "OUTPUT": out + "_s", "FORMATS": [0],
                                                "SCENARIO": "gibtsnicht"})
    res["scenario"] = None
except QgsProcessingException as exc:
    res["scenario"] = str(exc)
print("RESULT" + json.dumps(res))
sys.stdout.flush()
os._exit(0)  # QGIS 3.22 may crash while tearing down layers at exit
'''


def wrapper(tmp_path: Path) -> Path:
    """A command running this checkout's nachverdichtung with this interpreter."""
    script = tmp_path / "nachverdichtung.sh"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m nachverdichtung "$@"\n')
    script.chmod(0o755)
    return script


def test_zip_holds_the_plugin_folder(tmp_path):
    z = build_qgis_plugin.build(tmp_path)
    assert z.name == f"nachverdichtung_qgis-{nachverdichtung.__version__}.zip"
    names = zipfile.ZipFile(z).namelist()
    assert {"nachverdichtung_qgis/__init__.py", "nachverdichtung_qgis/metadata.txt", "nachverdichtung_qgis/provider.py",
            "nachverdichtung_qgis/algorithms.py", "nachverdichtung_qgis/runner.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert [p.name for p in tmp_path.iterdir()] == [z.name]  # no temporary file left
    meta = zipfile.ZipFile(z).read("nachverdichtung_qgis/metadata.txt").decode()
    assert "hasProcessingProvider=yes" in meta and "qgisMinimumVersion=3.22" in meta


def test_progress_lines_and_percentages():
    assert runner.step_message("[   3.2 s] Potenzialflächen ableiten …") == "Potenzialflächen ableiten"
    assert runner.step_message("[  12.0 s] Ausgabe gpkg …") == "Ausgabe gpkg"
    assert runner.step_message("Fehler: config.yml: kaputt") is None
    p = runner.StepProgress(n_formats=2, n_criteria=4)
    steps = ["ALKIS-Daten lesen", "Geländemodell prüfen", "Potenzialflächen ableiten", "Kriterium A", "Kriterium B",
             "Kriterium C", "Kriterium D", "Kriterium E", "Ausgabe gpkg", "Ausgabe map"]
    # reading 1.5 % each, areas 15 %, criteria 35 + 50 * k/4 (capped), outputs 85 + 15 * k/2
    assert [p.step(s) for s in steps] == [1.5, 3.0, 15.0, 47.5, 60.0, 72.5, 85.0, 85.0, 92.5, 100.0]


def test_find_command_order(monkeypatch, tmp_path):
    monkeypatch.setenv(runner.ENV_COMMAND, "/opt/venv/bin/nachverdichtung --debug")
    assert runner.find_command("/x/nv") == ["/x/nv"]  # the setting first
    assert runner.find_command("") == ["/opt/venv/bin/nachverdichtung", "--debug"]
    monkeypatch.delenv(runner.ENV_COMMAND)
    exe = tmp_path / "nachverdichtung"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert runner.find_command(None) == [str(exe)]


def test_run_streams_lines_and_exit_code(tmp_path):
    out, err = [], []
    code = runner.run(["/bin/sh", "-c", 'echo eins; echo "[ 0.1 s] Schritt …" >&2; echo zwei; exit 2'], [],
                      on_stdout=out.append, on_stderr=err.append)
    assert code == 2 and out == ["eins", "zwei"] and err == ["[ 0.1 s] Schritt …"]
    assert runner.run(["/bin/sh", "-c", "sleep 30"], [], on_stdout=out.append, on_stderr=err.append,
                      cancelled=lambda: True) == -1


@pytest.mark.qgis
@pytest.mark.slow
def test_processing_provider_runs_on_the_sample(sample_config, tmp_path):
    if not qgis_available():
        pytest.skip("QGIS (Debian python3-qgis) not importable by /usr/bin/python3")
    plugin_zip = build_qgis_plugin.build(tmp_path / "dist")
    # the sample's configuration plus a strict scenario (a new file beside it: paths stay relative)
    data = yaml.safe_load(sample_config.read_text(encoding="utf-8"))
    data["scenarios"] = {"streng": {"criteria": {"topographie": {"bedingt_ab_pct": 3, "nicht_geeignet_ab_pct": 6}}}}
    config = sample_config.with_name("config_szenario_qgis.yml")
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bad = tmp_path / "kaputt.yml"
    bad.write_text("alkis: {path: fehlt}\nunbekannt: 1\n", encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path),
           runner.ENV_COMMAND: str(wrapper(tmp_path))}
    env.pop("PYTHONPATH", None)
    r = subprocess.run([SYSTEM_PYTHON, "-c", QGIS_SCRIPT, str(plugin_zip), str(tmp_path / "plugins"),
                        str(config), str(tmp_path / "out"), str(bad)],
                       capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path)
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT")]
    assert r.returncode == 0 and line, r.stderr[-3000:]
    res = json.loads(line[-1][len("RESULT"):])

    assert res["provider"] == "Nachverdichtung"
    assert res["algorithms"] == ["nachverdichtung:bewerten", "nachverdichtung:layer", "nachverdichtung:pruefen"]
    assert res["missing"][0] is False and "pip install nachverdichtung" in res["missing"][1]
    assert res["found"] == [True, ""]
    # the run: outputs in the folder, progress to 100 % through the command's steps
    assert {"nachverdichtung.gpkg", "karte.html", "protokoll.txt"} <= set(res["files"])
    assert res["outputs"]["GPKG"] == str(tmp_path / "out" / "nachverdichtung.gpkg")
    assert res["progress"] == sorted(res["progress"]) and res["progress"][-1] == 100
    assert "Potenzialflächen ableiten" in res["texts"] and "Ausgabe map" in res["texts"]
    # loaded into the project with the GeoPackage's styles: Bewertung on top, categorized by class
    assert res["n_loaded"] == 2
    project = {lyr["name"]: lyr for lyr in res["project"]}
    assert [lyr["name"] for lyr in res["project"]] == ["Bewertung – Szenario streng", "Flurstücke"]
    bewertung = project["Bewertung – Szenario streng"]
    # the class style of the GeoPackage, showing the scenario's class column
    assert bewertung["type"] == "categorizedSymbol" and bewertung["attr"] == "klasse_streng"
    assert [c[0] for c in bewertung["categories"]] == ["geeignet", "bedingt geeignet", "nicht geeignet",
                                                       "nicht bewertet"]
    assert project["Flurstücke"]["type"] == "categorizedSymbol"
    assert bewertung["count"] > 0 and project["Flurstücke"]["count"] > bewertung["count"]
    # validate, a bad configuration (its one-line error), the layers of the written GeoPackage
    assert "Konfiguration in Ordnung" in res["validate"]
    assert res["bad"] and "kaputt.yml" in res["bad"] and "Traceback" not in res["bad"]
    assert "bewertung" in res["layers"] and "flurstuecke" in res["layers"]
    assert res["scenario"] and "Szenario »gibtsnicht« ist nicht konfiguriert (scenarios: streng)" in res["scenario"]
