"""The daily reorder-reminder job: who is reminded of what, when, and only once per cycle."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from catalog.models import Product
from core.models import Notification
from core.permissions import CompanyPermission
from crm import reminders
from crm.models import ClientProfile, CrmSettings, ReminderOptOut, ReorderReminder
from orders.models import Order
from tests import factories
from tests.crm.reminder_helpers import days_ago, history, purchase, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(seller):
    return factories.product(seller=seller, title="250g 白卡纸")


def run(days_later=0):
    return reminders.compute_reminders(now=timezone.now() + timedelta(days=days_later))


def reorder_notifications():
    return Notification.objects.filter(kind="crm.reorder")


def test_two_purchases_are_not_enough(buyer, seller, paper):
    history(buyer, seller, paper, [30], last=today())
    assert run(days_later=60) == 0
    assert not ReorderReminder.objects.exists()


def test_uncounted_orders_do_not_make_a_history(buyer, seller, paper):
    history(buyer, seller, paper, [30], last=days_ago(30))
    purchase(buyer, seller, today(), product=paper, status=Order.Status.CANCELLED)
    purchase(buyer, seller, days_ago(10), product=paper, status=Order.Status.PENDING_PAYMENT)
    assert run() == 0


def test_several_orders_on_one_day_are_one_purchase(buyer, seller, paper):
    history(buyer, seller, paper, [40], last=today())
    purchase(buyer, seller, today(), product=paper)
    assert run(days_later=20) == 0


def test_typical_interval_is_the_median_gap(buyer, seller, paper):
    # gaps 28, 30, 90: the mean (49) would be skewed by one late order; the median is 30
    history(buyer, seller, paper, [28, 30, 90], last=today())
    assert run() == 1
    reminder = ReorderReminder.objects.get()
    assert reminder.typical_interval_days == 30 and reminder.purchases == 4
    assert reminder.last_purchased_on == today()
    assert reminder.predicted_need_on == today() + timedelta(days=30)
    assert (reminder.company, reminder.product, reminder.category) == (buyer, paper, None)


def test_even_number_of_gaps_takes_the_middle_two(buyer, seller, paper):
    history(buyer, seller, paper, [20, 40, 50, 100], last=days_ago(15))
    run()
    assert ReorderReminder.objects.get().typical_interval_days == 45


def test_reminded_exactly_lead_days_ahead_not_a_day_earlier(buyer, seller, paper):
    history(buyer, seller, paper, [60, 60], last=today())  # need predicted in 60 days
    assert run(days_later=29) == 0  # 31 days before the need
    assert run(days_later=30) == 1  # exactly 30 days before
    reminder = ReorderReminder.objects.get()
    predicted = reminder.predicted_need_on
    assert predicted == today() + timedelta(days=60)
    titles = set(reorder_notifications().values_list("title", flat=True))
    assert titles == {f"您的“250g 白卡纸”预计 30 天后需补货（约 {predicted:%Y-%m-%d}）"}


def test_lead_days_come_from_the_settings(buyer, seller, paper):
    CrmSettings.objects.create(reminder_lead_days=10)
    history(buyer, seller, paper, [60, 60], last=today())
    assert run(days_later=49) == 0
    assert run(days_later=50) == 1


def test_title_says_the_real_days_left(buyer, seller, paper):
    history(buyer, seller, paper, [50, 50], last=days_ago(30))  # need in 20 days
    run()
    predicted = ReorderReminder.objects.get().predicted_need_on
    assert reorder_notifications().get().title == f"您的“250g 白卡纸”预计 20 天后需补货（约 {predicted:%Y-%m-%d}）"


def test_running_twice_reminds_and_emails_once(buyer, seller, paper, django_capture_on_commit_callbacks):
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    with django_capture_on_commit_callbacks(execute=True):
        assert run() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert run() == 0
        assert run(days_later=3) == 0
    assert ReorderReminder.objects.count() == 1
    assert reorder_notifications().count() == 1
    assert len(mail.outbox) == 1
    assert "250g 白卡纸" in mail.outbox[0].subject and "/member/crm/reminders/" in mail.outbox[0].body


def test_main_account_and_purchasing_members_are_told(buyer, seller, paper):
    buyer_staff = factories.sub_account(buyer, [CompanyPermission.PURCHASING])
    finance = factories.sub_account(buyer, [CompanyPermission.FINANCE])
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    run()
    recipients = set(reorder_notifications().values_list("recipient", flat=True))
    assert recipients == {factories.main_user_of(buyer).pk, buyer_staff.pk}
    assert finance.pk not in recipients
    reminder = ReorderReminder.objects.get()
    assert reorder_notifications().first().link == f"/member/crm/reminders/#reminder-{reminder.pk}"


def test_each_company_and_product_has_its_own_cycle(buyer, seller, paper):
    other_buyer = factories.company(name="苏州测试印刷有限公司")
    kraft = factories.product(seller=seller, title="牛皮纸")
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    history(buyer, seller, kraft, [30, 30], last=days_ago(5))
    history(other_buyer, seller, paper, [30, 30], last=days_ago(5))
    assert run() == 3
    assert set(ReorderReminder.objects.values_list("company", "product")) == {
        (buyer.pk, paper.pk), (buyer.pk, kraft.pk), (other_buyer.pk, paper.pk)}


def test_a_history_the_company_abandoned_is_not_reminded(buyer, seller, paper):
    # need was predicted 40 days ago, more than one interval (30) past: they stopped buying it
    history(buyer, seller, paper, [30, 30], last=days_ago(70))
    assert run() == 0
    ReorderReminder.objects.all().delete()
    history(buyer, seller, factories.product(seller=seller, title="灰板纸"), [30, 30], last=days_ago(60))
    assert run() == 1  # need 30 days ago: still within one interval


def test_opted_out_product_is_skipped(buyer, seller, paper):
    ReminderOptOut.objects.create(company=buyer, product=paper)
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    assert run() == 0


def test_company_that_opted_out_of_everything_is_skipped(buyer, seller, paper):
    ClientProfile.objects.update_or_create(company=buyer, defaults={"reminders_opted_out": True})
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    assert run() == 0


def test_frozen_company_is_skipped(buyer, seller, paper):
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    type(buyer).objects.filter(pk=buyer.pk).update(status="frozen")
    assert run() == 0


def test_snoozed_reminder_comes_back_once_when_the_snooze_ends(buyer, seller, paper):
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    run()
    reminder = ReorderReminder.objects.get()
    reminders.snooze_reminder(by=factories.main_user_of(buyer), reminder_id=reminder.pk, days=7)
    assert run(days_later=6) == 0
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.SNOOZED
    assert reorder_notifications().count() == 1

    run(days_later=7)
    reminder.refresh_from_db()
    assert reminder.status == ReorderReminder.Status.SENT
    assert reorder_notifications().count() == 2
    run(days_later=8)
    assert reorder_notifications().count() == 2
    assert ReorderReminder.objects.count() == 1


def test_a_new_purchase_closes_the_reminder_and_starts_a_new_cycle(buyer, seller, paper):
    history(buyer, seller, paper, [60, 60], last=days_ago(40))
    run()
    first = ReorderReminder.objects.get()
    purchase(buyer, seller, today(), product=paper)
    assert run() == 0  # gaps 60, 60, 40: next need in 60 days, due for a reminder in 30
    first.refresh_from_db()
    assert first.status == ReorderReminder.Status.REORDERED
    assert run(days_later=29) == 0
    assert run(days_later=30) == 1
    second = ReorderReminder.objects.exclude(pk=first.pk).get()
    assert second.last_purchased_on == today() and second.purchases == 4
    assert second.predicted_need_on == today() + timedelta(days=60)
    assert reorder_notifications().count() == 2


def test_an_unpaid_order_does_not_close_the_reminder(buyer, seller, paper):
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    run()
    purchase(buyer, seller, today(), product=paper, status=Order.Status.PENDING_PAYMENT)
    run()
    assert ReorderReminder.objects.get().status == ReorderReminder.Status.SENT


def test_category_reminder_when_the_company_buys_different_products(buyer, seller):
    category = factories.category()
    a = factories.product(seller=seller, title="250g 白卡纸")
    b = factories.product(seller=seller, title="300g 白卡纸")
    for day, product in [(95, a), (65, b), (35, a), (5, b)]:
        purchase(buyer, seller, days_ago(day), product=product)
    assert run() == 1
    reminder = ReorderReminder.objects.get()
    assert (reminder.product, reminder.category, reminder.typical_interval_days) == (None, category, 30)
    assert reorder_notifications().get().title.startswith("您的“白卡纸”类商品预计 25 天后需补货")


def test_category_reminder_replaces_an_unpublished_product(buyer, seller, paper):
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    Product.objects.filter(pk=paper.pk).update(status=Product.Status.UNLISTED)
    assert run() == 1
    reminder = ReorderReminder.objects.get()
    assert reminder.product is None and reminder.category == paper.category


def test_a_single_published_product_gets_no_category_reminder(buyer, seller, paper):
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    run()
    assert list(ReorderReminder.objects.values_list("product", "category")) == [(paper.pk, None)]


def test_category_reminder_skipped_while_a_product_reminder_covers_it(buyer, seller, paper):
    other = factories.product(seller=seller, title="300g 白卡纸")
    history(buyer, seller, paper, [30, 30], last=days_ago(5))
    purchase(buyer, seller, days_ago(20), product=other)
    assert run() == 1
    assert ReorderReminder.objects.get().product == paper
    assert run() == 0


def test_opted_out_category_is_skipped(buyer, seller):
    category = factories.category()
    ReminderOptOut.objects.create(company=buyer, category=category)
    a = factories.product(seller=seller, title="250g 白卡纸")
    b = factories.product(seller=seller, title="300g 白卡纸")
    for day, product in [(95, a), (65, b), (35, a), (5, b)]:
        purchase(buyer, seller, days_ago(day), product=product)
    assert run() == 0
