"""The credit scorecard engine: binning, weight of evidence, logistic regression and points.

Plain Python and numpy, no Django: `crm.credit` feeds it feature rows built from the database and
stores the specification it returns (`Scorecard.specification`). Floats are fine here; money that
is stored stays Decimal in the services.

Features (one row per company, as of a date; `None` = missing, which always has its own bin):
  months_active       whole months since the company's first counted purchase on the platform
  volume_12m          counted purchases of the last 12 months, net of refunds (CNY)
  volume_trend        last 6 months' purchases / previous 6 months' − 1 (missing: nothing before)
  on_time_rate        share of payment obligations met by their due date in the last 12 months
                      (orders: paid_at ≤ payment_due_at; receivables: settled by due_on)
  worst_overdue_days  most days any receivable due in the last 12 months was (or is) overdue
                      (missing: no on-account history)
  dispute_rate        disputes on its purchases / its orders, last 12 months
  refund_rate         its orders with a refund / its orders, last 12 months
  registered_capital  registered capital (CNY), from the verification data
  years_in_business   years since Company.established_on

Target ("bad"), decided by `crm.credit` over an outcome window after the cut-off date: the company
had (a) a receivable more than 60 days overdue (not settled by due_on + 60 days, that day falling
in the window), or (b) an on-account order cancelled or refunded while its receivable was overdue
(non-payment), or (c) a dispute opened by a seller on one of its purchases (the seller's claim
against the buyer) in the window. Everything else is "good".

Model:
  1. Bins per numeric feature: quantile cut points when the training set is large (≥ 500 rows and
     ≥ 50 bads), otherwise the expert cut points; missing values get their own bin.
  2. Weight of evidence per bin, WoE = ln(share of goods / share of bads), with Laplace smoothing
     (+0.5 to every count), blended with the expert prior WoE of the bin:
        woe = w · woe_data + (1 − w) · woe_prior,  w = n / (n + 50) · min(1, bads / 30)
     so a bin with few observations, or a training set with few bads, leans on the priors (the
     demo world has almost no bads: the card it trains is essentially the expert card, with its
     intercept calibrated to the observed bad rate). Adjacent bins whose WoE breaks the feature's
     expected direction are merged until it is monotone (pool adjacent violators).
  3. Logistic regression of "good" on the WoE values (Newton/IRLS, intercept free, coefficients
     shrunk towards the expert 0.8 with an L2 penalty). With fewer than 10 bads (or no goods) the
     coefficients stay at the expert value and only the intercept is calibrated so the mean
     predicted bad rate equals the smoothed bad rate (bads + 50 · 3 %) / (n + 50).
  4. Points: score = offset + factor · ln(odds of good), factor = PDO / ln 2, offset =
     base − factor · ln(base odds); by default 600 points at odds 50:1 and 20 points to double the
     odds. Each bin carries integer points factor · β · woe + (offset + factor · α) / features; the
     score is the sum of the bins' points and the probability of default follows from the score.
  5. Reason codes: the features whose bin lost the most points against that feature's best bin
     (up to four, largest loss first), each with a Chinese sentence using the company's value.

`expert_specification()` is the built-in card used until a trained one is activated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

DEFAULT_SCALING = {"base_score": 600, "base_odds": 50.0, "pdo": 20.0}
EXPERT_COEFFICIENT = 0.8
EXPERT_BAD_RATE = 0.03
PRIOR_WEIGHT_ROWS = 50        # credibility constant: rows a bin needs to count as much as its prior
FULL_CREDIBILITY_BADS = 30    # bads needed before the data's WoE is trusted fully
MIN_BADS_TO_FIT = 10          # fewer bads: keep expert coefficients, calibrate the intercept only
QUANTILE_MIN_ROWS, QUANTILE_MIN_BADS = 500, 50
MAX_REASONS = 4


# --- feature definitions --------------------------------------------------------------------------

def _pct(value):
    return f"{value * 100:.0f}%"


def _yuan(value):
    return f"¥{value:,.0f}"


def _wan(value):
    return f"{value / 10000:,.0f} 万元"


def _num(value):
    return f"{value:g}"


@dataclass(frozen=True)
class Feature:
    name: str
    label: str
    direction: int              # +1: higher is better; −1: higher is worse
    edges: tuple                # expert cut points (bin i: edges[i-1] ≤ v < edges[i])
    woe: tuple                  # expert WoE per bin (len(edges) + 1)
    missing_woe: float          # expert WoE of the missing bin
    fmt: callable = _num
    reason: callable = None     # value -> Chinese sentence when this feature cost points
    missing_reason: str = ""


def _trend_reason(value):
    if value < 0:
        return f"近 6 个月采购额较前 6 个月下降 {abs(value) * 100:.0f}%"
    return f"近 6 个月采购额较前 6 个月仅增长 {value * 100:.0f}%"


FEATURES = (
    Feature("months_active", "平台采购月数", +1, (3, 6, 12, 24), (-0.8, -0.4, 0.0, 0.3, 0.6), -0.6,
            fmt=lambda v: f"{v:.0f} 个月", reason=lambda v: f"在平台采购仅 {v:.0f} 个月",
            missing_reason="尚无平台采购记录"),
    Feature("volume_12m", "近 12 个月采购额", +1, (10_000, 100_000, 500_000, 2_000_000),
            (-0.6, -0.2, 0.1, 0.35, 0.6), -0.6, fmt=_yuan,
            reason=lambda v: f"近 12 个月采购额仅 {_yuan(v)}", missing_reason="近 12 个月无采购"),
    Feature("volume_trend", "采购额趋势", +1, (-0.5, -0.2, 0.2), (-0.7, -0.25, 0.1, 0.2), -0.1, fmt=_pct,
            reason=_trend_reason, missing_reason="前 6 个月无采购，无法判断采购趋势"),
    Feature("on_time_rate", "按时付款率", +1, (0.7, 0.9, 0.98), (-1.2, -0.5, 0.0, 0.5), 0.0, fmt=_pct,
            reason=lambda v: f"近 12 个月按时付款率 {_pct(v)}", missing_reason="近 12 个月无到期付款记录"),
    Feature("worst_overdue_days", "最长逾期天数", -1, (1, 16, 31, 61, 91), (0.5, 0.0, -0.5, -1.0, -1.6, -2.2), 0.0,
            fmt=lambda v: f"{v:.0f} 天", reason=lambda v: f"近 12 个月有逾期 {v:.0f} 天",
            missing_reason="无账期付款记录"),
    Feature("dispute_rate", "纠纷率", -1, (0.02, 0.05, 0.10), (0.3, -0.2, -0.6, -1.1), -0.1, fmt=_pct,
            reason=lambda v: f"近 12 个月纠纷率 {_pct(v)}", missing_reason="近 12 个月无订单，无法评估纠纷率"),
    Feature("refund_rate", "退款率", -1, (0.03, 0.08, 0.15), (0.25, -0.1, -0.5, -0.9), -0.1, fmt=_pct,
            reason=lambda v: f"近 12 个月退款率 {_pct(v)}", missing_reason="近 12 个月无订单，无法评估退款率"),
    Feature("registered_capital", "注册资本", +1, (1e6, 5e6, 2e7, 1e8), (-0.5, -0.2, 0.1, 0.3, 0.5), -0.3, fmt=_wan,
            reason=lambda v: f"注册资本仅 {_wan(v)}", missing_reason="未提供注册资本"),
    Feature("years_in_business", "成立年限", +1, (2, 5, 10), (-0.6, -0.1, 0.2, 0.45), -0.3,
            fmt=lambda v: f"{v:.1f} 年", reason=lambda v: f"企业成立仅 {v:.1f} 年", missing_reason="未提供成立日期"),
)
FEATURES_BY_NAME = {feature.name: feature for feature in FEATURES}


# --- binning and weight of evidence ---------------------------------------------------------------

def as_array(values) -> np.ndarray:
    """Feature values as floats, None → NaN (the missing bin)."""
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def assign_bins(values: np.ndarray, edges) -> np.ndarray:
    """Bin index per value: i for edges[i-1] ≤ v < edges[i]; −1 for missing."""
    values = np.asarray(values, dtype=float)
    index = np.searchsorted(np.asarray(edges, dtype=float), values, side="right")
    return np.where(np.isnan(values), -1, index)


def quantile_edges(values: np.ndarray, *, max_bins=5) -> list[float]:
    """Cut points at the quantiles of the observed values (distinct, so no empty bins by construction)."""
    observed = values[~np.isnan(values)]
    if observed.size == 0:
        return []
    cuts = np.quantile(observed, np.linspace(0, 1, max_bins + 1)[1:-1])
    edges = sorted({float(cut) for cut in cuts if cut > observed.min()})
    return edges


def prior_woe(feature: Feature, value) -> float:
    """The expert WoE at one value (missing → the missing bin's)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return feature.missing_woe
    return feature.woe[int(np.searchsorted(np.asarray(feature.edges, dtype=float), value, side="right"))]


def smoothed_woe(goods, bads, total_goods, total_bads, n_bins, smoothing=0.5):
    """ln(share of goods / share of bads) with `smoothing` added to every count (Laplace)."""
    good_share = (np.asarray(goods, dtype=float) + smoothing) / (total_goods + smoothing * n_bins)
    bad_share = (np.asarray(bads, dtype=float) + smoothing) / (total_bads + smoothing * n_bins)
    return np.log(good_share / bad_share)


def blend(data_woe, prior, counts, total_bads):
    """Credibility-weighted WoE: the data's where bins are full and bads many, the prior otherwise."""
    counts = np.asarray(counts, dtype=float)
    weight = counts / (counts + PRIOR_WEIGHT_ROWS) * min(1.0, total_bads / FULL_CREDIBILITY_BADS)
    return weight * np.asarray(data_woe) + (1 - weight) * np.asarray(prior)


@dataclass
class BinStats:
    edges: list
    counts: np.ndarray
    bads: np.ndarray
    priors: np.ndarray
    woe: np.ndarray = field(default=None)


def _bin_stats(values, y, edges, feature, total_goods, total_bads):
    index = assign_bins(values, edges)
    n_bins = len(edges) + 1
    counts = np.bincount(index[index >= 0], minlength=n_bins).astype(float)
    bads = np.bincount(index[index >= 0], weights=y[index >= 0], minlength=n_bins).astype(float)
    priors = np.empty(n_bins)
    for b in range(n_bins):
        inside = values[index == b]
        if inside.size:
            priors[b] = float(np.mean([prior_woe(feature, v) for v in inside]))
        else:
            representative = edges[b - 1] if b > 0 else (edges[0] - 1 if edges else 0.0)
            priors[b] = prior_woe(feature, representative)
    stats = BinStats(list(edges), counts, bads, priors)
    _refresh_woe(stats, total_goods, total_bads)
    return stats


def _refresh_woe(stats, total_goods, total_bads):
    goods = stats.counts - stats.bads
    data = smoothed_woe(goods, stats.bads, total_goods, total_bads, len(stats.counts))
    stats.woe = blend(data, stats.priors, stats.counts, total_bads)


def monotone_merge(stats: BinStats, direction: int, total_goods, total_bads) -> BinStats:
    """Merge adjacent bins until WoE moves in `direction` (+1 rising with the value, −1 falling)."""
    while len(stats.counts) > 1:
        steps = direction * np.diff(stats.woe)
        violations = np.flatnonzero(steps < -1e-12)
        if violations.size == 0:
            break
        i = int(violations[0])
        counts = stats.counts[i] + stats.counts[i + 1]
        if counts > 0:
            prior = (stats.priors[i] * stats.counts[i] + stats.priors[i + 1] * stats.counts[i + 1]) / counts
        else:
            prior = (stats.priors[i] + stats.priors[i + 1]) / 2
        stats = BinStats(
            edges=stats.edges[:i] + stats.edges[i + 1:],
            counts=np.concatenate([stats.counts[:i], [counts], stats.counts[i + 2:]]),
            bads=np.concatenate([stats.bads[:i], [stats.bads[i] + stats.bads[i + 1]], stats.bads[i + 2:]]),
            priors=np.concatenate([stats.priors[:i], [prior], stats.priors[i + 2:]]),
        )
        _refresh_woe(stats, total_goods, total_bads)
    return stats


def information_value(goods, bads, woe, total_goods, total_bads) -> float:
    goods, bads = np.asarray(goods, dtype=float), np.asarray(bads, dtype=float)
    if total_goods == 0 or total_bads == 0:
        return 0.0
    return float(np.sum((goods / total_goods - bads / total_bads) * np.asarray(woe)))


# --- logistic regression ------------------------------------------------------------------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def fit_logistic(X, good, *, l2=2.0, prior=None, max_iter=100, tol=1e-9):
    """P(good) = σ(α + Xβ) by Newton/IRLS; penalty l2/2 · ‖β − prior‖², intercept free."""
    X = np.asarray(X, dtype=float)
    good = np.asarray(good, dtype=float)
    n, p = X.shape
    prior = np.zeros(p) if prior is None else np.asarray(prior, dtype=float)
    design = np.hstack([np.ones((n, 1)), X])
    theta = np.concatenate([[0.0], prior])
    penalty = np.diag([0.0] + [l2] * p)
    anchor = np.concatenate([[0.0], prior])
    for _ in range(max_iter):
        mu = _sigmoid(design @ theta)
        gradient = design.T @ (good - mu) - penalty @ (theta - anchor)
        hessian = design.T @ (design * (mu * (1 - mu))[:, None]) + penalty + 1e-9 * np.eye(p + 1)
        step = np.linalg.solve(hessian, gradient)
        theta = theta + step
        if np.max(np.abs(step)) < tol:
            break
    return float(theta[0]), theta[1:]


def calibrate_intercept(X, coefficients, target_bad_rate, *, iterations=60):
    """The α for which the mean predicted bad rate equals `target_bad_rate` (coefficients fixed)."""
    linear = np.asarray(X, dtype=float) @ np.asarray(coefficients, dtype=float)
    if linear.size == 0:
        return math.log((1 - target_bad_rate) / target_bad_rate)
    low, high = -30.0, 30.0
    for _ in range(iterations):  # mean P(bad) falls as α rises: bisect
        middle = (low + high) / 2
        if np.mean(_sigmoid(-(middle + linear))) > target_bad_rate:
            low = middle
        else:
            high = middle
    return (low + high) / 2


# --- metrics -----------------------------------------------------------------------------------------

def auc(risk, bad) -> float | None:
    """Probability a random bad ranks riskier than a random good (ties count half)."""
    risk, bad = np.asarray(risk, dtype=float), np.asarray(bad, dtype=int)
    n_bad, n_good = int(bad.sum()), int((1 - bad).sum())
    if n_bad == 0 or n_good == 0:
        return None
    order = np.argsort(risk, kind="mergesort")
    ranks = np.empty(len(risk))
    sorted_risk = risk[order]
    i = 0
    while i < len(risk):  # average ranks over ties
        j = i
        while j + 1 < len(risk) and sorted_risk[j + 1] == sorted_risk[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[bad == 1].sum() - n_bad * (n_bad + 1) / 2) / (n_bad * n_good))


