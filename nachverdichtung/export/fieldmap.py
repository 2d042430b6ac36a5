"""Shapefile field names of at most 10 characters, with a documented map back to the long names.

dBASE limits field names to 10 characters (and compares them case-insensitively). Known columns get
a curated short name (:data:`CURATED`); any other column gets a deterministic generic one built from
a criterion prefix (:data:`PREFIXES`) and abbreviated measure words (:data:`WORDS`). Collisions are
resolved by a numeric suffix in column order, so the same columns always give the same names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["CURATED", "PREFIXES", "WORDS", "MAX_LEN", "short_names", "describe", "field_map"]

MAX_LEN = 10

#: Short column prefix per criterion (the part before the first ``_``).
PREFIXES: dict[str, str] = {
    "zuschnitt": "zus", "erschliessung": "ersch", "topographie": "topo", "vorbild": "vorb", "baeume": "baum",
    "starkregen": "regen", "naturschutz": "natur", "klima": "klima", "immissionen": "imm",
    "hochwasser": "hw", "denkmalschutz": "dm",
}

#: Abbreviations of measure words for the generic fallback (unknown words keep 4 letters).
WORDS: dict[str, str] = {
    "klasse": "kl", "grund": "gr", "anzahl": "n", "flaeche": "fl", "breite": "br", "laenge": "len",
    "abstand": "abst", "distanz": "dist", "mittel": "m", "max": "max", "min": "min", "maximum": "max",
    "minimum": "min", "anteil": "ant", "tiefe": "tief", "geschwindigkeit": "v", "neigung": "neig",
    "hoehenunterschied": "dh", "abdeckung": "abd", "kompaktheit": "komp", "bauplaetze": "bpl",
    "wohneinheiten": "we", "schaetzung": "", "kleine": "k", "geschuetzt": "gesch", "geschuetzte": "gesch",
    "baeume": "bm", "baum": "bm", "korridor": "korr", "zufahrt": "zuf", "weg": "weg", "weglaenge": "wegl",
    "fliessweg": "flw", "wassertiefe": "wt", "puffer": "puf", "kategorie": "kat", "kategorien": "kat",
    "name": "name", "namen": "name", "tag": "tag", "nacht": "nacht", "pegel": "peg", "hinweis": "hinw",
    "hinweise": "hinw", "funktion": "fkt", "ueber": "ue", "nachbar": "nb", "baulast": "bl", "gebaeude": "geb",
    "hinterhaeuser": "hh", "lden": "lden", "lnight": "lnig", "p90": "p90", "grad": "g", "pct": "pct",
}
_UNITS = {"m", "m2", "pct", "grad", "cm", "db", "ms", "m3", "ha"}

#: Curated short names (and German descriptions) for the columns known today.
CURATED: dict[str, tuple[str, str]] = {
    # areas: candidate columns
    "flaeche_id": ("flaeche_id", "Kennung der Potenzialfläche (stabil über Läufe)"),
    "quelle": ("quelle", "Herkunft: abgeleitet oder vom Planer gezeichnet"),
    "flurstuecke": ("flurstueck", "beteiligte Flurstücke (flstkennz, kommagetrennt)"),
    "anzahl_flurstuecke": ("anz_flst", "Anzahl beteiligter Flurstücke"),
    "haupt_flurstueck": ("haupt_flst", "Flurstück mit dem größten Flächenanteil"),
    "gemarkung": ("gemarkung", "Gemarkungsnummer (4 Ziffern)"),
    "flur": ("flur", "Flurnummer"),
    "flaeche_m2": ("flaeche_m2", "Fläche in m²"),
    "strasse": ("strasse", "erschließende Straße"),
    "baulinie_m": ("baulinie_m", "faktische hintere Bebauungstiefe der Straße in m"),
    "block_id": ("block_id", "Nummer des Straßenblocks"),
    "block_hinterhaeuser": ("block_hh", "Anzahl Hinterhäuser im Block (Vorbilder, § 34 BauGB)"),
    # areas: rating
    "klasse": ("klasse", "Gesamtklasse: geeignet / bedingt geeignet / nicht geeignet / nicht bewertet"),
    "entscheidend": ("entscheid", "Kriterien, die die Gesamtklasse bestimmen"),
    "nicht_bewertet": ("nicht_bew", "Kriterien ohne Daten (nicht bewertet)"),
    "zusammenfassung": ("zusammenf", "Zusammenfassung der Bewertung in einem Satz"),
    "klasse_vorlaeufig": ("kl_vorl", "vorläufige Klasse aus den bewertbaren Kriterien (bei 'nicht bewertet')"),
    "vorlaeufig": ("vorl_text", "vorläufige Klasse mit den nicht bewerteten Kriterien"),
    "bodenordnung": ("bodenordn", "Hinweis: laufende Bodenordnung / städtebauliche Festlegung (ALKIS), keine Klasse"),
    # hochwasser
    "hochwasser_verbot_m2": ("hw_verb_m2", "Hochwasser: Fläche in Gebieten mit Bauverbot in m²"),
    "hochwasser_flaeche_m2": ("hw_fl_m2", "Hochwasser: Fläche in Überschwemmungs-/Gefahrengebieten in m²"),
    "hochwasser_anteil_pct": ("hw_ant_pct", "Hochwasser: Flächenanteil in Überschwemmungs-/Gefahrengebieten in %"),
    "hochwasser_gebiete": ("hw_gebiete", "Hochwasser: betroffene Gebiete"),
    "hochwasser_hinweise": ("hw_hinw", "Hochwasser: Hinweise (Wasserschutzzonen, Gewässer)"),
    "hochwasser_quelle": ("hw_quelle", "Hochwasser: Datenquelle"),
    "hochwasser_klasse": ("hw_kl", "Hochwasser: Klasse"),
    "hochwasser_grund": ("hw_gr", "Hochwasser: Begründung"),
    # denkmalschutz
    "denkmalschutz_ausschluss_m2": ("dm_ausschl", "Denkmalschutz: Fläche in ausschließenden Denkmalkategorien in m²"),
    "denkmalschutz_betroffen_m2": ("dm_betr_m2", "Denkmalschutz: Fläche in Denkmalzonen/Denkmalen in m²"),
    "denkmalschutz_abstand_denkmal_m": ("dm_abst_m", "Denkmalschutz: Abstand zum nächsten Einzeldenkmal in m"),
    "denkmalschutz_kategorien": ("dm_kat", "Denkmalschutz: betroffene Denkmalkategorien"),
    "denkmalschutz_quelle": ("dm_quelle", "Denkmalschutz: Datenquelle"),
    "denkmalschutz_klasse": ("dm_kl", "Denkmalschutz: Klasse"),
    "denkmalschutz_grund": ("dm_gr", "Denkmalschutz: Begründung"),
    # owner round (nachverdichtung.beteiligung): aggregated state only, never a name
    "beteiligung": ("beteilig", "Beteiligung der Eigentümer: alle ja / teilweise ja / keiner ja / offen / zurückgestellt"),
    "beteiligung_adressaten": ("bet_adr", "Anzahl angeschriebener Eigentümer (Adressaten) der Fläche"),
    # zuschnitt
    "zuschnitt_flaeche_m2": ("zus_fl_m2", "Zuschnitt: Fläche in m²"),
    "zuschnitt_breite_m": ("zus_br_m", "Zuschnitt: nutzbare Breite in m"),
    "zuschnitt_kompaktheit": ("zus_komp", "Zuschnitt: Kompaktheit (1 = Kreis)"),
    "zuschnitt_bauplaetze_anzahl": ("zus_bpl", "Zuschnitt: Anzahl Baukörper, die passen"),
    "zuschnitt_kleine_bauplaetze_anzahl": ("zus_kbpl", "Zuschnitt: Anzahl kleiner Baukörper, die passen"),
    "zuschnitt_wohneinheiten_schaetzung": ("zus_we", "Zuschnitt: geschätzte Wohneinheiten"),
    "zuschnitt_klasse": ("zus_kl", "Zuschnitt: Klasse"),
    "zuschnitt_grund": ("zus_gr", "Zuschnitt: Begründung"),
    # topographie
    "topographie_neigung_mittel_pct": ("topo_mpct", "Topographie: mittlere Neigung in %"),
    "topographie_neigung_p90_pct": ("topo_p90pc", "Topographie: Neigung, 90 %-Quantil, in %"),
    "topographie_neigung_max_pct": ("topo_maxpc", "Topographie: größte Neigung in %"),
    "topographie_neigung_mittel_grad": ("topo_mgrad", "Topographie: mittlere Neigung in Grad"),
    "topographie_neigung_p90_grad": ("topo_p90g", "Topographie: Neigung, 90 %-Quantil, in Grad"),
    "topographie_neigung_max_grad": ("topo_maxg", "Topographie: größte Neigung in Grad"),
    "topographie_hoehenunterschied_m": ("topo_dh_m", "Topographie: Höhenunterschied in m"),
    "topographie_abdeckung_pct": ("topo_abd", "Topographie: vom DGM abgedeckter Flächenanteil in %"),
    "topographie_klasse": ("topo_kl", "Topographie: Klasse"),
    "topographie_grund": ("topo_gr", "Topographie: Begründung"),
    # erschliessung
    "erschliessung_breite_m": ("ersch_br_m", "Erschließung: lichte Breite der Zufahrt in m"),
    "erschliessung_laenge_m": ("ersch_lg_m", "Erschließung: Lauflänge der Zufahrt in m"),
    "erschliessung_ueber_nachbar": ("ersch_nb", "Erschließung: Zufahrt nur über Nachbarflurstücke (Baulast)"),
    "erschliessung_klasse": ("ersch_kl", "Erschließung: Klasse"),
    "erschliessung_grund": ("ersch_gr", "Erschließung: Begründung"),
    # vorbild
    "vorbild_hinterhaeuser_anzahl": ("vorb_hh", "Vorbild: Anzahl Hinterhäuser im Straßenblock"),
    "vorbild_abstand_m": ("vorb_abs_m", "Vorbild: Abstand zum nächsten Hinterhaus in m"),
    "vorbild_tiefe_m": ("vorb_tf_m", "Vorbild: größte Tiefe der Fläche ab der Straße in m"),
    "vorbild_baulinie_m": ("vorb_bl_m", "Vorbild: faktische hintere Bebauungstiefe in m"),
    "vorbild_klasse": ("vorb_kl", "Vorbild: Klasse"),
    "vorbild_grund": ("vorb_gr", "Vorbild: Begründung"),
    # baeume
    "baeume_anzahl": ("baum_n", "Bäume: Anzahl in der Fläche"),
    "baeume_geschuetzt_anzahl": ("baum_gesch", "Bäume: Anzahl nach Baumschutzsatzung geschützt"),
    "baeume_kronenanteil_pct": ("baum_kr_pc", "Bäume: Kronenanteil an der Fläche in %"),
    "baeume_altbaum_anzahl": ("baum_alt", "Bäume: Anzahl alter Habitatbäume"),
    "baeume_ohne_umfang_anzahl": ("baum_ohneu", "Bäume: Anzahl ohne Angabe des Stammumfangs"),
    "baeume_artenschutz_pruefen": ("baum_artpr", "Bäume: Artenschutz prüfen (§ 44 BNatSchG)"),
    "baeume_geschuetzte_arten": ("baum_arten", "Bäume: Arten der geschützten Bäume"),
    "baeume_klasse": ("baum_kl", "Bäume: Klasse"),
    "baeume_grund": ("baum_gr", "Bäume: Begründung"),
    # starkregen
    "starkregen_quelle": ("regen_q", "Starkregen: Datengrundlage (Gefahrenkarte oder DGM)"),
    "starkregen_tiefe_max_m": ("regen_tmax", "Starkregen: größte Wassertiefe in m"),
    "starkregen_tiefe_p90_m": ("regen_tp90", "Starkregen: Wassertiefe, 90 %-Quantil, in m"),
    "starkregen_anteil_gt_10cm_pct": ("regen_a10", "Starkregen: Flächenanteil mit mehr als 10 cm Wassertiefe in %"),
    "starkregen_anteil_gt_50cm_pct": ("regen_a50", "Starkregen: Flächenanteil mit mehr als 50 cm Wassertiefe in %"),
    "starkregen_geschwindigkeit_max_ms": ("regen_vmax", "Starkregen: größte Fließgeschwindigkeit in m/s"),
    "starkregen_senke_max_m": ("regen_smax", "Starkregen: größte Senkentiefe aus dem DGM in m"),
    "starkregen_senke_p90_m": ("regen_sp90", "Starkregen: Senkentiefe, 90 %-Quantil, in m"),
    "starkregen_abfluss_max_m2": ("regen_abfl", "Starkregen: größtes Einzugsgebiet des Abflusses in m²"),
    "starkregen_fliessweg_m": ("regen_fw_m", "Starkregen: Länge der Fließwege in der Fläche in m"),
    "starkregen_abdeckung_pct": ("regen_abd", "Starkregen: von den Daten abgedeckter Flächenanteil in %"),
    "starkregen_klasse": ("regen_kl", "Starkregen: Klasse"),
    "starkregen_grund": ("regen_gr", "Starkregen: Begründung"),
    # naturschutz
    "naturschutz_ausschluss_m2": ("natur_ausm", "Naturschutz: Fläche in ausschließenden Schutzgebieten in m²"),
    "naturschutz_abstand_ausschluss_m": ("natur_abst", "Naturschutz: Abstand zum nächsten ausschließenden Schutzgebiet in m"),
    "naturschutz_vorpruefung_m2": ("natur_vorp", "Naturschutz: Fläche in Gebieten mit Vorprüfung (FFH, VSG, LSG) in m²"),
    "naturschutz_kategorien": ("natur_kat", "Naturschutz: betroffene Schutzkategorien"),
    "naturschutz_arten_anzahl": ("natur_artn", "Naturschutz: Anzahl Artnachweise im Umkreis"),
    "naturschutz_arten": ("natur_art", "Naturschutz: nachgewiesene Arten"),
    "naturschutz_klasse": ("natur_kl", "Naturschutz: Klasse"),
    "naturschutz_grund": ("natur_gr", "Naturschutz: Begründung"),
    # klima
    "klima_leitbahn_pct": ("klima_lb", "Klima: Flächenanteil in Kaltluftleitbahnen in %"),
    "klima_entstehung_pct": ("klima_ke", "Klima: Flächenanteil in Kaltluftentstehungsgebieten in %"),
    "klima_ueberwaermung_pct": ("klima_uw", "Klima: Flächenanteil in Überwärmungsgebieten in %"),
    "klima_klasse": ("klima_kl", "Klima: Klasse"),
    "klima_grund": ("klima_gr", "Klima: Begründung"),
    # immissionen
    "immissionen_quelle": ("imm_q", "Immissionen: Datengrundlage (Lärmkarte oder Abstand)"),
    "immissionen_lden_mittel_db": ("imm_lden_m", "Immissionen: mittlerer L_DEN in dB(A)"),
    "immissionen_lden_max_db": ("imm_lden_x", "Immissionen: größter L_DEN in dB(A)"),
    "immissionen_lnight_mittel_db": ("imm_lngt_m", "Immissionen: mittlerer L_Night in dB(A)"),
    "immissionen_lnight_max_db": ("imm_lngt_x", "Immissionen: größter L_Night in dB(A)"),
    "immissionen_abdeckung_pct": ("imm_abd", "Immissionen: von der Lärmkarte abgedeckter Flächenanteil in %"),
    "immissionen_abstand_quelle_m": ("imm_abst_m", "Immissionen: Abstand zur nächsten Lärmquelle in m"),
    "immissionen_klasse": ("imm_kl", "Immissionen: Klasse"),
    "immissionen_grund": ("imm_gr", "Immissionen: Begründung"),
    "innenbereich": ("innenber", "Innenbereich der Fläche: Eingabe, abgeleitet (aus Gebäuden und Nutzung) oder keiner"),
    # parcels (Flurstücke)
    "flstkennz": ("flstkennz", "Flurstückskennzeichen (20 Zeichen)"),
    "zaehler": ("zaehler", "Flurstücksnummer: Zähler"),
    "nenner": ("nenner", "Flurstücksnummer: Nenner (leer = keiner)"),
    "nutzung": ("nutzung", "tatsächliche Nutzung (Klasse)"),
    "status": ("status", "Kandidat oder ausgeschlossen"),
    "grund": ("grund", "Begründung des Status"),
    "flaeche_ids": ("flaech_ids", "Potenzialflächen, an denen das Flurstück beteiligt ist"),
    # streets (Vorderzonen)
    "street_id": ("street_id", "Nummer der Straße"),
    "name": ("name", "Straßenname"),
    "n_hauptgebaeude": ("n_haupt", "Anzahl Hauptgebäude an der Straße"),
    # levers ("Was müsste sich ändern?", nachverdichtung.levers)
    "hebel": ("hebel", "Was müsste sich ändern: Hebel der entscheidenden Kriterien"),
    "hebel_machbar": ("hebel_mach", "Hebel durch Eigentümer oder Stadt machbar: ja / teilweise / nein"),
    "vorbild_im_block": ("vorb_block", "Vorbild: Fläche liegt in einem Straßenblock"),
    "hebel_zuschnitt": ("hb_zus", "Hebel zuschnitt: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_erschliessung": ("hb_ersch", "Hebel erschliessung: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_topographie": ("hb_topo", "Hebel topographie: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_vorbild": ("hb_vorb", "Hebel vorbild: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_baeume": ("hb_baum", "Hebel baeume: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_starkregen": ("hb_regen", "Hebel starkregen: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_naturschutz": ("hb_natur", "Hebel naturschutz: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_klima": ("hb_klima", "Hebel klima: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_immissionen": ("hb_imm", "Hebel immissionen: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_denkmalschutz": ("hb_denkm", "Hebel denkmalschutz: kleinste Änderung, die die Klasse um eine Stufe hebt"),
    "hebel_hochwasser": ("hb_hochw", "Hebel hochwasser: kleinste Änderung, die die Klasse um eine Stufe hebt"),
}

_UNIT_TEXT = {"m": "m", "m2": "m²", "pct": "%", "grad": "Grad", "cm": "cm", "db": "dB(A)", "ms": "m/s",
              "m3": "m³", "ha": "ha"}


def _generic(column: str) -> str:
    parts = [p for p in re.split(r"_+", column.lower()) if p]
    if not parts:
        return "feld"
    head, rest = parts[0], parts[1:]
    prefix = PREFIXES.get(head)
    if prefix is None:
        if not rest:
            return head[:MAX_LEN]
        prefix = head[:4]
    if not rest:
        return prefix
    unit = rest[-1] if len(rest) > 1 and rest[-1] in _UNITS else ""
    words = rest[:-1] if unit else rest
    abbrev = [WORDS.get(w, w[:4]) for w in words]
    for k in (99, 3, 2):  # shorten every word step by step until the unit fits too
        body = "".join(a[:k] for a in abbrev) or words[0][:k]
        for name in (f"{prefix}_{body}_{unit}", f"{prefix}_{body}{unit}") if unit else (f"{prefix}_{body}",):
            if len(name) <= MAX_LEN:
                return name
    return f"{prefix}_{''.join(abbrev)}"[:MAX_LEN]


def _clean(name: str) -> str:
    name = re.sub(r"[^0-9a-z_]", "_", name.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
                  .replace("ß", "ss"))
    return (name if name and not name[0].isdigit() else f"f{name}")[:MAX_LEN]


def short_names(columns: Iterable[str]) -> dict[str, str]:
    """Map long column names to unique dBASE field names of at most 10 characters.

    Curated names come first; others are built generically. A name that is already taken (compared
    case-insensitively) gets a numeric suffix (``_2``, ``_3`` … replacing its last characters).

    Examples
    --------
    >>> short_names(["flaeche_id", "topographie_klasse", "starkregen_wassertiefe_max_m"])
    {'flaeche_id': 'flaeche_id', 'topographie_klasse': 'topo_kl', 'starkregen_wassertiefe_max_m': 'regen_wtma'}
    """
    columns = list(dict.fromkeys(columns))
    wanted = {c: _clean(CURATED[c][0] if c in CURATED else _generic(c)) for c in columns}
    # curated names reserve their slot first so a generic name never pushes them aside
    order = [c for c in columns if c in CURATED] + [c for c in columns if c not in CURATED]
    taken: set[str] = set()
    out: dict[str, str] = {}
    for col in order:
        name = wanted[col]
        k = 1
        while name.lower() in taken:
            k += 1
            tag = f"_{k}"
            name = wanted[col][: MAX_LEN - len(tag)] + tag
        taken.add(name.lower())
        out[col] = name
    return {c: out[c] for c in columns}


def describe(column: str, titles: dict[str, str] | None = None) -> str:
    """German description of a column (curated, or generated from its name)."""
    if column in CURATED:
        return CURATED[column][1]
    parts = column.split("_")
    titles = titles or {}
    head = titles.get(parts[0], parts[0].capitalize())
    rest = parts[1:]
    if rest == ["klasse"]:
        return f"{head}: Klasse"
    if rest == ["grund"]:
        return f"{head}: Begründung"
    unit = _UNIT_TEXT.get(rest[-1]) if len(rest) > 1 else None
    words = " ".join(rest[:-1] if unit else rest)
    return f"{head}: {words}" + (f" in {unit}" if unit else "")


def field_map(columns: Iterable[str], titles: dict[str, str] | None = None) -> pd.DataFrame:
    """The field map as a table: ``kurzname``, ``spalte`` (long name), ``beschreibung``."""
    names = short_names(columns)
    return pd.DataFrame({"kurzname": list(names.values()), "spalte": list(names),
                         "beschreibung": [describe(c, titles) for c in names]})
