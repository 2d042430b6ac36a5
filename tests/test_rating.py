"""The rating: worst class decides, "nicht bewertet" never passes, advisory criteria never decide."""

from __future__ import annotations

import pandas as pd
import pytest

from nachverdichtung.criteria.base import BEDINGT, GEEIGNET, NICHT, UNBEWERTET
from nachverdichtung.rating import decision_counts, rate

G, B, N, U = GEEIGNET, BEDINGT, NICHT, UNBEWERTET
REASONS = {
    "erschliessung": {G: "Zufahrt 4,0 m breit, 32 m lang", B: "Zufahrt nur 2,4 m breit",
                      N: "keine Zufahrt ≥ 1,25 m über eigene Flurstücke", U: "keine Flurstücke zugeordnet"},
    "vorbild": {G: "Vorbild: 2 Hauptgebäude in zweiter Reihe im Block", B: "kein Vorbild in zweiter Reihe",
                N: "-", U: "Fläche liegt in keinem Straßenblock"},
    "topographie": {G: "mittlere Neigung 4,0 % ≤ 10 %", B: "mittlere Neigung 14,0 % > 10 %",
                    N: "mittlere Neigung 25,0 % > 20 %", U: "kein Geländemodell (DGM) angegeben"},
}
NAMES = list(REASONS)


def frame(*rows):
    """One area per row; each row gives the classes of erschliessung, vorbild, topographie."""
    data = {}
    for j, name in enumerate(NAMES):
        data[f"{name}_klasse"] = [r[j] for r in rows]
        data[f"{name}_grund"] = [REASONS[name][r[j]] for r in rows]
    return pd.DataFrame(data, index=[f"a{i}" for i in range(len(rows))])


@pytest.mark.parametrize("classes, expected, deciding", [
    ((G, G, G), G, ""),
    ((B, G, G), B, "erschliessung"),
    ((B, B, G), B, "erschliessung, vorbild"),
    ((B, N, B), N, "vorbild"),
    ((N, G, N), N, "erschliessung, topographie"),
])
def test_worst_class_decides_and_is_recorded(classes, expected, deciding):
    r = rate(frame(classes), NAMES).iloc[0]
    assert r["klasse"] == expected
    assert r["entscheidend"] == deciding


def test_summary_sentence_explains_the_decision():
    r = rate(frame((B, B, G)), NAMES).iloc[0]
    assert r["zusammenfassung"] == "bedingt geeignet: Zufahrt nur 2,4 m breit; kein Vorbild in zweiter Reihe"
    r = rate(frame((G, G, G)), NAMES).iloc[0]
    assert r["zusammenfassung"] == "geeignet: alle Kriterien erfüllt"
    r = rate(frame((B, G, N)), NAMES).iloc[0]
    assert r["zusammenfassung"] == "nicht geeignet: mittlere Neigung 25,0 % > 20 %"


def test_not_rated_never_passes():
    f = frame((G, G, U), (N, G, U), (B, G, U))
    r = rate(f, NAMES, missing=UNBEWERTET)
    assert r["klasse"].tolist() == [U, N, U]
    assert r["entscheidend"].tolist() == ["topographie", "erschliessung", "topographie"]
    assert r["nicht_bewertet"].tolist() == ["topographie"] * 3
    assert r["zusammenfassung"].iloc[0] == "nicht bewertet: kein Geländemodell (DGM) angegeben"
    # the lenient setting: a missing criterion counts as "bedingt", never as a pass
    r = rate(f, NAMES, missing=BEDINGT)
    assert r["klasse"].tolist() == [B, N, B]
    assert r["entscheidend"].iloc[2] == "erschliessung, topographie"


def test_advisory_criteria_never_decide():
    f = frame((G, G, N), (B, G, N), (G, G, U))
    r = rate(f, NAMES, advisory=["topographie"])
    assert r["klasse"].tolist() == [G, B, G]
    assert r["entscheidend"].tolist() == ["", "erschliessung", ""]
    assert "Neigung" not in r["zusammenfassung"].iloc[1]
    # still listed when it could not be rated
    assert r["nicht_bewertet"].iloc[2] == "topographie"


def test_index_and_decision_counts():
    f = frame((B, B, G), (N, G, G), (G, G, G), (B, G, U))
    r = rate(f, NAMES)
    assert r.index.equals(f.index)
    counts = decision_counts(r, NAMES)
    assert counts.to_dict() == {"erschliessung": 2, "vorbild": 1, "topographie": 1}


def test_no_criteria_is_not_rated():
    r = rate(frame((G, G, G)), [])
    assert r["klasse"].iloc[0] == U


def test_only_advisory_criteria_never_pass():
    """If every criterion is advisory nothing decides, so nothing may be called geeignet."""
    r = rate(frame((G, N, U)), NAMES, advisory=NAMES).iloc[0]
    assert r["klasse"] == U
    assert r["nicht_bewertet"] == "topographie"
    assert r["zusammenfassung"] == "nicht bewertet: alle Kriterien nur informativ"