def ks(risk, bad) -> float | None:
    """Largest gap between the cumulative shares of bads and goods ordered by risk."""
    risk, bad = np.asarray(risk, dtype=float), np.asarray(bad, dtype=int)
    n_bad, n_good = int(bad.sum()), int((1 - bad).sum())
    if n_bad == 0 or n_good == 0:
        return None
    thresholds = np.unique(risk)[::-1]
    best = 0.0
    for threshold in thresholds:
        flagged = risk >= threshold
        best = max(best, abs(bad[flagged].sum() / n_bad - (1 - bad[flagged]).sum() / n_good))
    return float(best)


# --- points --------------------------------------------------------------------------------------

def scaling_constants(scaling=None):
    scaling = {**DEFAULT_SCALING, **(scaling or {})}
    factor = scaling["pdo"] / math.log(2)
    offset = scaling["base_score"] - factor * math.log(scaling["base_odds"])
    return {**scaling, "factor": factor, "offset": offset}


def bin_label(feature: Feature, edges, index) -> str:
    if not edges:
        return "全部"
    if index == 0:
        return f"< {feature.fmt(edges[0])}"
    if index == len(edges):
        return f"≥ {feature.fmt(edges[-1])}"
    return f"{feature.fmt(edges[index - 1])} – {feature.fmt(edges[index])}"


