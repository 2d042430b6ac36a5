"""The Processing provider "Nachverdichtung"."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS, SETTING

ICON = Path(__file__).with_name("icon.svg")


class NachverdichtungProvider(QgsProcessingProvider):
    """Algorithms that call the installed nachverdichtung command."""

    def id(self):
        return "nachverdichtung"

    def name(self):
        return "Nachverdichtung"

    def longName(self):
        return "Nachverdichtung – Bauen in zweiter Reihe"

    def icon(self):
        return QIcon(str(ICON))

    def load(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig, Setting

            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(Setting(
                self.name(), SETTING, "Befehl für nachverdichtung (leer: automatisch suchen)", "",
                valuetype=Setting.FILE))
            ProcessingConfig.readSettings()
        except ImportError:  # Processing plugin not loaded: the setting is optional
            pass
        self.refreshAlgorithms()
        return True

    def unload(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig

            ProcessingConfig.removeSetting(SETTING)
        except ImportError:
            pass

    def loadAlgorithms(self):
        for algorithm in ALGORITHMS:
            self.addAlgorithm(algorithm())
