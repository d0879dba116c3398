"""Default tier rules and rebate ladder from the seed documents (SPEC §4): Diamond ≥ ¥5,000,000,
Platinum ≥ ¥2,000,000, Gold ≥ ¥200,000 (strategic clients qualify directly), VIP ≥ ¥10,000;
rebate "年采购量达10万享5%返点": ≥ ¥100,000 a year → 5 %.

Loaded by a post_migrate handler like the core reference data, so they are there after
`migrate` and again after the flush transactional tests end with. Only missing rows are added:
staff edits stay."""

from decimal import Decimal

TIER_RULES = [
    # tier, trailing-12-month purchases, strategic qualifies
    ("diamond", Decimal("5000000.00"), False),
    ("platinum", Decimal("2000000.00"), False),
    ("gold", Decimal("200000.00"), True),
    ("vip", Decimal("10000.00"), False),
]
REBATE_LADDER = [
    (Decimal("100000.00"), Decimal("5.00")),
]


def ensure_default_rules(**_signal_kwargs):
    from crm.models import RebateRule, TierRule

    for tier, threshold, strategic in TIER_RULES:
        TierRule.objects.get_or_create(tier=tier, defaults={
            "min_purchases_12m": threshold, "min_years_on_platform": 0, "strategic_qualifies": strategic,
        })
    if not RebateRule.objects.exists():
        for threshold, rate in REBATE_LADDER:
            RebateRule.objects.get_or_create(min_annual_purchases=threshold, defaults={"rate_percent": rate})
