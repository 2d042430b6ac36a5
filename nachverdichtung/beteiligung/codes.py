"""ALKIS code values of the owner model (GeoInfoDok 6.0, object types 21001–21008).

Source: the AAA code lists as shipped by norBIT ALKIS-Import (``alkis-schema.sql``, values of
``AX_Buchungsart_Buchungsstelle``, ``AX_Blattart_Buchungsblatt``,
``AX_ArtDerRechtsgemeinschaft_Namensnummer``) and its owner resolution
(``postprocessing.d/4_nas2alb/3_eignerart.sql``: rights follow ``ax_buchungsstelle.an``, shares multiply,
fictitious sheets are skipped).
"""

from __future__ import annotations

__all__ = ["BUCHUNGSART", "AUFGETEILT", "FIKTIVES_BLATT", "RECHTSGEMEINSCHAFT", "role_of"]

#: Buchungsart of a Buchungsstelle (the ones an owner round meets; others are shown with their number).
BUCHUNGSART: dict[int, str] = {
    1100: "Grundstück",
    1101: "Aufgeteiltes Grundstück WEG",
    1102: "Aufgeteiltes Grundstück Par. 3 Abs. 4 GBO",
    1200: "Ungetrennter Hofraum",
    1301: "Wohnungs-/Teileigentum",
    1302: "Miteigentum Par. 3 Abs. 4 GBO",
    1303: "Anteil am ungetrennten Hofraum",
    1401: "Aufgeteilter Anteil Wohnungs-/Teileigentum",
    1402: "Aufgeteilter Anteil Miteigentum Par. 3 Abs. 4 GBO",
    1403: "Aufgeteilter Anteil am ungetrennten Hofraum",
    1501: "Anteil an Wohnungs-/Teileigentumsanteil",
    2101: "Erbbaurecht",
    2102: "Untererbbaurecht",
    2103: "Gebäudeeigentum",
    2104: "Fischereirecht",
    2105: "Bergwerksrecht",
    2106: "Nutzungsrecht",
    2201: "Aufgeteiltes Erbbaurecht WEG",
    2202: "Aufgeteiltes Untererbbaurecht WEG",
    2301: "Wohnungs-/Teilerbbaurecht",
    2302: "Wohnungs-/Teiluntererbbaurecht",
}

#: Divided bookings (WEG and similar): they live on a fictitious sheet, their parts point at them with ``an``.
AUFGETEILT = frozenset({1101, 1102, 1401, 1402, 1403, 2201, 2202, 2203, 2204, 2205, 2401, 2402, 2403, 2404})

#: Blattart of a fictitious sheet (holds divided bookings, has no owners of its own).
FIKTIVES_BLATT = 5000

#: Art der Rechtsgemeinschaft (Gesamthandsgemeinschaften decide together: one addressee).
RECHTSGEMEINSCHAFT: dict[int, str] = {
    1000: "Erbengemeinschaft",
    2000: "Gütergemeinschaft",
    3000: "BGB-Gesellschaft",
    9999: "Sonstiges",
}


def role_of(buchungsart: int) -> str:
    """Short German role of an owner booked under ``buchungsart``.

    Examples
    --------
    >>> role_of(2101)
    'Erbbaurecht'
    >>> role_of(1100)
    'Eigentum'
    """
    b = int(buchungsart)
    if b in (1100, 1200):
        return "Eigentum"
    if b in (1301, 1401, 1501):
        return "Wohnungs-/Teileigentum"
    if b in (1302, 1303, 1402, 1403, 1502, 1503):
        return "Miteigentum"
    if b in (2101, 2102, 2301, 2302, 2303, 2401, 2402, 2403, 2501, 2502, 2503):
        return "Erbbaurecht"
    return BUCHUNGSART.get(b, f"Recht (Buchungsart {b})")
