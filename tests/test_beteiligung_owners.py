"""Owner readers: the ALKIS owner model (PostNAS tables) and the Liegenschaftsbuch table.

Expected addressees are worked out by hand from tiny invented tables, and for the sample from the
generator's plan (built without the readers).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nachverdichtung.beteiligung.owners import as_list, read_owners, read_table
from nachverdichtung.beteiligung.postnas import resolve_postnas
from nachverdichtung.config import OwnersConfig
from nachverdichtung.errors import InputError
from nachverdichtung.sample.owners import POSTNAS_FILE, TABLE_FILE, write_owner_tables

K1, K2, K3, K4 = (f"07256600100{n:03d}______" for n in (1, 2, 3, 4))


def _tables() -> dict[str, pd.DataFrame]:
    """K1: Miteigentum 1/2 + 1/2 (persons p1, p2); K2: Erbengemeinschaft (p3, p4) with an Erbbaurecht of p1;
    K3: WEG of p2 (600/1000) and p5 (400/1000) with administrator p6; K4: WEG without administrator (p3, p4)."""
    flst = pd.DataFrame({"flurstueckskennzeichen": [K1, K2, K3, K4], "istgebucht": ["b1", "b2", "b4", "b7"]})
    bs = pd.DataFrame({
        "gml_id": ["b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"],
        "buchungsart": [1100, 1100, 2101, 1101, 1301, 1301, 1101, 1301, 1301],
        "istbestandteilvon": ["s1", "s2", "s3", "f1", "s4", "s5", "f2", "s6", "s7"],
        "an": [None, None, '["b2"]', None, "{b4}", "(1:b4)", None, '["b7"]', '["b7"]'],
        "zaehler": [None, None, None, None, 600, 400, None, 1, 1], "nenner": [None, None, None, None, 1000, 1000,
                                                                             None, 2, 2],
        "wirdverwaltetvon": [None, None, None, "v1", None, None, None, None, None]})
    bb = pd.DataFrame({"gml_id": ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "f1", "f2"],
                       "blattart": [1000] * 7 + [5000, 5000]})
    nn = pd.DataFrame({
        "gml_id": ["n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10"],
        "istbestandteilvon": ["s1", "s1", "s2", "s2", "s2", "s3", "s4", "s5", "s6", "s7"],
        "benennt": ["p1", "p2", None, "p3", "p4", "p1", "p2", "p5", "p3", "p4"],
        "zaehler": [1, 1, None, None, None, None, None, None, None, None],
        "nenner": [2, 2, None, None, None, None, None, None, None, None],
        "artderrechtsgemeinschaft": [None, None, 1000, None, None, None, None, None, None, None],
        "bestehtausrechtsverhaeltnissenzu": [None, None, None, "n3", "n3", None, None, None, None, None],
        "laufendenummernachdin1421": ["1", "2", "1", "1.1", "1.2", "1", "1", "1", "1", "1"]})
    persons = pd.DataFrame({"gml_id": [f"p{i}" for i in range(1, 7)],
                            "vorname": ["Erna", "Otto", "Ida", "Kurt", "Lene", None],
                            "nachnameoderfirma": ["Testfrau", "Testmann", "Probe", "Probe", "Muster", "Verwaltung X GmbH"],
                            "hat": [json.dumps([f"a{i}"]) for i in range(1, 7)]})
    addr = pd.DataFrame({"gml_id": [f"a{i}" for i in range(1, 7)], "strasse": "Teststraße",
                         "hausnummer": [str(i) for i in range(1, 7)], "postleitzahlpostzustellung": "99999",
                         "ort_post": "Prüfdorf"})
    verw = pd.DataFrame({"gml_id": ["v1"], "haengtan": ["p6"]})
    return {"ax_flurstueck": flst, "ax_buchungsstelle": bs, "ax_buchungsblatt": bb, "ax_namensnummer": nn,
            "ax_person": persons, "ax_anschrift": addr, "ax_verwaltung": verw}


def test_as_list_forms():
    assert as_list(pd.Series(['["x","y"]', "{x,y}", "(2:x,y)", "x", None])).tolist() == [
        ["x", "y"], ["x", "y"], ["x", "y"], ["x"], []]


def test_alkis_model_by_hand():
    data = resolve_postnas(_tables(), source="hand.gpkg")
    h = {(r.flstkennz, r.adressat_id, r.rolle, r.anteil) for r in data.holdings.itertuples()}
    assert h == {
        (K1, "p1", "Miteigentum", "1/2"), (K1, "p2", "Miteigentum", "1/2"),
        (K2, "n3", "Eigentum", ""), (K2, "p1", "Erbbaurecht", ""),
        (K3, "WEG:b4", "Wohnungseigentum (Gemeinschaft)", ""),
        (K4, "WEG:b7", "Wohnungseigentum (Gemeinschaft)", ""),
    }
    a = data.addressees
    assert a.loc["n3", "art"] == "Erbengemeinschaft"
    assert a.loc["n3", "zusatz"] == "Mitglieder: Ida Probe, Kurt Probe"
    assert a.loc["WEG:b4", "art"] == "WEG-Verwaltung" and a.loc["WEG:b4", "name"] == "Verwaltung X GmbH"
    assert a.loc["WEG:b4", "strasse"] == "Teststraße 6"
    assert a.loc["WEG:b7", "art"] == "Wohnungseigentümergemeinschaft"
    assert a.loc["WEG:b7", "zusatz"].endswith("Ida Probe, Kurt Probe")
    assert a.loc["p1", "plz_ort"] == "99999 Prüfdorf"
    # persons who hold only through a community or a WEG are no addressee of their own
    assert set(a.index) == {"p1", "p2", "n3", "WEG:b4", "WEG:b7"}


def test_historic_rows_are_ignored():
    t = _tables()
    t["ax_namensnummer"]["endet"] = [None] * 9 + ["2020-01-01T00:00:00Z"]
    t["ax_namensnummer"].loc[len(t["ax_namensnummer"])] = ["n11", "s1", "p5", None, None, None, None, "3",
                                                            "2019-01-01T00:00:00Z"]
    data = resolve_postnas(t, source="hand.gpkg")
    assert "p5" not in set(data.holdings["adressat_id"])


@pytest.fixture(scope="module")
def sample_owner_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("owners")
    n = 120
    kennz = np.array([f"072566{1 + i // 60:03d}{i % 60 + 1:05d}______" for i in range(n)])
    lage = np.array([f"Testweg {i + 1}" for i in range(n)])
    plan = write_owner_tables(out, kennz, lage, seed=3)
    return out, plan


def test_sample_postnas_matches_plan(sample_owner_files):
    out, plan = sample_owner_files
    data = read_owners(OwnersConfig(path=out / POSTNAS_FILE))
    got = {}
    for r in data.holdings.itertuples():
        got.setdefault(r.flstkennz, set()).add((r.adressat_id, r.rolle, r.anteil))
    assert got == plan.expected
    kinds = set(data.addressees["art"])
    assert {"Person", "Erbengemeinschaft", "WEG-Verwaltung", "Wohnungseigentümergemeinschaft"} <= kinds
    per_owner = data.holdings.groupby("adressat_id")["flstkennz"].nunique()
    assert per_owner.max() >= 2  # several parcels per owner
    assert (data.holdings["rolle"] == "Erbbaurecht").sum() == 2


def test_sample_table_matches_postnas(sample_owner_files):
    out, plan = sample_owner_files
    pn = read_owners(OwnersConfig(path=out / POSTNAS_FILE))
    tb = read_owners(OwnersConfig(path=out / TABLE_FILE))
    assert len(tb.addressees) == len(pn.addressees)
    count = lambda d: d.holdings.groupby("flstkennz")["adressat_id"].nunique().sort_index()  # noqa: E731
    pd.testing.assert_series_equal(count(tb), count(pn))
    assert set(tb.holdings["flstkennz"]) == set(plan.expected)


def test_table_errors_are_one_line(tmp_path):
    p = tmp_path / "lb.csv"
    p.write_text("flstkennz;name;anschrift\n0725660010;Erna Test;Weg 1, 99999 Ort\n", encoding="utf-8")
    with pytest.raises(InputError, match="Zeile 2: kein 20-stelliges Flurstückskennzeichen") as e:
        read_table(p, OwnersConfig(path=p))
    assert "\n" not in str(e.value)
    p.write_text("kennzeichen;wer\n07256600100001______;Erna\n", encoding="utf-8")
    with pytest.raises(InputError, match="Spalte für 'name' nicht gefunden"):
        read_table(p, OwnersConfig(path=p))


def test_missing_table_names_the_fix(tmp_path, sample_owner_files):
    import pyogrio

    out, _ = sample_owner_files
    target = tmp_path / "nur_personen.gpkg"
    df = pyogrio.read_dataframe(out / POSTNAS_FILE, layer="ax_person", read_geometry=False)
    pyogrio.write_dataframe(df, target, layer="ax_person", driver="GPKG")
    with pytest.raises(InputError, match="Tabelle 'ax_flurstueck' fehlt"):
        read_owners(OwnersConfig(path=target))