def build_specification(*, features, bins, coefficients, intercept, scaling=None, version="", notes=None):
    """The stored card: per feature its edges, each bin's WoE and integer points.

    `bins[name]` is {"edges": [...], "woe": [...], "missing_woe": w, "counts"/"bads" optional}.
    """
    constants = scaling_constants(scaling)
    share = (constants["offset"] + constants["factor"] * intercept) / len(features)
    card = []
    for feature, beta in zip(features, coefficients, strict=True):
        table = bins[feature.name]
        counts = table.get("counts") or [None] * len(table["woe"])
        bads = table.get("bads") or [None] * len(table["woe"])

        def points(woe, beta=beta):
            return int(round(constants["factor"] * beta * woe + share))

        card.append({
            "name": feature.name, "label": feature.label, "coefficient": float(beta),
            "edges": [float(edge) for edge in table["edges"]],
            "bins": [{"label": bin_label(feature, table["edges"], i), "woe": round(float(w), 6), "points": points(w),
                      "count": counts[i], "bads": bads[i]} for i, w in enumerate(table["woe"])],
            "missing": {"label": "缺失", "woe": round(float(table["missing_woe"]), 6),
                        "points": points(table["missing_woe"]), "count": table.get("missing_count"),
                        "bads": table.get("missing_bads")},
        })
    return {"format": 1, "version": version, "scaling": constants, "intercept": float(intercept),
            "features": card, "notes": notes or {}}


