"""The scorecard maths alone (no database): WoE, monotone bins, points scaling, reason codes, training."""

import math

import numpy as np
import pytest

from crm import scorecard as engine

ONE_FEATURE = (engine.Feature("worst_overdue_days", "最长逾期天数", -1, (1,), (0.0, 0.0), 0.0,
                              reason=lambda v: f"近 12 个月有逾期 {v:.0f} 天", missing_reason="无账期付款记录"),)


def test_points_scaling_on_a_hand_example():
    # One feature, β = 1, intercept ln 50: WoE 0 sits at the base (600 at 50:1), WoE ln 2 doubles the odds (+PDO).
    spec = engine.build_specification(
        features=ONE_FEATURE, bins={"worst_overdue_days": {"edges": [1], "woe": [math.log(2), 0.0],
                                                           "missing_woe": 0.0}},
        coefficients=[1.0], intercept=math.log(50),
    )
    assert spec["scaling"]["factor"] == pytest.approx(20 / math.log(2))
    assert spec["scaling"]["offset"] == pytest.approx(600 - 20 / math.log(2) * math.log(50))
    good, late = engine.score(spec, {"worst_overdue_days": 0}), engine.score(spec, {"worst_overdue_days": 45})
    assert (good.score, late.score) == (620, 600)
    assert late.probability_of_default == pytest.approx(1 / 51)
    assert good.probability_of_default == pytest.approx(1 / 101)


def test_custom_scaling_base_and_pdo():
    spec = engine.build_specification(
        features=ONE_FEATURE, bins={"worst_overdue_days": {"edges": [1], "woe": [math.log(4), 0.0],
                                                           "missing_woe": 0.0}},
        coefficients=[1.0], intercept=math.log(20), scaling={"base_score": 500, "base_odds": 20, "pdo": 50},
    )
    assert engine.score(spec, {"worst_overdue_days": 0}).score == 600  # odds ×4 = two doublings of 50 points
    assert engine.score(spec, {"worst_overdue_days": 9}).score == 500


def test_reason_codes_name_the_features_that_lost_most_points_in_chinese():
    spec = engine.expert_specification()
    result = engine.score(spec, {
        "months_active": 30, "volume_12m": 3_000_000, "volume_trend": 0.3, "on_time_rate": 0.99,
        "worst_overdue_days": 45, "dispute_rate": 0.0, "refund_rate": 0.0, "registered_capital": 2e8,
        "years_in_business": 15,
    })
    assert [reason["code"] for reason in result.reasons] == ["worst_overdue_days"]
    reason = result.reasons[0]
    assert reason["text"] == "近 12 个月有逾期 45 天"
    overdue = next(f for f in spec["features"] if f["name"] == "worst_overdue_days")
    best = max(b["points"] for b in overdue["bins"])
    assert reason["points"] == best - overdue["bins"][3]["points"] > 0  # 31–60 days bin


def test_reasons_are_ordered_by_points_lost_and_at_most_four():
    result = engine.score(engine.expert_specification(), {"worst_overdue_days": 120, "on_time_rate": 0.5})
    lost = [reason["points"] for reason in result.reasons]
    assert len(lost) == engine.MAX_REASONS and lost == sorted(lost, reverse=True)
    assert result.reasons[0]["text"] == "近 12 个月有逾期 120 天"
    assert "尚无平台采购记录" in [reason["text"] for reason in result.reasons]


def test_missing_values_have_their_own_bin():
    spec = engine.expert_specification()
    missing = engine.score(spec, {"registered_capital": None})
    small = engine.score(spec, {"registered_capital": 500_000})
    assert missing.points["registered_capital"] != small.points["registered_capital"]
    assert engine.assign_bins(np.array([np.nan, 0, 1, 5]), [1, 5]).tolist() == [-1, 0, 1, 2]


