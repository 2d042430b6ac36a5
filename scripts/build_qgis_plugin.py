"""Build the installable QGIS plugin zip from ``qgis_plugin/nachverdichtung_qgis``.

Usage::

    python scripts/build_qgis_plugin.py --out dist
    # QGIS: Erweiterungen › Erweiterungen verwalten und installieren › Aus ZIP installieren

The zip holds the folder ``nachverdichtung_qgis/`` (what QGIS expects), without caches; it is written
to a temporary name and moved into place, so an interrupted build never leaves a broken zip.
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
import tempfile
import zipfile
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[1] / "qgis_plugin" / "nachverdichtung_qgis"


def plugin_version(folder: Path = PLUGIN) -> str:
    """``version`` from the plugin's ``metadata.txt``."""
    meta = configparser.ConfigParser()
    meta.read(folder / "metadata.txt", encoding="utf-8")
    return meta["general"]["version"]


def build(out: Path, folder: Path = PLUGIN) -> Path:
    """Write ``out/nachverdichtung_qgis-<version>.zip`` and return its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{folder.name}-{plugin_version(folder)}.zip"
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))
    fd, tmp = tempfile.mkstemp(prefix=".plugin-", suffix=".zip", dir=out)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for path in files:
                z.write(path, Path(folder.name) / path.relative_to(folder))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="QGIS-Plugin »Nachverdichtung« als ZIP bauen")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="Zielordner (Standard dist)")
    args = parser.parse_args(argv)
    print(f"geschrieben: {build(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
