"""The cadastre roles and the presets that fill them: defined once for every ALKIS reader.

A *preset* (``io/presets/<name>.yml``) says which layers and fields of a delivery fill which
role: ``ax``/``vereinfacht`` for Shapefile folders, GeoPackages and PostGIS schemas, ``dxf_*`` for
DXF exports (:mod:`nachverdichtung.io.alkis` and :mod:`nachverdichtung.io.dxf` both load them here).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

__all__ = ["ROLES", "ROLE_LABEL", "load_preset", "preset_names", "has_preset"]

ROLES = ("parcels", "buildings", "roads", "landuse")
ROLE_LABEL = {"parcels": "Flurstücke", "buildings": "Gebäude", "roads": "Verkehrsflächen",
              "landuse": "Tatsächliche Nutzung"}

_PRESETS = "nachverdichtung.io.presets"


def preset_names(prefix: str = "") -> list[str]:
    """Names of the shipped presets starting with ``prefix``, sorted.

    Examples
    --------
    >>> preset_names("dxf_")
    ['dxf_ax_objektarten', 'dxf_sample']
    """
    return sorted(p.name[:-4] for p in resources.files(_PRESETS).iterdir()
                  if p.name.endswith(".yml") and p.name.startswith(prefix))


def has_preset(name: str) -> bool:
    """Whether a preset of that name is shipped."""
    return resources.files(_PRESETS).joinpath(f"{name}.yml").is_file()


@lru_cache(maxsize=16)
def _preset_text(name: str) -> str:
    return resources.files(_PRESETS).joinpath(f"{name}.yml").read_text(encoding="utf-8")


def load_preset(name: str) -> dict:
    """The preset ``name`` as a fresh dict (callers may change it); check :func:`has_preset` first.

    Raises
    ------
    FileNotFoundError
        When no such preset is shipped (callers turn this into their own message).

    Examples
    --------
    >>> load_preset("dxf_sample")["buildings"][0]["funktion"]
    1000
    >>> sorted(load_preset("ax")["roles"])
    ['buildings', 'landuse', 'parcels', 'roads']
    """
    return yaml.safe_load(_preset_text(name)) or {}
