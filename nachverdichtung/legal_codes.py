"""ALKIS code tables of the public-law restrictions (leaf module: imports nothing of the package).

The values of ``artderfestlegung`` (and ``zone`` of ``ax_schutzzone``) are the enumerations of the
AdV GeoInfoDok (AAA application schema, ALKIS object types of the "Öffentlich-rechtliche und sonstige
Festlegungen"). Source used for every table below: the enumeration tables
``ax_artderfestlegung_naturumweltoderbodenschutzrecht``, ``…_denkmalschutzrecht``,
``…_klassifizierungnachwasserrecht``, ``…_anderefestlegungnachwasserrecht``,
``…_bauraumoderbodenordnungsrecht`` and ``ax_zone_schutzzone`` as shipped by norBIT ALKIS-Import
(``alkis-schema.sql``, github.com/norBIT/alkisimport, commit 5d31019, 2026-01-20), which reproduces
the GeoInfoDok code lists. Codes and official German names are facts of the standard; the
*categories* (second element) are this project's grouping, documented in ``docs/criteria.md``.

Note on flood areas: in the GeoInfoDok the Überschwemmungsgebiete (1440–1442) are values of
``AX_AndereFestlegungNachWasserrecht``; ``AX_KlassifizierungNachWasserrecht`` classifies waters
(Gewässer I.–III. Ordnung, 1300–1340). Both object types are read, and a code is looked up in the
union of both tables, so a delivery that files flood areas under either name is understood.
"""

from __future__ import annotations

__all__ = ["SOURCE", "NATUR", "DENKMAL", "WASSER", "SCHUTZZONE", "BODENORDNUNG", "LEGAL_LAYERS", "LegalLayer",
           "lookup"]

from typing import NamedTuple

SOURCE = ("AdV GeoInfoDok (AAA), Wertearten ax_artderfestlegung_* / ax_zone_schutzzone, wie in norBIT "
          "alkisimport alkis-schema.sql (Commit 5d31019, 2026-01-20)")

#: ``AX_ArtDerFestlegung_NaturUmweltOderBodenschutzrecht``: code → (category, official name).
#: Categories used by the nature criterion: NSG, Biotop30, Naturdenkmal, GLB (exclusion by default);
#: FFH, VSG, Natura2000, LSG, Schutzfläche, Ausgleichsfläche, Sicherstellung (preliminary assessment).
NATUR: dict[int, tuple[str, str]] = {
    1610: ("Natura2000", "Schutzfläche nach Europarecht"),
    1611: ("FFH", "Flora-Fauna-Habitat-Gebiet"),
    1612: ("VSG", "Vogelschutzgebiet"),
    1620: ("Schutzfläche", "Schutzflächen nach Landesnaturschutzgesetz"),
    1621: ("NSG", "Naturschutzgebiet"),
    1622: ("GLB", "Geschützter Landschaftsbestandteil"),
    1623: ("LSG", "Landschaftsschutzgebiet"),
    1624: ("Naturpark", "Naturpark"),
    1630: ("Bodenschutz", "Bundesbodenschutzgesetz"),
    1631: ("Altlastverdacht", "Verdachtsfläche auf schädliche Bodenveränderung"),
    1632: ("Altlast", "Schädliche Bodenveränderung"),
    1633: ("Altlastverdacht", "Altlastenverdächtige Fläche"),
    1634: ("Altlast", "Altlast"),
    1640: ("Immissionsschutz", "Bundesimmissionsschutzgesetz"),
    1641: ("Immissionsschutz", "Belastungsgebiet"),
    1642: ("Immissionsschutz", "Schutzbedürftiges Gebiet"),
    1643: ("Immissionsschutz", "Gefährdetes Gebiet"),
    1650: ("Schutzfläche", "Naturschutzgesetz"),
    1651: ("Biotop30", "Besonders geschütztes Biotop"),
    1652: ("Biotop30", "Besonders geschütztes Feuchtgrünland"),
    1653: ("Naturdenkmal", "Naturdenkmal"),
    1654: ("Sicherstellung", "Einstweilige Sicherstellung, Veränderungssperre"),
    1655: ("Vorkaufsrecht", "Vorkaufsrecht"),
    1656: ("Ausgleichsfläche", "Ausgleichs- oder Kompensationsfläche"),
    1660: ("Bodenschutz", "Bodenschutzgesetz"),
    1661: ("Bodenschutz", "Dauerbeobachtungsflächen"),
    1662: ("Bodenschutz", "Bodenschutzgebiet"),
}

