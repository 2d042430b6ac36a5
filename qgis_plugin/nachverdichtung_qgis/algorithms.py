"""Processing algorithms: assess a configuration, validate it, list the layers of a delivery."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (QgsProcessing, QgsProcessingAlgorithm, QgsProcessingContext, QgsProcessingException,
                       QgsProcessingOutputFile, QgsProcessingOutputFolder, QgsProcessingOutputMultipleLayers,
                       QgsProcessingOutputString, QgsProcessingParameterBoolean, QgsProcessingParameterEnum,
                       QgsProcessingParameterFile, QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterString, QgsVectorLayer)

from . import runner

#: Layers of ``nachverdichtung.gpkg`` loaded after a run (layer name, name in the project), top first.
RESULT_LAYERS = (("bewertung", "Bewertung"), ("flurstuecke", "Flurstücke"))

#: Provider setting (Einstellungen › Optionen › Verarbeitung › Anbieter) with the command.
SETTING = "NACHVERDICHTUNG_BEFEHL"


def command_setting() -> str:
    """The provider setting with the command (empty: look it up)."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig  # the Processing plugin, present in QGIS

        return ProcessingConfig.getSetting(SETTING) or ""
    except Exception:  # noqa: BLE001 - outside the QGIS GUI the setting may not exist
        return ""


class _Base(QgsProcessingAlgorithm):
    """Shared: finding the command, running it with feedback, the install hint."""

    def group(self):
        return ""

    def groupId(self):
        return ""

    def createInstance(self):
        return type(self)()

    def command(self) -> list[str] | None:
        return runner.find_command(command_setting())

    def canExecute(self):
        if self.command() is None:
            return False, runner.INSTALL_HINT
        return True, ""

    def checkParameterValues(self, parameters, context):
        ok, message = self.canExecute()
        if not ok:
            return False, message
        return super().checkParameterValues(parameters, context)

    def helpText(self) -> str:
        return ""

    def shortHelpString(self):
        cmd = self.command()
        found = (f"Befehl: {' '.join(cmd)}" if cmd else runner.INSTALL_HINT)
        return f"{self.helpText()}\n\n{found}"

    def execute_command(self, args: list[str], feedback, *, progress: runner.StepProgress | None = None):
        """Run nachverdichtung with ``args``; returns its stdout lines, raises on a non-zero exit."""
        cmd = self.command()
        if cmd is None:
            raise QgsProcessingException(runner.INSTALL_HINT)
        feedback.pushCommandInfo(" ".join([*cmd, *args]))
        out, err = [], []

        def on_stdout(line):
            out.append(line)
            feedback.pushConsoleInfo(line)

        def on_stderr(line):
            err.append(line)
            message = runner.step_message(line)
            if message is None:
                feedback.pushConsoleInfo(line)
                return
            feedback.setProgressText(message)  # the dialog also writes it into its log
            if progress is not None:
                feedback.setProgress(progress.step(message))

        code = runner.run(cmd, args, on_stdout=on_stdout, on_stderr=on_stderr, cancelled=feedback.isCanceled)
        if code == -1:
            raise QgsProcessingException("Abgebrochen.")
        if code != 0:
            errors = [line for line in err if runner.step_message(line) is None and line.strip()]
            raise QgsProcessingException(errors[-1] if errors else f"nachverdichtung endete mit Code {code}")
        return out


