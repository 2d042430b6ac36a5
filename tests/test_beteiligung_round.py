"""A whole participation round on the sample district: letters, answers, state, council report,
public export, deletion, and the privacy scan over every public output.

The expected addressees come from the sample's Liegenschaftsbuch CSV, which the generator writes
from its plan directly; the letters are made from the PostNAS tables, so the two paths are independent.
"""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
import stat
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from nachverdichtung.beteiligung.state import attach_state
from nachverdichtung.beteiligung.store import open_store, responses
from nachverdichtung.cli import main
from nachverdichtung.export import write_outputs
from nachverdichtung.sample.owners import HOME, POSTNAS_FILE, TABLE_FILE

PDFTOTEXT = shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(not PDFTOTEXT, reason="poppler-utils (pdftotext) not installed")


@pytest.fixture(scope="module")
def round_dir(tmp_path_factory, sample_config, sample_assessment):
    out = tmp_path_factory.mktemp("runde") / "out"
    write_outputs(sample_assessment, out)
    assert main(["beteiligung", "start", str(out), "--areas", "geeignet", "-q"]) == 0
    return out


def _expected(sample_config: Path, out: Path) -> pd.DataFrame:
    areas = pyogrio.read_dataframe(out / "nachverdichtung.gpkg", layer="bewertung", read_geometry=False)
    chosen = areas[areas["klasse"] == "geeignet"]
    parcels = set(",".join(chosen["flurstuecke"]).split(","))
    lb = pd.read_csv(sample_config.parent / TABLE_FILE, sep=";", dtype=str).fillna("")
    return lb[lb["flurstueckskennzeichen"].isin(parcels)]


def _key(row) -> str:
    if row["art"] == "Erbengemeinschaft":
        return f"{row['name']} ({row['zusatz'].removeprefix('Mitglieder: ')})"
    if row["art"] == "Wohnungseigentümergemeinschaft":
        return f"{row['name']} {row['zusatz'].split(': ', 1)[1]}"
    return row["name"]


def test_letters_are_the_distinct_owners_with_exactly_their_parcels(round_dir, sample_config):
    lb = _expected(sample_config, round_dir)
    lb_key = lb["name"] + " | " + lb["anschrift"]
    expected = lb.assign(key=lb_key).groupby("key")["flurstueckskennzeichen"].agg(frozenset)
    sb = pd.read_csv(round_dir / "beteiligung" / "serienbrief.csv", sep=";", dtype=str).fillna("")
    sb_key = sb.apply(_key, axis=1) + " | " + sb["strasse"] + ", " + sb["plz_ort"]
    got = pd.Series(sb["flurstuecke"].str.split(", ").map(frozenset).to_numpy(), index=sb_key)
    letters = sorted((round_dir / "beteiligung" / "briefe" / "runde_01").glob("*.pdf"))
    assert len(letters) == len(sb) == len(expected) > 5
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    assert set(p.stem for p in letters) == set(sb["referenz"])


def test_internal_files_are_private(round_dir):
    d = round_dir / "beteiligung"
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    for f in [d / "eigentuemer.sqlite", d / "serienbrief.csv", d / "rueckmeldungen.xlsx",
              *(d / "briefe" / "runde_01").glob("*.pdf")]:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