#: ``AX_ArtDerFestlegung_Denkmalschutzrecht``: code → (category, official name).
DENKMAL: dict[int, tuple[str, str]] = {
    2700: ("Einzeldenkmal", "Kulturdenkmal"),
    2710: ("Einzeldenkmal", "Bau- und Kunstdenkmal nach Landesdenkmalschutzgesetz"),
    2711: ("Einzeldenkmal", "Baudenkmal"),
    2712: ("Einzeldenkmal", "Kunstdenkmal"),
    2713: ("Gartendenkmal", "Gartendenkmal"),
    2800: ("Bodendenkmal", "Archäologisches Denkmal (auch Bodendenkmal) nach Landesdenkmalschutzgesetz"),
    2810: ("Bodendenkmal", "Archäologisches Denkmal"),
    2820: ("Bodendenkmal", "Bodendenkmal"),
    2900: ("Denkmalzone", "Schutzgebiet oder -bereiche nach Landesdenkmalschutzgesetz"),
    2910: ("Denkmalzone", "Denkmalzone oder -bereich"),
    2920: ("Geschützter Baubereich", "Geschützter Baubereich"),
    2930: ("Grabungsschutzgebiet", "Grabungsschutzgebiet"),
}
# 3100–3860: archaeological object types (Burg, Ringwall, Limes, Grabhügel, Wüstung, Hohlweg, Menhir …),
# all Bodendenkmale; their official names are kept short here.
_ARCH = {3100: "Befestigungen", 3110: "Befestigung (Burg)", 3111: "Burg (Fliehburg, Ringwall)", 3112: "Erdwerk",
         3113: "Ringwall", 3114: "Steinwerk", 3115: "Festung", 3116: "Gräftenanlage", 3117: "Schanze", 3118: "Lager",
         3120: "Wachturm (römisch), Warte", 3121: "Wachturm", 3122: "Warte", 3130: "Befestigung (Wall, Graben)",
         3131: "Grenzwall, Schutzwall", 3132: "Limes", 3133: "Landwehr", 3134: "Stadtwall", 3135: "Historischer Wall",
         3200: "Historische Siedlung", 3210: "Pfahlbau", 3220: "Wüstung", 3230: "Wurt", 3240: "Abri", 3250: "Höhle",
         3300: "Historische Bestattung", 3310: "Großsteingrab (Dolmen, Hünenbett)", 3320: "Grabhügel (Hügelgrab)",
         3330: "Grabhügelfeld", 3340: "Urnenfriedhof", 3350: "Körpergräberfeld", 3360: "Reihengräberfriedhof",
         3400: "Historisches land- oder forstwirtschaftliches Objekt", 3410: "Historischer Pflanzkamp",
         3420: "Historisches Viehgehege", 3430: "Sandfang", 3440: "Historisches Ackersystem",
         3500: "Historische Bergbau-, Verhüttungs- oder sonstige Produktionsstätte", 3510: "Historisches Bergbaurelikt",
         3520: "Historischer Meiler", 3530: "Historischer Ofen", 3540: "Historischer Verhüttungsplatz",
         3600: "Historische Straße oder Weg", 3610: "Heerstraße", 3620: "Hohlweg", 3630: "Moorweg", 3640: "Wegespur",
         3700: "Historisches wasserwirtschaftliches Objekt", 3710: "Historische Wasserleitung", 3720: "Aquädukt",
         3730: "Historischer Deich", 3740: "Historischer Damm", 3750: "Historischer Graben", 3800: "Steinmal",
         3810: "Schalenstein", 3820: "Rillenstein", 3830: "Wetzrillen", 3840: "Kreuzstein",
         3850: "Historischer Grenzstein", 3860: "Menhir"}
DENKMAL.update({code: ("Bodendenkmal", text) for code, text in _ARCH.items()})

#: ``AX_ArtDerFestlegung_KlassifizierungNachWasserrecht`` (1300–1340) and
#: ``AX_ArtDerFestlegung_AndereFestlegungNachWasserrecht`` (1410–1480): code → (category, name).
WASSER: dict[int, tuple[str, str]] = {
    1300: ("Gewässer", "Klassifizierung nach Bundes- oder Landeswassergesetz"),
    1310: ("Gewässer", "Gewässer I. Ordnung - Bundeswasserstraße"),
    1320: ("Gewässer", "Gewässer I. Ordnung - nach Landesrecht"),
    1330: ("Gewässer", "Gewässer II. Ordnung"),
    1340: ("Gewässer", "Gewässer III. Ordnung"),
    1410: ("Wasserrecht", "Wasserstraßengesetz"),
    1420: ("Veränderungssperre", "Veränderungssperre"),
    1421: ("Veränderungssperre", "Veränderungssperre nach Bundeswasserstraßengesetz"),
    1430: ("Wasserrecht", "Landeswassergesetz"),
    1440: ("ÜSG", "Überschwemmungsgebiet"),
    1441: ("ÜSG festgesetzt", "Festgesetztes Überschwemmungsgebiet"),
    1442: ("ÜSG natürlich", "Natürliches Überschwemmungsgebiet"),
    1450: ("Wasserrecht", "Pegelschutzgebiet"),
    1460: ("Wasserrecht", "Wasser- und Bodenverbandsgebiet"),
    1470: ("Deichgebiet", "Deichgebiet"),
    1480: ("Wasserrecht", "Unterhaltungsverbandsgebiet"),
}