@dataclass
class ScoreResult:
    score: int
    probability_of_default: float
    reasons: list
    points: dict


def score(specification, values: dict) -> ScoreResult:
    """Score one company's feature values with a stored card."""
    constants = specification["scaling"]
    total, per_feature, losses = 0, {}, []
    for entry in specification["features"]:
        feature = FEATURES_BY_NAME.get(entry["name"])
        value = values.get(entry["name"])
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        if missing:
            chosen = entry["missing"]
        else:
            chosen = entry["bins"][int(np.searchsorted(np.asarray(entry["edges"], dtype=float), float(value),
                                                       side="right"))]
        best = max([b["points"] for b in entry["bins"]] + [entry["missing"]["points"]])
        total += chosen["points"]
        per_feature[entry["name"]] = chosen["points"]
        lost = best - chosen["points"]
        if lost > 0:
            if feature is None:
                text = f"{entry['label']}：{chosen['label']}"
            elif missing:
                text = feature.missing_reason
            else:
                text = feature.reason(float(value))
            losses.append({"code": entry["name"], "text": text, "points": lost})
    losses.sort(key=lambda reason: (-reason["points"], reason["code"]))
    odds_good = math.exp((total - constants["offset"]) / constants["factor"])
    return ScoreResult(score=total, probability_of_default=1.0 / (1.0 + odds_good), reasons=losses[:MAX_REASONS],
                       points=per_feature)