def test_monotone_merge_pools_bins_that_break_the_expected_direction():
    # Higher is better (+1), but the middle bin looks better than the top one: they merge.
    stats = engine.BinStats(edges=[10, 20], counts=np.array([100.0, 100.0, 100.0]), bads=np.array([30.0, 5.0, 10.0]),
                            priors=np.zeros(3))
    engine._refresh_woe(stats, total_goods=255, total_bads=45)
    stats.woe = engine.smoothed_woe(stats.counts - stats.bads, stats.bads, 255, 45, 3)  # the data alone
    merged = engine.monotone_merge(stats, +1, 255, 45)
    assert merged.edges == [10]
    assert merged.counts.tolist() == [100.0, 200.0] and merged.bads.tolist() == [30.0, 15.0]
    assert np.all(np.diff(merged.woe) >= 0)


def synthetic(n=3000, seed=7):
    rng = np.random.default_rng(seed)
    rows, bad = [], []
    for _ in range(n):
        overdue = float(rng.choice([0, 0, 0, 5, 20, 45, 75, 120]))
        on_time = float(rng.uniform(0.5, 1.0))
        rows.append({"worst_overdue_days": overdue, "on_time_rate": on_time,
                     "months_active": float(rng.integers(0, 48)), "volume_12m": float(rng.lognormal(12, 1.5))})
        risk = 0.02 + 0.35 * (overdue > 60) + 0.12 * (overdue > 30) + 0.15 * (on_time < 0.7)
        bad.append(int(rng.random() < risk))
    return rows, bad


def test_training_with_enough_bads_fits_a_monotone_card_that_ranks_risk():
    rows, bad = synthetic()
    spec, metrics = engine.train(rows, bad, version="test")
    assert metrics["method"] == "irls" and metrics["sample_size"] == 3000
    assert metrics["auc"] > 0.7 and 0 < metrics["ks"] <= 1
    assert metrics["information_value"]["worst_overdue_days"] > 0.3
    for feature in spec["features"]:
        direction = engine.FEATURES_BY_NAME[feature["name"]].direction
        woe = [b["woe"] for b in feature["bins"]]
        assert all(direction * (b - a) >= -1e-9 for a, b in zip(woe, woe[1:], strict=False)), feature["name"]
    overdue = next(f for f in spec["features"] if f["name"] == "worst_overdue_days")
    assert overdue["bins"][0]["points"] > overdue["bins"][-1]["points"]


def test_training_without_bads_falls_back_to_expert_priors_with_a_calibrated_intercept():
    rows = [{"worst_overdue_days": None, "months_active": 20.0, "volume_12m": 500_000.0}] * 40
    spec, metrics = engine.train(rows, [0] * 40)
    assert metrics["method"] == "expert_prior_calibrated" and metrics["bads"] == 0
    assert metrics["auc"] is None and metrics["ks"] is None
    expert = engine.FEATURES_BY_NAME["worst_overdue_days"]
    trained = next(f for f in spec["features"] if f["name"] == "worst_overdue_days")
    assert [b["woe"] for b in trained["bins"]] == pytest.approx(list(expert.woe))
    # Mean predicted bad rate = smoothed rate (0 + 50 × 3 %) / (40 + 50).
    linear = sum(engine.EXPERT_COEFFICIENT * engine.prior_woe(engine.FEATURES_BY_NAME[name], rows[0].get(name))
                 for name in engine.FEATURES_BY_NAME)
    assert 1 / (1 + math.exp(spec["intercept"] + linear)) == pytest.approx(1.5 / 90, rel=1e-6)


def test_laplace_smoothing_keeps_empty_bins_finite():
    woe = engine.smoothed_woe([10, 0], [0, 10], 10, 10, 2)
    assert np.all(np.isfinite(woe)) and woe[0] > 0 > woe[1]


def test_auc_and_ks_on_a_hand_example():
    risk, bad = [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]
    assert engine.auc(risk, bad) == pytest.approx(0.75)
    assert engine.ks(risk, bad) == pytest.approx(0.5)
    assert engine.auc([0.5, 0.5], [1, 0]) == pytest.approx(0.5)
