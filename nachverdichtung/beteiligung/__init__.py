"""Participation round with the owners (``nachverdichtung beteiligung start|einlesen|bericht|export|loeschen``).

Owner data is read from a PostNAS / NAS-import schema or a Liegenschaftsbuch extract
(:mod:`.owners`), copied for the chosen areas only into the internal store of the output folder
(:mod:`.store`, file mode 0600) and never enters ``Layers``, the ``Assessment`` or a public output.
Public outputs only see the participation state per area (:mod:`.state`). See ``docs/beteiligung.md``.
"""

__all__ = ["INTERNAL_DIR"]

#: Folder inside the output folder holding everything personal (store, letters, response table).
INTERNAL_DIR = "beteiligung"
