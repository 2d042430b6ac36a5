"""QGIS itself opens the exports styled: categorized class renderer, four classes, right colours.

Debian's QGIS (``apt-get install qgis python3-qgis``) is importable only by the system Python, not
by the venv, so the check runs as a subprocess of ``/usr/bin/python3`` with a small script. The
tests skip when QGIS is absent (CI). ``render_png`` is also used to make ``docs/qgis_bewertung.png``::

    python -m tests.test_qgis data/processed/nachverdichtung.gpkg docs/qgis_bewertung.png
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
import shapely

from nachverdichtung.export.gis import GPKG_NAME, SHP_DIR, write_gpkg, write_shapefiles

pytestmark = pytest.mark.qgis

SYSTEM_PYTHON = "/usr/bin/python3"

QGIS_SCRIPT = r'''
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings, QgsPointXY,
                       QgsVectorLayer, Qgis)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

app = QgsApplication([], False)
app.initQgis()
gpkg, shp, png, points = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
out = {"version": Qgis.QGIS_VERSION}
layers = {}
for key, uri in (("gpkg", gpkg + "|layername=bewertung"), ("shp", shp)):
    if not uri or uri == "|layername=bewertung":
        continue
    lyr = QgsVectorLayer(uri, "bewertung", "ogr")
    r = lyr.renderer()
    cats = r.categories() if r.type() == "categorizedSymbol" else []
    out[key] = {"valid": lyr.isValid(), "type": r.type(),
                "attr": r.classAttribute() if cats else None,
                "categories": [[c.value(), c.symbol().color().name()] for c in cats],
                "labels": lyr.labelsEnabled(), "count": lyr.featureCount()}
    layers[key] = lyr
base = []
for name in ("flurstuecke", "vorderzonen"):
    lyr = QgsVectorLayer(gpkg + "|layername=" + name, name, "ogr")
    if lyr.isValid():
        out[name] = {"type": lyr.renderer().type()}
        base.append(lyr)
main = layers["gpkg"]
settings = QgsMapSettings()
settings.setLayers([main] + base[::-1])  # first = top
settings.setDestinationCrs(main.crs())
extent = main.extent()
extent.scale(1.08)
settings.setOutputSize(QSize(1000, int(1000 * extent.height() / max(extent.width(), 1e-9))))
settings.setExtent(extent)
settings.setBackgroundColor(QColor(255, 255, 255))
settings.setOutputDpi(96)
job = QgsMapRendererSequentialJob(settings)
job.start()
job.waitForFinished()
img = job.renderedImage()
img.save(png, "PNG")
m2p = settings.mapToPixel()
pixels = []
for x, y in points:
    p = m2p.transform(QgsPointXY(x, y))
    c = QColor(img.pixel(int(round(p.x())), int(round(p.y()))))
    pixels.append([c.red(), c.green(), c.blue()])
out["pixels"] = pixels
print("RESULT" + json.dumps(out))
sys.stdout.flush()
os._exit(0)  # QGIS 3.22 may crash while tearing down layers at exit; everything is written by now
'''


def qgis_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    r = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    return r.returncode == 0


def run_qgis(gpkg: Path, png: Path, *, shp: Path | None = None, points=()) -> dict:
    """Open the exports in QGIS, render the styled ``bewertung`` layer to ``png`` and report what QGIS saw."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(png.parent)}
    env.pop("PYTHONPATH", None)
    r = subprocess.run([SYSTEM_PYTHON, "-c", QGIS_SCRIPT, str(gpkg), str(shp or ""), str(png),
                        json.dumps([list(p) for p in points])], capture_output=True, text=True, env=env, timeout=300)
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT")]
    assert r.returncode == 0 and line, r.stderr[-3000:]
    return json.loads(line[-1][len("RESULT"):])


@pytest.fixture(scope="module")
def qgis_result(tmp_path_factory):
    if not qgis_available():
        pytest.skip("QGIS (Debian python3-qgis) not importable by /usr/bin/python3")
    from .test_export_gis import four_class_assessment

    a = four_class_assessment()
    folder = tmp_path_factory.mktemp("qgis")
    write_gpkg(a, folder)
    write_shapefiles(a, folder)
    # sample points inside each area, away from the centred label
    polys = a.areas.geometry.to_numpy()
    probes = shapely.point_on_surface(shapely.buffer(
        shapely.difference(polys, shapely.buffer(shapely.centroid(polys), 6.0)), -1.5))
    points = list(zip(shapely.get_x(probes), shapely.get_y(probes)))
    result = run_qgis(folder / GPKG_NAME, folder / "bewertung.png", shp=folder / SHP_DIR / "bewertung.shp",
                      points=points)
    return a, result, folder


EXPECTED = [["geeignet", "#1a9641"], ["bedingt geeignet", "#f28c28"], ["nicht geeignet", "#d7191c"],
            ["nicht bewertet", "#9e9e9e"]]


@pytest.mark.parametrize("source", ["gpkg", "shp"])
def test_qgis_applies_class_style(qgis_result, source):
    a, result, _ = qgis_result
    seen = result[source]
    assert seen["valid"] and seen["count"] == len(a.areas)
    assert seen["type"] == "categorizedSymbol"
    assert seen["attr"] == "klasse"
    assert seen["categories"] == EXPECTED
    assert seen["labels"] is True


def test_qgis_styles_other_layers(qgis_result):
    _, result, _ = qgis_result
    assert result["flurstuecke"]["type"] == "categorizedSymbol"
    assert result["vorderzonen"]["type"] == "singleSymbol"


def test_qgis_renders_class_colours(qgis_result):
    """Pixels inside each area have the class colour at 75 % opacity over the white background."""
    a, result, folder = qgis_result
    assert (folder / "bewertung.png").stat().st_size > 1000
    colours = dict(EXPECTED)
    for klasse, rgb in zip(a.areas["klasse"], result["pixels"]):
        hexc = colours[klasse]
        want = [round(0.75 * int(hexc[i:i + 2], 16) + 0.25 * 255) for i in (1, 3, 5)]
        # underneath lies the parcel fill (Kandidat, light yellow), so allow for that blend
        assert max(abs(g - w) for g, w in zip(rgb, want)) <= 20, (klasse, rgb, want)


if __name__ == "__main__":  # render a picture for the docs
    gpkg, png = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    print(json.dumps(run_qgis(gpkg, png, points=[]), indent=1))
    from PIL import Image  # shrink for the repository: 255-colour palette

    Image.open(png).convert("RGB").quantize(colors=255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(png, optimize=True)
    print(len(pyogrio.list_layers(gpkg)), "layers;", png, png.stat().st_size, "bytes")
