"""NAS (ALKIS XML exchange format) deliveries: refuse unsafe XML, read only with GDAL's NAS driver.

NAS files are large XML documents. They are never parsed by this package itself; GDAL's NAS
driver (which needs GDAL built with Xerces; the pip wheels of pyogrio have none) reads them when it
is available. Before anything opens an XML file, :func:`check_xml_safe` scans the raw bytes for a
document type declaration: NAS needs none, and a ``<!DOCTYPE``/``<!ENTITY`` is how entity-expansion
attacks ("billion laughs") and external-entity reads are delivered, so such a file is refused.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError

__all__ = ["XML_SUFFIXES", "NAS_SUFFIXES", "check_xml_safe", "nas_driver_available", "check_nas"]

XML_SUFFIXES = (".xml", ".nas", ".gml")
NAS_SUFFIXES = (".xml", ".nas")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 1 << 20
_NO_DRIVER_FIX = ("die NAS-Datei mit 'ogr2ogr -f GPKG alkis.gpkg datei.xml' (GDAL mit Xerces/NAS-Treiber) "
                  "oder mit dem norBIT ALKIS-Import nach GeoPackage bzw. PostGIS umwandeln und "
                  "'alkis.path' auf die GeoPackage-Datei setzen")


def check_xml_safe(path: str | Path) -> None:
    """Refuse an XML file that declares a DTD or entities, before any parser sees it.

    The whole file is scanned in 1 MiB blocks (with overlap), in UTF-8 and UTF-16 spellings.

    Raises
    ------
    InputError
        If the file holds ``<!DOCTYPE`` or ``<!ENTITY``.

    Examples
    --------
    >>> check_xml_safe("bomb.xml")  # doctest: +SKIP
    Traceback (most recent call last):
    InputError: bomb.xml: XML-Datei enthält eine DOCTYPE-/ENTITY-Deklaration …
    """
    path = Path(path)
    utf16 = [re.compile(b"\x00?".join(re.escape(bytes([c])) for c in word), re.IGNORECASE)
             for word in (b"<!DOCTYPE", b"<!ENTITY")]
    tail = b""
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            data = tail + block
            if _DTD.search(data) or any(p.search(data) for p in utf16):
                raise InputError(
                    "XML-Datei enthält eine DOCTYPE-/ENTITY-Deklaration; solche Dateien werden aus "
                    "Sicherheitsgründen nicht gelesen (Entity-Expansion, 'Billion Laughs')", file=path,
                    fix="eine NAS-Datei ohne DOCTYPE vom Vermessungsamt anfordern oder die Daten als "
                        "GeoPackage/Shapefile liefern lassen")
            tail = data[-32:]


def nas_driver_available() -> bool:
    """Whether the local GDAL has the NAS driver (GDAL built with Xerces)."""
    import pyogrio

    return "NAS" in pyogrio.list_drivers()


def check_nas(path: str | Path) -> None:
    """Check a NAS delivery before reading: the file is safe and a NAS driver exists.

    Raises
    ------
    InputError
        If the file is missing, unsafe (see :func:`check_xml_safe`), or the local GDAL cannot read NAS.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("NAS-Datei nicht gefunden", file=path, fix="Pfad unter 'alkis.path' prüfen")
    check_xml_safe(path)
    if not nas_driver_available():
        raise InputError("NAS-Dateien kann das installierte GDAL nicht lesen (kein NAS-Treiber, "
                         "GDAL ohne Xerces)", file=path, fix=_NO_DRIVER_FIX)
