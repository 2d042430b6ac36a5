"""QGIS plugin entry: registers the Processing provider."""

from __future__ import annotations

from qgis.core import QgsApplication

from .provider import NachverdichtungProvider


class NachverdichtungPlugin:
    """Adds the provider "Nachverdichtung" to the Processing toolbox."""

    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):
        self.provider = NachverdichtungProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
