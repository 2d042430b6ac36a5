"""Criterion registry: one module per criterion, each registering itself on import.

Every module in this package (except ``base``) is imported, so adding a criterion means adding a
file. ``REGISTRY`` is ordered for display by ``DISPLAY_ORDER``; unknown names in a config are
rejected with the list of known ones.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import KLASSEN, REGISTRY, Criterion, register  # noqa: F401

#: Order in tables, maps and reports: urban design first, then environment.
DISPLAY_ORDER = ("zuschnitt", "erschliessung", "topographie", "vorbild", "baeume", "starkregen",
                 "hochwasser",
                 "naturschutz", "denkmalschutz", "klima", "immissionen")

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod != "base" and not _mod.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod}")

_ordered = {n: REGISTRY[n] for n in DISPLAY_ORDER if n in REGISTRY}
_ordered.update({n: c for n, c in REGISTRY.items() if n not in _ordered})
REGISTRY.clear()
REGISTRY.update(_ordered)

__all__ = ["REGISTRY", "Criterion", "KLASSEN", "register", "DISPLAY_ORDER"]
