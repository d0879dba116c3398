"""The tier review: thresholds at their boundaries, the trailing window, refunds, years on the
platform, the strategic flag, reasons, and running twice changing and sending nothing twice."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.errors import NotAllowed
from core.models import Notification
from crm import managers, tiers
from crm.models import ClientProfile, Tier, TierChange, TierReview, TierRule
from orders.models import Order
from tests import factories
from tests.crm.tiers_helpers import NOW, account_manager, company_aged, purchase

pytestmark = pytest.mark.django_db


def tier_after_review(company):
    tiers.review_tiers(now=NOW)
    return ClientProfile.objects.get(company=company).tier


@pytest.mark.parametrize(("amount", "expected"), [
    ("9999.99", Tier.ORDINARY), ("10000.00", Tier.VIP),
    ("199999.99", Tier.VIP), ("200000.00", Tier.GOLD),
    ("1999999.99", Tier.GOLD), ("2000000.00", Tier.PLATINUM),
    ("4999999.99", Tier.PLATINUM), ("5000000.00", Tier.DIAMOND),
])
def test_default_rules_at_the_thresholds(seller, buyer, amount, expected):
    purchase(buyer=buyer, seller=seller, total=amount)
    assert tier_after_review(buyer) == expected
    assert ClientProfile.objects.get(company=buyer).purchases_12m == Decimal(amount)


def test_refunds_reduce_purchases(seller, buyer):
    purchase(buyer=buyer, seller=seller, total="10000.00", refunded="0.01")
    assert tier_after_review(buyer) == Tier.ORDINARY
    assert ClientProfile.objects.get(company=buyer).purchases_12m == Decimal("9999.99")


def test_only_counted_orders_in_the_trailing_year_count(seller, buyer):
    purchase(buyer=buyer, seller=seller, total="9000.00", days_ago=364)
    purchase(buyer=buyer, seller=seller, total="50000.00", days_ago=366)
    purchase(buyer=buyer, seller=seller, total="50000.00", status=Order.Status.PENDING_PAYMENT, paid=False)
    purchase(buyer=buyer, seller=seller, total="50000.00", status=Order.Status.CANCELLED, paid=False)
    purchase(buyer=buyer, seller=seller, total="999.99", status=Order.Status.SHIPPED)
    assert tier_after_review(buyer) == Tier.ORDINARY
    assert ClientProfile.objects.get(company=buyer).purchases_12m == Decimal("9999.99")


def test_order_without_payment_time_counts_by_placement(seller, buyer):
    order = purchase(buyer=buyer, seller=seller, total="10000.00", status=Order.Status.PAID)
    Order.objects.filter(pk=order.pk).update(paid_at=None, placed_at=NOW - timedelta(days=10))
    assert tier_after_review(buyer) == Tier.VIP


def test_years_on_platform_at_the_boundary(seller):
    TierRule.objects.filter(tier=Tier.VIP).update(min_years_on_platform=2)
    almost = company_aged(name="差一天满两年纸业有限公司", years=2, days=-1)
    full = company_aged(name="刚满两年纸业有限公司", years=2)
    for company in (almost, full):
        purchase(buyer=company, seller=seller, total="20000.00")
    tiers.review_tiers(now=NOW)
    assert ClientProfile.objects.get(company=almost).tier == Tier.ORDINARY
    assert ClientProfile.objects.get(company=full).tier == Tier.VIP
    change = TierChange.objects.get(company=full)
    assert change.years_on_platform == 2
    assert "入驻 2 年 ≥ 2 年" in change.reason


def test_strategic_flag_qualifies_where_the_rule_says_so(seller, buyer):
    admin = factories.staff_user("administrator")
    tiers.set_strategic(by=admin, company_id=buyer.pk, strategic=True, note="行业龙头，战略合作")
    assert tier_after_review(buyer) == Tier.GOLD
    assert "战略客户" in TierChange.objects.get(company=buyer).reason

    TierRule.objects.filter(tier=Tier.GOLD).update(strategic_qualifies=False)
    assert tier_after_review(buyer) == Tier.ORDINARY


def test_set_strategic_needs_a_note_and_staff(buyer):
    admin = factories.staff_user("administrator")
    with pytest.raises(Exception, match="请说明"):
        tiers.set_strategic(by=admin, company_id=buyer.pk, strategic=True, note=" ")
    with pytest.raises(NotAllowed):
        tiers.set_strategic(by=factories.staff_user("finance"), company_id=buyer.pk, strategic=True, note="x")
    with pytest.raises(NotAllowed):
        tiers.set_strategic(by=factories.main_user_of(buyer), company_id=buyer.pk, strategic=True, note="x")


def test_change_records_its_reason_with_the_figures(seller, buyer):
    purchase(buyer=buyer, seller=seller, total="2345678.00")
    tiers.review_tiers(now=NOW)
    change = TierChange.objects.get(company=buyer)
    assert (change.from_tier, change.to_tier) == (Tier.ORDINARY, Tier.PLATINUM)
    assert change.reason == "近 12 个月采购额 ¥2,345,678.00 ≥ 铂金客户门槛 ¥2,000,000.00"
    assert change.purchases_12m == Decimal("2345678.00")


def test_downgrade_says_which_threshold_was_missed(seller, buyer):
    old = purchase(buyer=buyer, seller=seller, total="2000000.00", days_ago=200)
    tiers.review_tiers(now=NOW)
    Order.objects.filter(pk=old.pk).update(amount_refunded=Decimal("1700000.00"))
    tiers.review_tiers(now=NOW)
    profile = ClientProfile.objects.get(company=buyer)
    assert profile.tier == Tier.GOLD
    latest = TierChange.objects.filter(company=buyer).first()
    assert latest.from_tier == Tier.PLATINUM
    assert latest.reason.startswith("未达到铂金客户门槛 ¥2,000,000.00；近 12 个月采购额 ¥300,000.00")


def test_review_twice_changes_and_notifies_once(seller, buyer):
    manager = account_manager()
    purchase(buyer=buyer, seller=seller, total="10000.00")
    managers.assign_manager(by=factories.staff_user("administrator"), company_id=buyer.pk, role="primary",
                            manager_id=manager.pk)
    main = factories.main_user_of(buyer)

    first = tiers.review_tiers(now=NOW)
    second = tiers.review_tiers(now=NOW + timedelta(minutes=5))

    assert (first.changes, second.changes) == (1, 0)
    assert TierChange.objects.filter(company=buyer).count() == 1
    assert Notification.objects.filter(recipient=main, kind="crm.tier_changed").count() == 1
    notice = Notification.objects.get(recipient=manager, kind="crm.client_tier_changed")
    assert buyer.name in notice.title
    assert TierReview.objects.count() == 2
    assert second.companies_reviewed == first.companies_reviewed >= 2


def test_notification_is_not_resent_for_the_same_change_on_the_same_day(seller, buyer):
    purchase(buyer=buyer, seller=seller, total="10000.00")
    tiers.review_tiers(now=NOW)
    # Someone resets the profile by hand; the review finds the same change again the same day.
    ClientProfile.objects.filter(company=buyer).update(tier=Tier.ORDINARY)
    tiers.review_tiers(now=NOW + timedelta(hours=1))
    assert TierChange.objects.filter(company=buyer).count() == 2
    assert Notification.objects.filter(recipient=factories.main_user_of(buyer), kind="crm.tier_changed").count() == 1


def test_inactive_rule_is_skipped(seller, buyer):
    purchase(buyer=buyer, seller=seller, total="250000.00")
    TierRule.objects.filter(tier=Tier.GOLD).update(is_active=False)
    assert tier_after_review(buyer) == Tier.VIP


def test_review_is_refused_to_other_staff_and_members(buyer):
    with pytest.raises(NotAllowed):
        tiers.review_tiers(by=factories.staff_user("finance"), now=NOW)
    with pytest.raises(NotAllowed):
        tiers.review_tiers(by=factories.main_user_of(buyer), now=NOW)


def test_staff_run_the_review_from_the_rules_page(client, seller, buyer):
    purchase(buyer=buyer, seller=seller, total="10000.00", now=tiers.timezone.now())
    client.force_login(account_manager())
    response = client.post("/backoffice/crm/tiers/review/")
    assert response.status_code == 302
    assert ClientProfile.objects.get(company=buyer).tier == Tier.VIP
    assert TierReview.objects.get().started_by is not None


def test_members_cannot_run_the_review(client, buyer):
    client.force_login(factories.main_user_of(buyer))
    assert client.post("/backoffice/crm/tiers/review/").status_code == 403
    assert not TierReview.objects.exists()


def test_scheduled_task_runs_the_review(seller, buyer):
    from crm.tasks_tiers import review_tiers as task

    purchase(buyer=buyer, seller=seller, total="10000.00", now=tiers.timezone.now())
    result = task.delay().get()
    assert result["changes"] == 1
    assert task.delay().get()["changes"] == 0


def test_schedules_are_registered():
    from core.schedules import _defaults

    assert _defaults["crm.review_tiers"].task == "crm.tasks_tiers.review_tiers"
    assert _defaults["crm.accrue_rebates"].task == "crm.tasks_tiers.accrue_rebates"
    assert _defaults["crm.quarterly_review_tasks"].task == "crm.tasks_tiers.create_quarterly_review_tasks"