#: ``AX_Zone_Schutzzone``: zone code → (category, name); zones of water/medicinal-spring protection
#: areas (I–IV) and of biosphere reserves.
SCHUTZZONE: dict[int, tuple[str, str]] = {
    1010: ("Schutzzone I", "Zone I"),
    1020: ("Schutzzone II", "Zone II"),
    1030: ("Schutzzone III", "Zone III"),
    1031: ("Schutzzone III", "Zone IIIa"),
    1032: ("Schutzzone III", "Zone IIIb"),
    1040: ("Schutzzone IV", "Zone IV"),
    1060: ("Biosphärenreservat", "Kernzone"),
    1070: ("Biosphärenreservat", "Pflegezone"),
    1080: ("Biosphärenreservat", "Entwicklungszone"),
    1090: ("Biosphärenreservat", "Regenerationszone"),
    9997: ("Schutzzone", "Attribut trifft nicht zu"),
}

#: ``AX_ArtDerFestlegung_BauRaumOderBodenordnungsrecht``: code → (category, official name).
#: Categories: Bodenordnung (reallocation, land consolidation: a running procedure) and Städtebaurecht
#: (plans, statutes, redevelopment); both are notes in the fact sheet, never a class.
BODENORDNUNG: dict[int, tuple[str, str]] = {
    1700: ("Städtebaurecht", "Festlegung nach Baugesetzbuch - Allgemeines Städtebaurecht"),
    1710: ("Städtebaurecht", "Bebauungsplan"),
    1720: ("Städtebaurecht", "Veränderungssperre nach Baugesetzbuch"),
    1730: ("Städtebaurecht", "Vorkaufrechtssatzung"),
    1740: ("Bodenordnung", "Enteignungsverfahren"),
    1750: ("Bodenordnung", "Umlegung nach dem BauGB"),
    1760: ("Städtebaurecht", "Bauland"),
    1770: ("Bodenordnung", "Vereinfachte Umlegung"),
    1780: ("Städtebaurecht", "Vorhaben- und Erschließungsplan"),
    1790: ("Städtebaurecht", "Flächennutzungsplan"),
    1800: ("Städtebaurecht", "Festlegung nach Baugesetzbuch - Besonderes Städtebaurecht"),
    1810: ("Städtebaurecht", "Städtebauliche Entwicklungsmaßnahme"),
    1811: ("Städtebaurecht", "Städtebauliche Entwicklungsmaßnahme (Beschluss zu vorbereitenden Untersuchungen gefasst)"),
    1820: ("Städtebaurecht", "Erhaltungssatzung"),
    1821: ("Städtebaurecht", "Städtebauliches Erhaltungsgebiet"),
    1822: ("Städtebaurecht", "Soziales Erhaltungsgebiet"),
    1823: ("Städtebaurecht", "Erhaltungsgebiet zur städtebaulichen Umstrukturierung"),
    1824: ("Städtebaurecht", "Soziales Erhaltungsgebiet (Aufstellungsbeschluss gefasst)"),
    1830: ("Städtebaurecht", "Städtebauliche Gebote"),
    1840: ("Städtebaurecht", "Sanierung"),
    1841: ("Städtebaurecht", "Sanierung (Beschluss zu vorbereitenden Untersuchungen gefasst)"),
    1900: ("Städtebaurecht", "Wohnungsbauerleichterungsgesetz"),
    2100: ("Bodenordnung", "Flurbereinigungsgesetz"),
    2110: ("Bodenordnung", "Flurbereinigung (Par. 1, 37 FlurbG)"),
    2120: ("Bodenordnung", "Vereinfachtes Flurbereinigungsverfahren (Par. 86 FlurbG)"),
    2130: ("Bodenordnung", "Unternehmensflurbereinigung (nach Par. 87 oder 90 FlurbG)"),
    2140: ("Bodenordnung", "Beschleunigtes Zusammenlegungsverfahren (Par. 91 FlurbG)"),
    2150: ("Bodenordnung", "Freiwilliger Landtausch (Par. 103a FlurbG)"),
    2160: ("Bodenordnung", "Verfahren nach dem Gemeinheitsteilungsgesetz"),
    2170: ("Bodenordnung", "Verfahren nach dem Gemeinschaftswaldgesetz"),
    2180: ("Bodenordnung", "Freiwilliger Nutzungstausch"),
    2200: ("Bodenordnung", "Verfahren nach dem Landwirtschaftsanpassungsgesetz"),
    2210: ("Bodenordnung", "Flurneuordnung"),
    2220: ("Bodenordnung", "Freiwilliger Landtausch (Par. 54 LwAnpG)"),
    2230: ("Bodenordnung", "Bodenordnungsverfahren (Par. 56 LwAnpG)"),
    2240: ("Bodenordnung", "Zusammenführung von Boden- und Gebäudeeigentum (Par. 64 LwAnpG)"),
    2300: ("Bodenordnung", "Bodensonderungsgesetz"),
    2310: ("Bodenordnung", "Unvermessenes Eigentum"),
    2320: ("Bodenordnung", "Unvermessenes Nutzungsrecht"),
    2330: ("Bodenordnung", "Ergänzende Bodenneuordnung"),
    2340: ("Bodenordnung", "Komplexe Bodenneuordnung"),
    2400: ("Bodenordnung", "Vermögenszuordnungsgesetz"),
    2410: ("Bodenordnung", "Vermögenszuordnung nach Plan"),
    2411: ("Bodenordnung", "Vermögenszuordnung nach dem Aufteilungsplan"),
    2412: ("Bodenordnung", "Vermögenszuordnung nach dem Zuordnungsplan"),
    2500: ("Raumordnung", "Landesraumordnungsgesetz"),
    2510: ("Raumordnung", "Wasservorranggebiete"),
    2600: ("Bauordnung", "Bauordnung"),
    2610: ("Bauordnung", "Baulast"),
    2611: ("Bauordnung", "Begünstigende Baulast"),
    2612: ("Bauordnung", "Belastende Baulast"),
    2700: ("Bodenordnung", "Grenzfeststellungsverfahren nach Hamb. Wassergesetz"),
    2800: ("Bodenordnung", "Verkehrsflächenbereinigung"),
}