class AssessAlgorithm(_Base):
    """Derive and rate the areas of a configuration, write the outputs, load the styled layers."""

    CONFIG, OUTPUT, FORMATS, SCENARIO, LOAD = "CONFIG", "OUTPUT", "FORMATS", "SCENARIO", "LOAD"
    GPKG, LAYERS = "GPKG", "LAYERS"

    def name(self):
        return "bewerten"

    def displayName(self):
        return "Potenzialflächen bewerten"

    def helpText(self):
        return ("Leitet die Potenzialflächen in zweiter Reihe aus der ALKIS-Lieferung der Konfiguration ab, "
                "bewertet alle Kriterien und schreibt die gewählten Ausgaben in den Ausgabeordner. "
                "Die Layer »Bewertung« und »Flurstücke« des GeoPackages werden mit ihren Stilen geladen; "
                "mit einem Szenario (aus scenarios: der Konfiguration) zeigt »Bewertung« dessen Klasse.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFile(self.CONFIG, "Konfiguration (config.yml)",
                                                     extension="yml"))
        self.addParameter(QgsProcessingParameterEnum(
            self.FORMATS, "Ausgabeformate", options=[label for _, label in runner.FORMATS], allowMultiple=True,
            defaultValue=[0, 1, 2]))
        self.addParameter(QgsProcessingParameterString(self.SCENARIO, "Szenario für die Darstellung (leer: Basis)",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterBoolean(self.LOAD, "Ergebnis-Layer laden", defaultValue=True))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, "Ausgabeordner"))
        self.addOutput(QgsProcessingOutputFile(self.GPKG, "GeoPackage"))
        self.addOutput(QgsProcessingOutputMultipleLayers(self.LAYERS, "Geladene Layer"))

    def processAlgorithm(self, parameters, context, feedback):
        config = self.parameterAsFile(parameters, self.CONFIG, context)
        out = Path(self.parameterAsString(parameters, self.OUTPUT, context))
        formats = [runner.FORMATS[i][0] for i in self.parameterAsEnums(parameters, self.FORMATS, context)]
        scenario = self.parameterAsString(parameters, self.SCENARIO, context).strip()
        if scenario:
            check_scenario(Path(config), scenario)
        args = ["assess", config, "--out", str(out)]
        if formats:
            args += ["--formats", ",".join(formats)]
        self.execute_command(args, feedback, progress=runner.StepProgress(len(formats) or 7))
        gpkg = out / "nachverdichtung.gpkg"
        loaded = []
        if self.parameterAsBoolean(parameters, self.LOAD, context) and gpkg.exists():
            loaded = self.load_layers(gpkg, context, feedback, scenario)
        return {self.OUTPUT: str(out), self.GPKG: str(gpkg) if gpkg.exists() else "", self.LAYERS: loaded}

    def load_layers(self, gpkg: Path, context, feedback, scenario: str = "") -> list[str]:
        """Queue the styled GeoPackage layers for loading into the project when the algorithm ends.

        With a scenario, ``Bewertung`` keeps its class style but shows the class ``klasse_<scenario>``.
        """
        ids = []
        # Processing loads the layers in the order of their ids (derived from the initial name) and
        # each new one goes on top: so the bottom layer gets the first id, the final name comes later.
        for rank, (layer_name, title) in enumerate(reversed(RESULT_LAYERS)):
            layer = QgsVectorLayer(f"{gpkg}|layername={layer_name}", f"nv{rank}_{layer_name}", "ogr")
            if not layer.isValid():
                feedback.reportError(f"{gpkg}: Layer {layer_name} nicht lesbar", False)
                continue
            if scenario and layer_name == "bewertung":
                title = self.show_scenario(layer, scenario, gpkg)
            context.temporaryLayerStore().addMapLayer(layer)
            details = QgsProcessingContext.LayerDetails(title, context.project(), title)
            details.forceName = True
            context.addLayerToLoadOnCompletion(layer.id(), details)
            ids.append(layer.id())
            feedback.pushInfo(f"Layer {title} ({layer.featureCount()} Objekte, Stil {layer.renderer().type()})")
        return ids

    @staticmethod
    def show_scenario(layer, scenario: str, gpkg: Path) -> str:
        """Colour ``layer`` by the scenario's class column; returns the layer title."""
        field = f"klasse_{scenario}"
        if layer.fields().indexOf(field) < 0:
            have = [f.name()[len("klasse_"):] for f in layer.fields() if f.name().startswith("klasse_")]
            raise QgsProcessingException(f"{gpkg}: Szenario »{scenario}« fehlt (Spalte {field}; vorhanden: "
                                         f"{', '.join(have) or 'keine'})")
        renderer = layer.renderer().clone()
        if hasattr(renderer, "setClassAttribute"):
            renderer.setClassAttribute(field)
            layer.setRenderer(renderer)
        return f"Bewertung – Szenario {scenario}"


def check_scenario(config: Path, scenario: str) -> None:
    """Fail before the run when the configuration does not name ``scenario`` (if PyYAML is there)."""
    try:
        import yaml  # QGIS ships PyYAML on most platforms; without it the result is checked instead
    except ImportError:
        return
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return  # the command reports a broken file with its own one-line message
    names = list((data.get("scenarios") or {}) if isinstance(data, dict) else {})
    if scenario not in names:
        raise QgsProcessingException(
            f"{config}: Szenario »{scenario}« ist nicht konfiguriert (scenarios: {', '.join(names) or 'keine'}). "
            "Lösung: Feld leer lassen oder das Szenario unter scenarios: eintragen.")


class ValidateAlgorithm(_Base):
    """Check a configuration and its inputs without rating anything."""

    CONFIG, REPORT, VALID = "CONFIG", "REPORT", "VALID"

    def name(self):
        return "pruefen"

    def displayName(self):
        return "Konfiguration prüfen"

    def helpText(self):
        return ("Prüft die Konfiguration und liest alle Eingangsdaten, ohne zu bewerten: Anzahl der Objekte je "
                "Layer, Rasterauflösungen und Hinweise zu den Daten. Fehler nennen Datei, Problem und Lösung.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFile(self.CONFIG, "Konfiguration (config.yml)", extension="yml"))
        self.addOutput(QgsProcessingOutputString(self.REPORT, "Ergebnis der Prüfung"))

    def processAlgorithm(self, parameters, context, feedback):
        config = self.parameterAsFile(parameters, self.CONFIG, context)
        lines = self.execute_command(["validate", config], feedback)
        return {self.REPORT: "\n".join(lines)}


class LayersAlgorithm(_Base):
    """List the layers of a delivery: DXF, GeoPackage or a folder of Shapefiles."""

    INPUT, FOLDER, REPORT = "INPUT", "FOLDER", "REPORT"

    def name(self):
        return "layer"

    def displayName(self):
        return "Layer einer Lieferung auflisten"

    def helpText(self):
        return ("Listet die Layer einer ALKIS-Lieferung mit Geometrietyp, Anzahl und Feldern: eine DXF- oder "
                "GeoPackage-Datei oder ein Ordner mit Shapefiles (eins von beiden angeben).")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFile(self.INPUT, "DXF- oder GeoPackage-Datei", optional=True,
                                                     fileFilter="ALKIS (*.dxf *.gpkg *.shp)"))
        self.addParameter(QgsProcessingParameterFile(self.FOLDER, "oder Shapefile-Ordner", optional=True,
                                                     behavior=QgsProcessingParameterFile.Folder))
        self.addOutput(QgsProcessingOutputString(self.REPORT, "Layer"))

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if ok and bool(parameters.get(self.INPUT)) == bool(parameters.get(self.FOLDER)):
            return False, "Entweder eine Datei oder einen Ordner angeben."
        return ok, message

    def processAlgorithm(self, parameters, context, feedback):
        path = (self.parameterAsFile(parameters, self.INPUT, context)
                or self.parameterAsFile(parameters, self.FOLDER, context))
        lines = self.execute_command(["layers", path], feedback)
        return {self.REPORT: "\n".join(lines)}


ALGORITHMS = (AssessAlgorithm, ValidateAlgorithm, LayersAlgorithm)
