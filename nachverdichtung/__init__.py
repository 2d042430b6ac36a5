"""nachverdichtung: find and rate second-row building land in German residential areas.

The notebook API, loaded on first use (so ``import nachverdichtung`` and the command line stay fast)::

    import nachverdichtung as nv
    result = nv.assess("config.yml")   # an Assessment: summary(), to_geopandas(), explore()
    m = nv.karte(result)               # the interactive map as a folium.Map
"""

import importlib

__version__ = "0.1.0"

#: Public name → module that defines it.
_API = {"assess": "pipeline", "Assessment": "pipeline", "load_config": "config", "karte": "export.webmap",
        "write_outputs": "export"}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(f"{__name__}.{_API[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
