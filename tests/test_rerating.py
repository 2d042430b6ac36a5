"""Re-rating stored measures (scenarios, sensitivity) gives exactly the classes of a full re-run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from nachverdichtung.config import _overlay, _overlay_criteria, config_from_dict, load_config
from nachverdichtung.criteria.base import BEDINGT, GEEIGNET, NICHT
from nachverdichtung.pipeline import assess
from nachverdichtung.rerating import NotReratable, rerate
from nachverdichtung.sensitivity import sweep_values, thresholds

SCENARIOS = {
    # one threshold, at the −10 % point of the sweep
    "eins": {"criteria": {"immissionen": {"lden_nicht_ab_db": 58.5}}},
    # many rating parameters and both switches of value (kennwert) at once
    "streng": {"criteria": {
        "topographie": {"bedingt_ab_pct": 8, "kennwert": "p90"},
        "baeume": {"kronenanteil_nicht_ab_pct": 30},
        "starkregen": {"geschwindigkeit_bedingt_ab_ms": 0.4, "tiefe_bedingt_ab_m": 0.05},
        "klima": {"entstehung_bedingt_ab_pct": 5},
        "immissionen": {"lnight_bedingt_ab_db": 40, "kennwert": "max"},
        "erschliessung": {"laenge_max_m": 30},
        "vorbild": {"min_hinterhaeuser": 2}}},
    # a measuring parameter (measured again), a criterion switched off, another rating rule
    "locker": {"criteria": {"erschliessung": {"breite_geeignet_m": 2.5}, "klima": False},
               "rating": {"missing": "bedingt geeignet"}},
}


@pytest.fixture(scope="module")
def runs(sample_config):
    data = yaml.safe_load(sample_config.read_text(encoding="utf-8"))
    path = sample_config.with_name("config_szenarien.yml")
    path.write_text(yaml.safe_dump({**data, "scenarios": SCENARIOS}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    base = assess(load_config(path))
    full = {}
    for name, over in SCENARIOS.items():
        merged = {**data, "criteria": _overlay_criteria(data.get("criteria"), over.get("criteria", {})),
                  "rating": _overlay(data.get("rating") or {}, over.get("rating", {}))}
        full[name] = assess(config_from_dict(merged, file=path, base_dir=path.parent))
    return base, full


@pytest.mark.slow
def test_scenario_columns_equal_full_runs(runs):
    base, full = runs
    for name, run in full.items():
        assert list(base.areas[f"klasse_{name}"]) == list(run.areas["klasse"]), name
    # the scenarios really move areas (otherwise the test proves little)
    assert (base.areas["klasse_streng"] != base.areas["klasse"]).sum() > 10
    assert (base.areas["klasse_locker"] != base.areas["klasse"]).sum() > 0


@pytest.mark.slow
def test_rerate_equals_full_run_per_criterion(runs):
    base, full = runs
    for name in ("eins", "streng"):
        sc = next(s for s in base.config.scenarios if s.name == name)
        out = rerate(base.areas, base.config.criteria, sc.criteria, missing=sc.rating.missing,
                     advisory=sc.rating.advisory)
        for c in sc.criteria:
            assert list(out[f"{c}_klasse"]) == list(full[name].areas[f"{c}_klasse"]), (name, c)
        assert list(out["klasse"]) == list(full[name].areas["klasse"])
    locker = next(s for s in base.config.scenarios if s.name == "locker")
    with pytest.raises(NotReratable, match="breite_geeignet_m"):
        rerate(base.areas, base.config.criteria, locker.criteria)


@pytest.mark.slow
def test_sensitivity_rows_equal_full_run(runs):
    base, full = runs
    t = base.sensitivity
    row = t[(t["parameter"] == "lden_nicht_ab_db") & (t["variante"] == "−10 %")].iloc[0]
    counts = full["eins"].class_counts()
    assert row["wert"] == pytest.approx(58.5)
    assert [row[k] for k in counts.index] == counts.tolist()
    assert row["geaendert"] == int((full["eins"].areas["klasse"] != base.areas["klasse"]).sum())
    named = t[(t["parameter"] == "lden_nicht_ab_db") & (t["variante"] == "Szenario eins")]
    assert len(named) == 1 and named.iloc[0][list(counts.index)].tolist() == counts.tolist()
    # the base row is the assessment itself
    b = t.iloc[0]
    assert b["variante"] == "Basis" and [b[k] for k in counts.index] == base.class_counts().tolist()


@pytest.mark.slow
def test_comparison_table(runs):
    base, full = runs
    table = base.scenario_table
    assert list(table.index) == ["Basis", "eins", "streng", "locker"]
    for name, run in full.items():
        for k, v in run.class_counts().items():
            assert table.loc[name, f"{k} Flächen"] == v
        dw = run.areas["zuschnitt_wohneinheiten_schaetzung"]
        assert table.loc[name, "geeignet Wohneinheiten"] == int(dw[run.areas["klasse"] == GEEIGNET].sum())
    assert any("neu gemessen" in n for n in base.manifest["szenarien"])


def test_sweep_values_bounds_and_integers():
    from nachverdichtung.criteria.klima import ClimateParams
    from nachverdichtung.criteria.vorbild import PrecedentParams

    assert sweep_values(ClimateParams(leitbahn_nicht_ab_pct=90.0), "leitbahn_nicht_ab_pct", (0.2,)) == [("+20 %", 100.0)]
    assert sweep_values(PrecedentParams(min_hinterhaeuser=5), "min_hinterhaeuser", (-0.2, 0.1)) == \
        [("−20 %", 4), ("+10 %", 6)]  # 5.5 → 6 (round half to even)


def test_thresholds_are_only_rating_parameters():
    cfg = config_from_dict({"alkis": {"path": "x"}})
    found = thresholds(dict(cfg.criteria))
    assert ("topographie", "bedingt_ab_pct") in found and ("erschliessung", "laenge_max_m") in found
    # the access widths change the measurement (neighbour search, corridor width): not swept
    assert ("erschliessung", "breite_geeignet_m") not in found
    assert not any(c == "naturschutz" for c, _ in found)


def test_rerate_small_frame_by_hand():
    """Two areas, slope only: 12 % and 25 % mean slope; thresholds 10/20 % → bedingt/nicht, at 15/30 % → bedingt/bedingt."""
    from nachverdichtung.criteria.topographie import TopographyParams

    f = pd.DataFrame({"topographie_neigung_mittel_pct": [12.0, 25.0], "topographie_neigung_p90_pct": np.nan,
                      "topographie_abdeckung_pct": 100.0, "topographie_klasse": [BEDINGT, NICHT]})
    base = {"topographie": TopographyParams()}
    out = rerate(f, base, {"topographie": TopographyParams(bedingt_ab_pct=15, nicht_geeignet_ab_pct=30)})
    assert list(out["klasse"]) == [GEEIGNET, BEDINGT]


def test_sensitivity_cli_bad_steps_is_exit_2(capsys, tmp_path):
    from nachverdichtung.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["sensitivitaet", str(tmp_path / "c.yml"), "--out", str(tmp_path), "--schritte", "zwanzig"])
    assert exc.value.code == 2
    assert "keine Liste von Prozentwerten" in capsys.readouterr().err


@pytest.mark.slow
def test_sensitivity_cli_writes_table_and_chart(sample_config, tmp_path, capsys):
    from nachverdichtung.cli import main

    assert main(["sensitivitaet", str(sample_config), "--out", str(tmp_path), "-q", "--schritte=-20,20"]) == 0
    out = capsys.readouterr().out
    assert "Varianten neu bewertet in" in out
    t = pd.read_csv(tmp_path / "sensitivitaet.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert set(t["Variante"].dropna()) == {"Basis", "−20 %", "+20 %"}
    base = t.iloc[0]
    for _, r in t.iterrows():  # every variant rates every area
        assert r[["geeignet", "bedingt geeignet", "nicht geeignet", "nicht bewertet"]].sum() == \
            base[["geeignet", "bedingt geeignet", "nicht geeignet", "nicht bewertet"]].sum()
    assert (tmp_path / "sensitivitaet_tornado.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".nachverdichtung-*"))  # staging folder removed


def test_report_context_has_levers_and_sweep(sample_assessment):
    from nachverdichtung.export.report import report_context

    ctx = report_context(sample_assessment)
    d = ctx["entscheidung"]
    assert d["sensitivitaet"] and sum(d["hebel"].values()) == int((sample_assessment.areas["klasse"] != GEEIGNET).sum())
    sheets = [s for s in ctx["areas"] if s["klasse"] != GEEIGNET]
    assert sheets and all(s["hebel"] for s in sheets if s["entscheidend"] != "–")


@pytest.mark.parametrize("scenarios, key, fix", [
    ({"streng": {"inputs": {}}}, "scenarios.streng.inputs", "criteria, rating"),
    ({"streng": {"criteria": {"topographie": {"bedingt_ab": 8}}}}, "scenarios.streng.criteria.topographie",
     "bedingt_ab_pct"),
    ({"streng": {"criteria": {"hangneigung": {}}}}, "scenarios.streng.criteria.hangneigung", "topographie"),
    ({"sehr streng": {}}, "scenarios.sehr streng", "streng, mittel, locker"),
    ({"streng": {"rating": {"missing": "egal"}}}, "scenarios.streng.rating.missing", "nicht bewertet"),
])
def test_bad_scenarios_name_file_key_and_fix(scenarios, key, fix):
    from nachverdichtung.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        config_from_dict({"alkis": {"path": "x"}, "scenarios": scenarios}, file="c.yml")
    text = str(exc.value)
    assert text.startswith("c.yml:") and f"'{key}'" in text and fix in text and "\n" not in text


def test_scenario_overlay_keeps_base_and_switches():
    cfg = config_from_dict({"alkis": {"path": "x"}, "criteria": {"klima": {"leitbahn_nicht_ab_pct": 20}, "vorbild": False},
                            "scenarios": {"a": {"criteria": {"klima": {"entstehung_bedingt_ab_pct": 5}, "vorbild": True,
                                                             "baeume": {"hausgarten_ausnahme": True}}},
                                          "b": {"criteria": {"klima": False}}}})
    a, b = cfg.scenarios
    assert a.criteria["klima"].leitbahn_nicht_ab_pct == 20 and a.criteria["klima"].entstehung_bedingt_ab_pct == 5
    assert "vorbild" in a.criteria and "vorbild" not in cfg.criteria and a.criteria["baeume"].hausgarten_ausnahme
    assert "klima" not in b.criteria and b.criteria["baeume"] == cfg.criteria["baeume"]