@needs_poppler
def test_letter_content(round_dir):
    sb = pd.read_csv(round_dir / "beteiligung" / "serienbrief.csv", sep=";", dtype=str).fillna("")
    row = sb.iloc[0]
    text = subprocess.run([PDFTOTEXT, "-layout", str(round_dir / "beteiligung" / "briefe" / "runde_01" /
                                                     f"{row['referenz']}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for needle in (row["name"], row["referenz"], "Antwortbogen", "Art. 13 und 14 DSGVO", "§ 200 Abs. 3 BauGB",
                   "Ich habe kein Interesse", row["flaechen"].split(", ")[0]):
        assert needle in text, needle
    for k in row["flurstuecke"].split(", "):
        assert str(int(k[9:14])) in text


@needs_poppler
def test_every_letter_lists_exactly_its_owners_parcels(round_dir, sample_config):
    """Parcel numbers printed in each PDF (``Flur F: n, m``) = that addressee's parcels in the Liegenschaftsbuch."""
    lb = _expected(sample_config, round_dir)
    by_key = lb.groupby(lb["name"] + " | " + lb["anschrift"])["flurstueckskennzeichen"].agg(set)
    sb = pd.read_csv(round_dir / "beteiligung" / "serienbrief.csv", sep=";", dtype=str).fillna("")
    for _, row in sb.iterrows():
        pdf = round_dir / "beteiligung" / "briefe" / "runde_01" / f"{row['referenz']}.pdf"
        text = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        printed = {(int(f), n.strip()) for f, nums in re.findall(r"Flur (\d+): ([\d/, ]+)", text)
                   for n in nums.split(",") if n.strip()}
        want = by_key[_key(row) + " | " + row["strasse"] + ", " + row["plz_ort"]]
        assert printed == {(int(k[6:9]), _number(k)) for k in want}, row["referenz"]


def _number(kennz: str) -> str:
    """Zähler[/Nenner] of a 20-character Flurstückskennzeichen, worked out here independently."""
    z, n = int(kennz[9:14]), kennz[14:18].replace("_", "")
    return f"{z}/{int(n)}" if n and int(n) else str(z)


def _fill(out: Path, path: Path, status_by_area: dict[str, list[str]]) -> None:
    df = pd.read_excel(out / "beteiligung" / "rueckmeldungen.xlsx", dtype=str)
    for area, statuses in status_by_area.items():
        idx = df.index[df["flaeche_id"] == area]
        df.loc[idx, "status"] = (statuses * len(idx))[:len(idx)]
        df.loc[idx, "datum"] = "15.01.2027"
    df.to_excel(path, index=False)


def test_answers_change_the_state_and_survive_a_rerun(round_dir, sample_assessment, tmp_path, capsys):
    con = open_store(round_dir)
    pairs = responses(con)
    con.close()
    counts = pairs.groupby("flaeche_id").size()
    multi = counts[counts >= 2].index
    a_yes, a_no, a_part = multi[0], multi[1], multi[2]
    filled = tmp_path / "ausgefuellt.xlsx"
    _fill(round_dir, filled, {a_yes: ["Interesse"], a_no: ["kein Interesse"],
                              a_part: ["Interesse", "Widerspruch gegen Veröffentlichung"]})
    assert main(["beteiligung", "einlesen", str(round_dir), str(filled), "-q"]) == 0
    rerun = attach_state(sample_assessment, round_dir)
    write_outputs(rerun, round_dir)  # every default format: the privacy scan below reads them with the states
    b = pyogrio.read_dataframe(round_dir / "nachverdichtung.gpkg", layer="bewertung", read_geometry=False)
    state = b.set_index("flaeche_id")["beteiligung"]
    assert state[a_yes] == "alle ja" and state[a_no] == "zurückgestellt" and state[a_part] == "teilweise ja"
    others = set(pairs["flaeche_id"]) - {a_yes, a_no, a_part}
    assert set(state[list(others)]) == {"offen"}
    assert (state.drop(list(pairs["flaeche_id"].unique())) == "nicht angefragt").all()
    with sqlite3.connect(round_dir / "nachverdichtung.gpkg") as gp:
        styles = dict(gp.execute("SELECT styleName, styleQML FROM layer_styles WHERE f_table_name = 'bewertung'"))
    gp.close()
    assert 'value="zurückgestellt"' in styles["Beteiligung der Eigentümer"]
    assert "<th>Beteiligung</th><td>alle ja</td>" in (round_dir / "bericht.html").read_text(encoding="utf-8")
    assert "Beteiligung der Eigentümer" in (round_dir / "karte.html").read_text(encoding="utf-8")
    con = open_store(round_dir)
    log = pd.read_sql_query("SELECT * FROM protokoll WHERE aktion = 'einlesen'", con)
    con.close()
    assert len(log) == counts[[a_yes, a_no, a_part]].sum() and log["benutzer"].notna().all()
    assert log["details"].str.contains("angeschrieben → ").all()


@pytest.mark.parametrize("change, message", [
    (("status", "vielleicht"), "unbekannter Status 'vielleicht'"),
    (("referenz", "NV99-9999Z"), "unbekanntes Zeichen 'NV99-9999Z'"),
    (("flaeche_id", "0000-0-0-z"), "Fläche '0000-0-0-z' gehört nicht zum Zeichen"),
    (("datum", "gestern"), "Datum 'gestern' nicht lesbar"),
])
def test_malformed_table_exits_2_with_one_line(round_dir, tmp_path, capsys, change, message):
    df = pd.read_excel(round_dir / "beteiligung" / "rueckmeldungen.xlsx", dtype=str)
    df.loc[3, change[0]] = change[1]
    bad = tmp_path / "kaputt.xlsx"
    df.to_excel(bad, index=False)
    capsys.readouterr()
    assert main(["beteiligung", "einlesen", str(round_dir), str(bad), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Zeile 5" in err


def test_export_waits_for_the_notice_month(round_dir, capsys):
    today = pd.Timestamp.now(tz="UTC").date().isoformat()
    assert main(["beteiligung", "export", str(round_dir), "--bekanntmachung", today, "-q"]) == 2
    assert "Monatsfrist" in capsys.readouterr().err
    assert not (round_dir / "baulandkataster" / "baulandkataster.gpkg").exists()


def _owner_strings(sample_config: Path) -> list[str]:
    src = sample_config.parent / POSTNAS_FILE
    p = pyogrio.read_dataframe(src, layer="ax_person", read_geometry=False).fillna("")
    a = pyogrio.read_dataframe(src, layer="ax_anschrift", read_geometry=False).fillna("")
    names = (p["vorname"] + " " + p["nachnameoderfirma"]).str.strip()
    streets = (a["strasse"] + " " + a["hausnummer"]).str.strip()
    towns = a["postleitzahlpostzustellung"] + " " + a["ort_post"]
    # the municipality's own town (the office's address) is no owner data
    towns = set(towns) - {HOME}
    return sorted(set(names) | set(streets) | towns | set(p["nachnameoderfirma"] + ", " + p["vorname"]))


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        return subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True).stdout
    if path.suffix in (".gpkg", ".sqlite"):
        # every value of every table (raw pages would glue neighbouring fields together)
        with sqlite3.connect(path) as con:
            tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            cells = [v.decode("utf-8", "ignore") if isinstance(v, bytes) else str(v)
                     for t in tables for row in con.execute(f'SELECT * FROM "{t}"') for v in row]
        con.close()
        return " | ".join(cells)
    if path.suffix == ".dbf":
        df = pyogrio.read_dataframe(path.with_suffix(".shp"), read_geometry=False)
        return " | ".join(str(v) for v in df.to_numpy().ravel())
    if path.suffix in (".xlsx", ".zip"):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist())
    raw = path.read_bytes().decode("utf-8", "ignore")
    raw = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), raw)
    return html.unescape(raw)