# --- the expert card and training ---------------------------------------------------------------

def expert_specification(scaling=None, version="expert-1"):
    """The built-in card: expert bins and WoE, coefficients 0.8, portfolio bad rate 3 %."""
    bins = {f.name: {"edges": list(f.edges), "woe": list(f.woe), "missing_woe": f.missing_woe} for f in FEATURES}
    return build_specification(
        features=FEATURES, bins=bins, coefficients=[EXPERT_COEFFICIENT] * len(FEATURES),
        intercept=math.log((1 - EXPERT_BAD_RATE) / EXPERT_BAD_RATE), scaling=scaling, version=version,
        notes={"method": "expert"},
    )


def train(rows: list[dict], bad: list[int], *, features=FEATURES, scaling=None, version="", l2=2.0):
    """Train a card on feature rows and 0/1 bad flags; returns (specification, metrics)."""
    y = np.asarray(bad, dtype=float)
    n = len(y)
    total_bads = float(y.sum())
    total_goods = float(n - total_bads)
    use_quantiles = n >= QUANTILE_MIN_ROWS and total_bads >= QUANTILE_MIN_BADS
    bins, columns, ivs = {}, [], {}
    for feature in features:
        values = as_array([row.get(feature.name) for row in rows])
        edges = quantile_edges(values) if use_quantiles else list(feature.edges)
        stats = monotone_merge(_bin_stats(values, y, edges, feature, total_goods, total_bads), feature.direction,
                               total_goods, total_bads)
        missing = np.isnan(values)
        missing_count, missing_bads = int(missing.sum()), float(y[missing].sum())
        missing_data = smoothed_woe([missing_count - missing_bads], [missing_bads], total_goods, total_bads,
                                    len(stats.counts) + 1)
        missing_woe = float(blend(missing_data, [feature.missing_woe], [missing_count], total_bads)[0])
        bins[feature.name] = {
            "edges": stats.edges, "woe": [float(w) for w in stats.woe], "missing_woe": missing_woe,
            "counts": [int(c) for c in stats.counts], "bads": [int(b) for b in stats.bads],
            "missing_count": missing_count, "missing_bads": int(missing_bads),
        }
        index = assign_bins(values, stats.edges)
        column = np.where(index < 0, missing_woe, np.asarray(stats.woe)[np.clip(index, 0, None)])
        columns.append(column)
        ivs[feature.name] = information_value(
            np.append(stats.counts - stats.bads, missing_count - missing_bads), np.append(stats.bads, missing_bads),
            np.append(stats.woe, missing_woe), total_goods, total_bads)
    X = np.column_stack(columns) if columns else np.zeros((n, 0))
    prior = np.full(len(features), EXPERT_COEFFICIENT)
    if total_bads >= MIN_BADS_TO_FIT and total_goods > 0:
        intercept, coefficients = fit_logistic(X, 1 - y, l2=l2, prior=prior)
        method = "irls"
    else:
        target = (total_bads + PRIOR_WEIGHT_ROWS * EXPERT_BAD_RATE) / (n + PRIOR_WEIGHT_ROWS)
        coefficients = prior
        intercept = calibrate_intercept(X, coefficients, target)
        method = "expert_prior_calibrated"
    specification = build_specification(
        features=features, bins=bins, coefficients=list(coefficients), intercept=intercept, scaling=scaling,
        version=version, notes={"method": method, "binning": "quantile" if use_quantiles else "expert"},
    )
    risk = [score(specification, row).probability_of_default for row in rows]
    metrics = {
        "sample_size": n, "bads": int(total_bads), "bad_rate": round(total_bads / n, 6) if n else 0.0,
        "auc": _rounded(auc(risk, y)), "ks": _rounded(ks(risk, y)), "method": method,
        "information_value": {name: round(value, 6) for name, value in ivs.items()},
    }
    return specification, metrics


def _rounded(value):
    return None if value is None else round(value, 6)
