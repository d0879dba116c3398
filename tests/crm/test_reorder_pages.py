"""The buyer's reminders page (补货提醒) and API: reorder, snooze, opt out, undo; company scoping."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core import apikeys
from core.models import AuditEvent
from core.permissions import CompanyPermission
from crm import reminders
from crm.models import ClientProfile, ReminderOptOut, ReorderReminder
from orders.models import CartItem
from tests import factories
from tests.crm.reminder_helpers import days_ago, history, purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(seller):
    return factories.product(seller=seller, title="250g 白卡纸", min_order_quantity=Decimal("1"))


@pytest.fixture
def reminder(buyer, seller, paper):
    history(buyer, seller, paper, [30, 30], last=days_ago(5), quantity="12.5")
    reminders.compute_reminders()
    return ReorderReminder.objects.get()


@pytest.fixture
def category_reminder(buyer, seller):
    a = factories.product(seller=seller, title="250g 白卡纸")
    b = factories.product(seller=seller, title="300g 白卡纸")
    for day, product in [(95, a), (65, b), (35, a), (5, b)]:
        purchase(buyer, seller, days_ago(day), product=product)
    reminders.compute_reminders()
    return ReorderReminder.objects.get(product__isnull=True)


def test_page_lists_the_companys_reminders(member_client, reminder):
    page = member_client.get("/member/crm/reminders/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "250g 白卡纸" in html and f"reminder-{reminder.pk}" in html
    assert f"{reminder.predicted_need_on:%Y-%m-%d}" in html and "25 天" in html
    assert "立即补货" in html and "稍后提醒" in html and "不再提醒" in html


def test_page_needs_the_purchasing_permission(client, buyer, reminder):
    client.force_login(factories.sub_account(buyer, [CompanyPermission.FINANCE]))
    page = client.get("/member/crm/reminders/")
    assert page.status_code == 403 and "采购与订单" in page.content.decode()
    assert client.post(f"/member/crm/reminders/{reminder.pk}/snooze/", {"days": "7"}).status_code == 403
    client.force_login(factories.sub_account(buyer, [CompanyPermission.PURCHASING]))
    assert client.get("/member/crm/reminders/").status_code == 200


def test_reorder_puts_the_last_quantity_in_the_cart(member_client, buyer, reminder):
    response = member_client.post(f"/member/crm/reminders/{reminder.pk}/reorder/")
    assert response.status_code == 302 and response.url == "/cart/"
    item = CartItem.objects.get(user=factories.main_user_of(buyer))
    assert (item.product_id, item.quantity) == (reminder.product_id, Decimal("12.5"))
    assert AuditEvent.objects.filter(action="crm.reminder.reorder_started", company=buyer).exists()
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.SENT  # closes when the order is actually placed and paid


def test_reorder_of_an_unlisted_product_says_why(member_client, buyer, reminder, paper):
    type(paper).objects.filter(pk=paper.pk).update(status="unlisted")
    response = member_client.post(f"/member/crm/reminders/{reminder.pk}/reorder/", follow=True)
    assert "已下架" in response.content.decode()
    assert not CartItem.objects.exists()


def test_category_reminder_links_to_the_category(member_client, category_reminder):
    html = member_client.get("/member/crm/reminders/").content.decode()
    assert f"/c/{category_reminder.category.slug}/" in html and "选购商品" in html
    response = member_client.post(f"/member/crm/reminders/{category_reminder.pk}/reorder/", follow=True)
    assert "类目提醒没有具体商品" in response.content.decode()


def test_snooze_from_the_page(member_client, buyer, reminder):
    member_client.post(f"/member/crm/reminders/{reminder.pk}/snooze/", {"days": "14"})
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.SNOOZED
    assert reminder.snoozed_until == timezone.localdate() + timedelta(days=14)
    assert AuditEvent.objects.filter(action="crm.reminder.snoozed", company=buyer).exists()


@pytest.mark.parametrize("days", ["3", "", "abc", "60"])
def test_snooze_refuses_other_durations(member_client, reminder, days):
    response = member_client.post(f"/member/crm/reminders/{reminder.pk}/snooze/", {"days": days}, follow=True)
    assert "请选择 7、14 或 30 天后再提醒" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.SENT


def test_closed_reminder_cannot_be_snoozed(buyer, reminder):
    ReorderReminder.objects.filter(pk=reminder.pk).update(status=ReorderReminder.Status.REORDERED)
    with pytest.raises(reminders.BusinessRuleError, match="已补货"):
        reminders.snooze_reminder(by=factories.main_user_of(buyer), reminder_id=reminder.pk, days=7)


def test_opt_out_and_undo(member_client, buyer, seller, reminder, paper):
    member_client.post(f"/member/crm/reminders/{reminder.pk}/opt-out/")
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.DISMISSED
    opt_out = ReminderOptOut.objects.get(company=buyer)
    assert (opt_out.product, opt_out.category) == (paper, None)
    html = member_client.get("/member/crm/reminders/").content.decode()
    assert f"reminder-{reminder.pk}" not in html and "恢复提醒" in html

    purchase(buyer, seller, days_ago(1), product=paper)  # a new cycle…
    reminders.compute_reminders(now=timezone.now() + timedelta(days=40))
    assert ReorderReminder.objects.count() == 1  # …is not reminded while opted out

    member_client.post(f"/member/crm/reminders/opt-outs/{opt_out.pk}/undo/")
    assert not ReminderOptOut.objects.exists()
    reminders.compute_reminders(now=timezone.now() + timedelta(days=40))
    assert ReorderReminder.objects.count() == 2
    actions = set(AuditEvent.objects.filter(company=buyer).values_list("action", flat=True))
    assert {"crm.reminder.opted_out", "crm.reminder.dismissed", "crm.reminder.opt_out_undone"} <= actions


def test_opting_out_of_a_category(member_client, buyer, category_reminder):
    member_client.post(f"/member/crm/reminders/{category_reminder.pk}/opt-out/")
    opt_out = ReminderOptOut.objects.get(company=buyer)
    assert (opt_out.product, opt_out.category) == (None, category_reminder.category)


def test_switch_turns_everything_off_and_on(member_client, buyer, reminder):
    ClientProfile.objects.filter(company=buyer).delete()
    member_client.post("/member/crm/reminders/switch/", {"enabled": "0"})
    assert ClientProfile.objects.get(company=buyer).reminders_opted_out is True
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.DISMISSED
    assert "贵司已关闭全部补货提醒" in member_client.get("/member/crm/reminders/").content.decode()
    member_client.post("/member/crm/reminders/switch/", {"enabled": "1"})
    assert ClientProfile.objects.get(company=buyer).reminders_opted_out is False
    assert AuditEvent.objects.filter(company=buyer, action="crm.reminder.all_opted_out").count() == 1


def test_another_companys_reminder_is_not_found_on_the_page(client, reminder):
    stranger = factories.company(name="温州测试纸业有限公司")
    client.force_login(factories.main_user_of(stranger))
    for action in ("reorder", "snooze", "opt-out"):
        assert client.post(f"/member/crm/reminders/{reminder.pk}/{action}/", {"days": "7"}).status_code == 404
    assert "250g 白卡纸" not in client.get("/member/crm/reminders/").content.decode()
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.SENT


# --- API ------------------------------------------------------------------------------------------

def api_for(company, scopes=("purchasing",)):
    _key, raw = apikeys.issue_api_key(company=company, created_by=factories.main_user_of(company), name="erp",
                                      scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_api_lists_snoozes_and_opts_out(buyer, reminder):
    api = api_for(buyer)
    listed = api.get("/api/v1/crm/reminders/")
    assert listed.status_code == 200, listed.content
    [item] = listed.json()["results"]
    assert (item["id"], item["product"], item["product_title"], item["typical_interval_days"], item["days_left"]) \
        == (reminder.pk, reminder.product_id, "250g 白卡纸", 30, 25)

    snoozed = api.post(f"/api/v1/crm/reminders/{reminder.pk}/snooze/", {"days": 30}, format="json")
    assert snoozed.status_code == 200, snoozed.content
    assert snoozed.json()["status"] == "snoozed"
    bad = api.post(f"/api/v1/crm/reminders/{reminder.pk}/snooze/", {"days": 5}, format="json")
    assert bad.status_code == 400

    opted = api.post(f"/api/v1/crm/reminders/{reminder.pk}/opt-out/")
    assert opted.status_code == 201 and opted.json()["product"] == reminder.product_id
    assert api.get("/api/v1/crm/reminders/").json()["results"] == []


def test_api_is_scoped_to_the_own_company(reminder):
    stranger = api_for(factories.company(name="温州测试纸业有限公司"))
    assert stranger.get("/api/v1/crm/reminders/").json()["results"] == []
    assert stranger.post(f"/api/v1/crm/reminders/{reminder.pk}/snooze/", {"days": 7}, format="json").status_code == 404
    assert stranger.post(f"/api/v1/crm/reminders/{reminder.pk}/opt-out/").status_code == 404
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.SENT


def test_api_needs_the_purchasing_scope(buyer, reminder):
    api = api_for(buyer, scopes=("finance",))
    assert api.get("/api/v1/crm/reminders/").status_code == 403
    assert api.post(f"/api/v1/crm/reminders/{reminder.pk}/opt-out/").status_code == 403
