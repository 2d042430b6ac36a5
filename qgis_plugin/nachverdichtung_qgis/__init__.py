"""QGIS plugin "Nachverdichtung": Processing algorithms that call the installed nachverdichtung package."""


def classFactory(iface):  # noqa: N802 - the name QGIS looks for
    """Called by QGIS when the plugin is loaded."""
    from .plugin import NachverdichtungPlugin  # QGIS imports the plugin package before it is used

    return NachverdichtungPlugin(iface)
