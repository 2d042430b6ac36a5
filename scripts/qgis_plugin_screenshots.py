"""Screenshots of the QGIS plugin for the docs: the Processing dialog and the loaded, styled result.

Usage (Debian QGIS installed; no X server needed, Qt draws offscreen)::

    python scripts/qgis_plugin_screenshots.py --out docs
    # writes docs/qgis_dialog.png (the dialog during a run on the sample, log tab) and docs/qgis_ergebnis.png

It builds the plugin zip, installs it into a temporary plugin folder, generates the sample district,
runs "Potenzialflächen bewerten" from the real Processing dialog (``AlgorithmDialog``) of QGIS and
grabs the dialog and a map canvas with the layer tree of the loaded layers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import build_qgis_plugin  # noqa: E402

SCRIPT = r'''
import os, sys, time, zipfile
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
plugin_zip, plugins, config, out, png_dialog, png_result = sys.argv[1:7]
zipfile.ZipFile(plugin_zip).extractall(plugins)
sys.path.insert(0, plugins)
sys.path.append("/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication, QgsProject
from qgis.gui import QgsLayerTreeMapCanvasBridge, QgsLayerTreeView, QgsMapCanvas
from qgis.core import QgsLayerTreeModel
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import QProgressBar, QSplitter

app = QgsApplication([], True)
app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
from processing.gui.AlgorithmDialog import AlgorithmDialog
import nachverdichtung_qgis

plugin = nachverdichtung_qgis.classFactory(None)
plugin.initGui()
alg = QgsApplication.processingRegistry().createAlgorithmById("nachverdichtung:bewerten")
dlg = AlgorithmDialog(alg)
dlg.setWindowTitle("Nachverdichtung – Potenzialflächen bewerten")
dlg.resize(1000, 660)
dlg.setParameters({"CONFIG": config, "OUTPUT": out, "FORMATS": [0, 1, 2], "LOAD": True})
dlg.show()
app.processEvents()
dlg.runAlgorithm()
end, grabbed, bar = time.time() + 600, False, dlg.findChild(QProgressBar)
while time.time() < end and not QgsProject.instance().mapLayers():
    app.processEvents()
    if not grabbed and bar.value() >= 60:  # mid-run: progress bar and step messages
        app.processEvents()
        dlg.grab().save(png_dialog)
        grabbed = True
    time.sleep(0.05)
for _ in range(20):
    app.processEvents()
if not grabbed:
    dlg.grab().save(png_dialog)

split = QSplitter(Qt.Horizontal)
view = QgsLayerTreeView()
model = QgsLayerTreeModel(QgsProject.instance().layerTreeRoot())
view.setModel(model)
canvas = QgsMapCanvas()
canvas.setCanvasColor(QColor(255, 255, 255))
bridge = QgsLayerTreeMapCanvasBridge(QgsProject.instance().layerTreeRoot(), canvas)
split.addWidget(view)
split.addWidget(canvas)
split.resize(1200, 760)
split.setSizes([300, 900])
view.expandAll()
layers = QgsProject.instance().layerTreeRoot().layerOrder()
canvas.setDestinationCrs(layers[0].crs())
canvas.setLayers(layers)
extent = layers[0].extent()
extent.scale(1.05)
canvas.setExtent(extent)
split.show()
canvas.refresh()
end = time.time() + 60
while time.time() < end and (canvas.isDrawing() or not canvas.mapSettings().hasValidSettings()):
    app.processEvents()
    time.sleep(0.05)
for _ in range(20):
    app.processEvents()
    time.sleep(0.05)
split.grab().save(png_result)
print("written", png_dialog, png_result, [l.name() for l in layers])
sys.stdout.flush()
os._exit(0)
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots des QGIS-Plugins für docs/")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    from PIL import Image

    from nachverdichtung.sample import generate_sample

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plugin_zip = build_qgis_plugin.build(tmp / "dist")
        config = generate_sample(tmp / "Beispielquartier")
        command = tmp / "nachverdichtung.sh"
        command.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m nachverdichtung "$@"\n')
        command.chmod(0o755)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp),
               "NACHVERDICHTUNG_COMMAND": str(command)}
        env.pop("PYTHONPATH", None)
        out = args.out.resolve()
        pngs = [out / "qgis_dialog.png", out / "qgis_ergebnis.png"]
        done = subprocess.run(["/usr/bin/python3", "-c", SCRIPT, str(plugin_zip), str(tmp / "plugins"), str(config),
                               str(tmp / "Ergebnis"), *map(str, pngs)], env=env, cwd=tmp, timeout=900)
        if done.returncode != 0:
            print(f"QGIS endete mit Code {done.returncode}", file=sys.stderr)
            return 1
    for png in pngs:  # shrink for the repository: 255-colour palette
        Image.open(png).convert("RGB").quantize(colors=255, method=Image.Quantize.FASTOCTREE,
                                                dither=Image.Dither.NONE).save(png, optimize=True)
        print(png, png.stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