class LegalLayer(NamedTuple):
    """How one ALKIS restriction object type is read.

    ``key`` is the name of the harmonised layer in :class:`~nachverdichtung.layers.Layers`;
    ``objektarten`` the ALKIS object types (layer names) read into it; ``code_fields`` the field holding
    the code (full name first, then the 10-character Shapefile name); ``table`` the code table.
    """

    key: str
    label: str
    objektarten: tuple[str, ...]
    code_fields: tuple[str, ...]
    table: dict


LEGAL_LAYERS: tuple[LegalLayer, ...] = (
    LegalLayer("legal_nature", "Natur-, Umwelt- oder Bodenschutzrecht (ALKIS)", ("ax_naturumweltoderbodenschutzrecht",),
               ("artderfestlegung", "artderfest"), NATUR),
    LegalLayer("legal_monuments", "Denkmalschutzrecht (ALKIS)", ("ax_denkmalschutzrecht",),
               ("artderfestlegung", "artderfest"), DENKMAL),
    LegalLayer("legal_water", "Wasserrecht (ALKIS)", ("ax_klassifizierungnachwasserrecht",
                                                      "ax_anderefestlegungnachwasserrecht"),
               ("artderfestlegung", "artderfest"), WASSER),
    LegalLayer("legal_zones", "Schutzzonen (ALKIS)", ("ax_schutzzone",), ("zone",), SCHUTZZONE),
    LegalLayer("legal_landorder", "Bau-, Raum- oder Bodenordnungsrecht (ALKIS)", ("ax_bauraumoderbodenordnungsrecht",),
               ("artderfestlegung", "artderfest"), BODENORDNUNG),
)


def _fold(text: str) -> str:
    text = str(text).strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return "".join(ch for ch in text if ch.isalnum())


def lookup(table: dict, value) -> tuple[int | None, str, str]:
    """Resolve a code (number, numeric text or the official name) to ``(code, category, name)``.

    Unknown values give ``(code or None, "unbekannt", original text)``.

    Examples
    --------
    >>> lookup(DENKMAL, "2910")
    (2910, 'Denkmalzone', 'Denkmalzone oder -bereich')
    >>> lookup(NATUR, "Naturschutzgebiet")
    (1621, 'NSG', 'Naturschutzgebiet')
    >>> lookup(NATUR, 1999)
    (1999, 'unbekannt', '1999')
    """
    text = "" if value is None else str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit():
        code = int(text)
        cat, name = table.get(code, ("unbekannt", text))
        return code, cat, name
    key = _fold(text)
    for code, (cat, name) in table.items():
        if key and _fold(name) == key:
            return code, cat, name
    return None, "unbekannt", text
