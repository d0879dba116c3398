"""Staff edit the tier rules: thresholds must rise with the tier; every change is audited."""

from decimal import Decimal

import pytest

from core.errors import BusinessRuleError, NotAllowed
from core.models import AuditEvent
from crm import tiers
from crm.models import Tier, TierRule
from tests.crm.tiers_helpers import account_manager, administrator

pytestmark = pytest.mark.django_db


def rule(tier, amount, years=0, strategic=False, active=True):
    return tiers.RuleData(tier=tier, min_purchases_12m=Decimal(amount), min_years_on_platform=years,
                          strategic_qualifies=strategic, is_active=active)


def test_default_rules_come_from_the_seed_documents():
    thresholds = dict(TierRule.objects.values_list("tier", "min_purchases_12m"))
    assert thresholds == {Tier.DIAMOND: Decimal("5000000.00"), Tier.PLATINUM: Decimal("2000000.00"),
                          Tier.GOLD: Decimal("200000.00"), Tier.VIP: Decimal("10000.00")}
    assert TierRule.objects.get(tier=Tier.GOLD).strategic_qualifies


def test_administrator_changes_a_threshold_and_it_is_audited():
    admin = administrator()
    tiers.update_tier_rules(by=admin, rules=[rule(Tier.VIP, "20000.00", years=1)])
    vip = TierRule.objects.get(tier=Tier.VIP)
    assert (vip.min_purchases_12m, vip.min_years_on_platform, vip.updated_by) == (Decimal("20000.00"), 1, admin)
    event = AuditEvent.objects.get(action="crm.tier_rule")
    assert event.before == "≥ ¥10,000.00"
    assert event.after == "≥ ¥20,000.00，入驻 ≥ 1 年"


def test_unchanged_rules_write_no_audit_rows():
    tiers.update_tier_rules(by=administrator(), rules=[rule(Tier.VIP, "10000.00")])
    assert not AuditEvent.objects.filter(action="crm.tier_rule").exists()


def test_thresholds_must_rise_with_the_tier():
    with pytest.raises(BusinessRuleError) as refusal:
        tiers.update_tier_rules(by=administrator(), rules=[rule(Tier.GOLD, "10000.00")])
    assert refusal.value.code == "rule_order"
    assert "金牌客户门槛 ¥10,000.00 必须高于VIP 客户门槛 ¥10,000.00" in str(refusal.value.message)
    assert TierRule.objects.get(tier=Tier.GOLD).min_purchases_12m == Decimal("200000.00")


def test_thresholds_can_move_past_each_other_when_changed_together():
    tiers.update_tier_rules(by=administrator(), rules=[
        rule(Tier.VIP, "300000.00"), rule(Tier.GOLD, "400000.00", strategic=True)])
    assert TierRule.objects.get(tier=Tier.VIP).min_purchases_12m == Decimal("300000.00")


def test_an_inactive_rule_is_left_out_of_the_order_check():
    tiers.update_tier_rules(by=administrator(), rules=[rule(Tier.GOLD, "5000.00", active=False)])
    assert not TierRule.objects.get(tier=Tier.GOLD).is_active


def test_account_managers_cannot_edit_rules():
    with pytest.raises(NotAllowed):
        tiers.update_tier_rules(by=account_manager(), rules=[rule(Tier.VIP, "20000.00")])


def test_rules_page_shows_the_ordering_message(client):
    client.force_login(administrator())
    data = {}
    for tier_rule in TierRule.objects.all():
        data[f"{tier_rule.tier}-min_purchases_12m"] = str(tier_rule.min_purchases_12m)
        data[f"{tier_rule.tier}-min_years_on_platform"] = "0"
        data[f"{tier_rule.tier}-is_active"] = "on"
    data["platinum-min_purchases_12m"] = "6000000.00"
    response = client.post("/backoffice/crm/tiers/", data)
    assert response.status_code == 200
    assert "钻石客户门槛 ¥5,000,000.00 必须高于铂金客户门槛 ¥6,000,000.00" in response.content.decode()

    data["platinum-min_purchases_12m"] = "3000000.00"
    assert client.post("/backoffice/crm/tiers/", data).status_code == 302
    assert TierRule.objects.get(tier=Tier.PLATINUM).min_purchases_12m == Decimal("3000000.00")


def test_rules_page_is_for_administrators_and_account_managers(client, buyer):
    from tests import factories

    client.force_login(account_manager())
    assert client.get("/backoffice/crm/tiers/").status_code == 200
    client.force_login(factories.staff_user("finance"))
    assert client.get("/backoffice/crm/tiers/").status_code == 403
    client.force_login(factories.main_user_of(buyer))
    assert client.get("/backoffice/crm/tiers/").status_code == 403