@needs_poppler
def test_privacy_scan_over_every_public_output(round_dir, sample_config):
    assert main(["beteiligung", "bericht", str(round_dir), "-q"]) == 0
    assert main(["beteiligung", "export", str(round_dir), "--bekanntmachung", "2000-01-01", "-q"]) == 0
    public = [p for p in round_dir.rglob("*") if p.is_file() and "beteiligung" not in p.relative_to(round_dir).parts]
    names = {p.name for p in public}
    assert {"nachverdichtung.gpkg", "bewertung.csv", "bewertung.xlsx", "karte.html", "bericht.pdf",
            "sachstandsbericht.pdf", "baulandkataster.gpkg", "baulandkataster.csv", "bewertung.dbf"} <= names
    needles = _owner_strings(sample_config)
    assert len(needles) > 1000
    hits = []
    for p in public:
        text = " ".join(_text(p).split())
        hits += [(p.name, n) for n in needles if n in text]
    assert hits == [], "; ".join(map(str, hits[:40]))
    # the scan can find something: the internal letters do contain names and addresses
    letter = next((round_dir / "beteiligung" / "briefe" / "runde_01").glob("*.pdf"))
    assert any(n in " ".join(_text(letter).split()) for n in needles)


def test_public_export_lists_no_objected_area(round_dir):
    cat = pd.read_csv(round_dir / "baulandkataster" / "baulandkataster.csv", sep=";", dtype=str)
    con = open_store(round_dir)
    r = responses(con)
    con.close()
    objected = set(r.loc[r["status"] == "Widerspruch gegen Veröffentlichung", "flaeche_id"])
    refused = set(r.loc[r["status"] == "kein Interesse", "flaeche_id"])
    assert objected and not (objected | refused) & set(cat["flaeche_id"])
    assert set(cat.columns) == {"flaeche_id", "gemarkung", "flur", "flurstuecke", "strasse", "flaeche_m2", "klasse"}


def test_delete_keeps_counts_only(round_dir, sample_config):
    before = pd.read_csv(round_dir / "sachstand.csv", sep=";") if (round_dir / "sachstand.csv").exists() else None
    assert main(["beteiligung", "loeschen", str(round_dir), "--vor", "2999-01-01", "-q"]) == 0
    d = round_dir / "beteiligung"
    assert not list((d / "briefe").rglob("*.pdf")) and not (d / "serienbrief.csv").exists()
    store_text = " ".join((d / "eigentuemer.sqlite").read_bytes().decode("utf-8", "ignore").split())
    names = [n for n in _owner_strings(sample_config) if len(n) > 8]
    assert [n for n in names if n in store_text] == []
    assert [n for n in names if n in " ".join(_text(d / "rueckmeldungen.xlsx").split())] == []
    assert main(["beteiligung", "bericht", str(round_dir), "-q"]) == 0
    after = pd.read_csv(round_dir / "sachstand.csv", sep=";")
    if before is not None:
        pd.testing.assert_frame_equal(before, after)
