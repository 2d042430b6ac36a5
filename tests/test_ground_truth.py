"""Derived candidates against the sample district's planted ground truth (issue: candidates)."""

from __future__ import annotations

import json

import numpy as np
import shapely


def iou_matches(a: np.ndarray, b: np.ndarray, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Which geometries of ``a`` and of ``b`` have a partner with intersection over union ≥ threshold."""
    ia, ib = shapely.STRtree(b).query(a, predicate="intersects")
    inter = shapely.area(shapely.intersection(a[ia], b[ib]))
    union = shapely.area(a[ia]) + shapely.area(b[ib]) - inter
    ok = inter / union >= threshold
    hit_a = np.zeros(len(a), dtype=bool)
    hit_b = np.zeros(len(b), dtype=bool)
    hit_a[ia[ok]] = True
    hit_b[ib[ok]] = True
    return hit_a, hit_b


def test_iou_matching_by_hand():
    a = np.array([shapely.box(0, 0, 10, 10), shapely.box(100, 0, 110, 10)])
    b = np.array([shapely.box(0, 0, 10, 12), shapely.box(105, 0, 115, 10), shapely.box(50, 50, 60, 60)])
    hit_a, hit_b = iou_matches(a, b)
    assert hit_a.tolist() == [True, False]          # IoU 100/120 = 0.83; 50/150 = 0.33
    assert hit_b.tolist() == [True, False, False]


def test_candidates_recall_and_precision(sample_config, sample_assessment):
    truth = json.loads((sample_config.parent / "ground_truth.json").read_text(encoding="utf-8"))
    expected = shapely.from_wkt([c["wkt"] for c in truth["expected_candidates"]])
    areas = sample_assessment.areas
    derived = np.asarray(areas.geometry[areas["quelle"] == "abgeleitet"].array, dtype=object)
    hit_expected, hit_derived = iou_matches(expected, derived)
    recall = hit_expected.mean()
    precision = hit_derived.mean()
    assert len(expected) >= 100
    assert recall >= 0.95, f"recall {recall:.3f}"
    assert precision >= 0.90, f"precision {precision:.3f}"


def test_planted_cases_are_candidates(sample_config, sample_assessment):
    truth = json.loads((sample_config.parent / "ground_truth.json").read_text(encoding="utf-8"))
    planted = shapely.from_wkt([c["wkt"] for c in truth["planted"]])
    derived = np.asarray(sample_assessment.areas.geometry.array, dtype=object)
    hit, _ = iou_matches(planted, derived)
    missing = [c["case"] for c, h in zip(truth["planted"], hit) if not h]
    assert not missing, f"planted cases without a matching area: {missing}"


def test_every_input_parcel_is_accounted_once(sample_assessment):
    acc = sample_assessment.parcels
    assert acc["flstkennz"].is_unique
    assert set(acc["status"]) <= {"Kandidat", "ausgeschlossen"}
    assert (acc.loc[acc["status"] == "ausgeschlossen", "grund"].str.len() > 0).all()
    in_areas = set(sample_assessment.areas["flurstuecke"].str.split(",").explode())
    assert in_areas == set(acc.loc[acc["status"] == "Kandidat", "flstkennz"])
    n_input = len(sample_assessment.layers.parcels) + len(sample_assessment.layers.excluded_parcels)
    assert len(acc) == n_input
