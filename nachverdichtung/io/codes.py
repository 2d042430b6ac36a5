"""ALKIS code tables and identifiers: a leaf module (imports nothing of the package).

Gebäudefunktion codes (AdV GeoInfoDok, AX_Gebaeude ``gebaeudefunktion``) are grouped into the
building categories the criteria use, and the 20-character Flurstückskennzeichen is split into
its parts. Everything that knows an ALKIS code lives here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["building_category", "parse_flstkennz", "MAIN_RANGE", "MAIN_CODES", "ANCILLARY_CODES",
           "ANCILLARY_RANGE", "COMMERCIAL_RANGE", "UNKNOWN_FUNCTION"]

#: Gebäudefunktion ranges and codes (GeoInfoDok AX_Gebaeude): housing 1000–1223, plus
#: 2310 (Wohn- und Geschäftsgebäude) and 2320 (Wohn- und Bürogebäude).
MAIN_RANGE = (1000, 1223)
MAIN_CODES = (2310, 2320)
#: Ancillary buildings: 1313 Gartenhaus, 2723 Schuppen, 2740 Gewächshaus, 2460–2465 garages/parking.
ANCILLARY_CODES = (1313, 2723, 2740)
ANCILLARY_RANGE = (2460, 2465)
#: Other buildings for trade and industry ("Gebäude für Wirtschaft oder Gewerbe").
COMMERCIAL_RANGE = (2000, 2999)
#: "Nach Quellenlage nicht zu spezifizieren": used for missing or unreadable codes.
UNKNOWN_FUNCTION = 9998


def building_category(funktion: pd.Series) -> pd.Series:
    """Map ALKIS ``gebaeudefunktion`` codes to ``haupt``, ``neben``, ``gewerbe`` or ``sonstige``.

    Main buildings with housing are 1000–1223, 2310 and 2320; ancillary buildings are 1313
    (Gartenhaus), 2460–2465 (garages, parking), 2723 (Schuppen) and 2740 (Gewächshaus); other
    2000–2999 codes are commercial (2000 is "Gebäude für Wirtschaft oder Gewerbe", not housing).

    Examples
    --------
    >>> building_category(pd.Series([1010, 2463, 2000, 9998])).tolist()
    ['haupt', 'neben', 'gewerbe', 'sonstige']
    """
    f = pd.to_numeric(funktion, errors="coerce").fillna(UNKNOWN_FUNCTION).astype(int).to_numpy()
    main = ((f >= MAIN_RANGE[0]) & (f <= MAIN_RANGE[1])) | np.isin(f, MAIN_CODES)
    ancillary = np.isin(f, ANCILLARY_CODES) | ((f >= ANCILLARY_RANGE[0]) & (f <= ANCILLARY_RANGE[1]))
    commercial = (f >= COMMERCIAL_RANGE[0]) & (f <= COMMERCIAL_RANGE[1]) & ~main & ~ancillary
    cat = np.select([main, ancillary, commercial], ["haupt", "neben", "gewerbe"], "sonstige")
    return pd.Series(cat, index=funktion.index, dtype=object)


def parse_flstkennz(kennz: pd.Series) -> pd.DataFrame:
    """Split 20-character parcel ids into gemarkung, flur, zaehler and nenner.

    The Flurstückskennzeichen is Land (2) + Gemarkung (4) + Flur (3) + Zähler (5) + Nenner (4)
    + Folge (2), padded with ``_``; a Nenner of 0 means "none".

    Examples
    --------
    >>> row = parse_flstkennz(pd.Series(["072566001001230004__"])).iloc[0]
    >>> row["gemarkung"], int(row["flur"]), int(row["zaehler"]), int(row["nenner"])
    ('2566', 1, 123, 4)
    """
    s = kennz.astype(str).str.ljust(20, "_")

    def num(a: int, b: int) -> pd.Series:
        return pd.to_numeric(s.str[a:b].str.replace("_", "", regex=False), errors="coerce")

    nenner = num(14, 18).astype("Int64")
    return pd.DataFrame({
        "gemarkung": s.str[2:6], "flur": num(6, 9).astype("Int64"), "zaehler": num(9, 14).astype("Int64"),
        "nenner": nenner.where(nenner > 0),
    }, index=kennz.index)
