"""The three order pages: buyer (member centre), seller (merchant back end), staff (back office)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from orders.models import Order
from orders.selectors import order_settings
from tests import factories
from tests.orders.buying_helpers import place, stocked

pytestmark = pytest.mark.django_db
PANELS = ["payment_panel", "shipping_panel", "refund_panel", "invoice_panel", "dispute_panel", "documents_panel"]


@pytest.fixture
def product(seller):
    return stocked(seller, "100", price="1000.00", seller_sku="SKU-9")


@pytest.fixture
def order(buyer, product):
    return place(factories.main_user_of(buyer), product, "3", buyer_note="周五前到货")


def _panel_order(response):
    names = [template.name for template in response.templates]
    return [name.split("/")[-1].removesuffix(".html") for name in names if name.endswith("_panel.html")]


def test_buyer_detail_shows_lines_snapshots_totals_history_and_panels_in_order(client, order, buyer):
    client.force_login(factories.main_user_of(buyer))
    response = client.get(reverse("member-orders:detail", args=[order.number]))
    body = response.content.decode()
    assert response.status_code == 200
    assert order.number in body and order.remittance_reference in body and "SKU-9" in body
    assert "¥3,000.00" in body and order.seller_snapshot["name"] in body and "周五前到货" in body
    assert "order.place" in body  # status history from the audit trail
    assert _panel_order(response) == PANELS
    assert response.context["side"] == "buyer" and response.context["membership"] == factories.main_user_of(
        buyer).membership


def test_seller_and_staff_detail_include_the_panels(client, order, seller):
    client.force_login(factories.main_user_of(seller))
    response = client.get(reverse("merchant-orders:detail", args=[order.number]))
    assert response.status_code == 200 and _panel_order(response) == PANELS and response.context["side"] == "seller"
    client.force_login(factories.staff_user("customer_service"))
    response = client.get(reverse("backoffice-orders:detail", args=[order.number]))
    assert response.status_code == 200 and _panel_order(response) == PANELS
    assert response.context["side"] == "staff" and response.context["membership"] is None


def test_another_companys_order_is_a_404(client, order, seller):
    stranger = factories.company(name="旁观纸业有限公司")
    client.force_login(factories.main_user_of(stranger))
    assert client.get(reverse("member-orders:detail", args=[order.number])).status_code == 404
    assert client.get(reverse("merchant-orders:detail", args=[order.number])).status_code == 404
    assert client.post(reverse("member-orders:buying-cancel", args=[order.number]), {"reason": "x"}).status_code == 404
    client.force_login(factories.main_user_of(seller))  # the seller does not see it as a purchase
    assert client.get(reverse("member-orders:detail", args=[order.number])).status_code == 404


def test_buyer_list_filters(client, buyer, seller, product):
    user = factories.main_user_of(buyer)
    other_seller = factories.company(name="福建远方纸业有限公司")
    first = place(user, product, "1")
    second = place(user, stocked(other_seller, "10"), "1")
    Order.objects.filter(pk=first.pk).update(placed_at=timezone.now() - timedelta(days=10))
    client.force_login(user)
    url = reverse("member-orders:list")

    def numbers(**params):
        return {o.number for o in client.get(url, params).context["page"].object_list}

    assert numbers() == {first.number, second.number}
    assert numbers(counterparty="远方") == {second.number}
    assert numbers(number=first.number[-6:]) == {first.number}
    assert numbers(number=second.remittance_reference) == {second.number}
    assert numbers(since=(timezone.localdate() - timedelta(days=2)).isoformat()) == {second.number}
    assert numbers(until=(timezone.localdate() - timedelta(days=2)).isoformat()) == {first.number}
    assert numbers(status="cancelled") == set()
    assert numbers(since="not-a-date") == {first.number, second.number}


def test_seller_list_shows_sales_only(client, order, buyer, seller):
    client.force_login(factories.main_user_of(seller))
    body = client.get(reverse("merchant-orders:list")).content.decode()
    assert order.number in body
    clerk = factories.sub_account(seller, ["products"])
    client.force_login(clerk)
    assert client.get(reverse("merchant-orders:list")).status_code == 403


def test_staff_search(client, order):
    client.force_login(factories.staff_user("reviewer"))
    url = reverse("backoffice-orders:list")
    assert order.number in client.get(url, {"text": order.remittance_reference}).content.decode()
    assert order.number in client.get(url, {"text": "上海测试"}).content.decode()
    assert order.number not in client.get(url, {"text": "没有这家公司"}).content.decode()


def test_non_staff_cannot_open_staff_pages(client, order, buyer):
    client.force_login(factories.main_user_of(buyer))
    assert client.get(reverse("backoffice-orders:list")).status_code == 403
    assert client.get(reverse("backoffice-orders:detail", args=[order.number])).status_code == 403


def test_order_settings_for_administrators_and_finance_only(client):
    client.force_login(factories.staff_user("reviewer"))
    assert client.get(reverse("backoffice-orders:settings")).status_code == 403
    finance = factories.staff_user("finance")
    client.force_login(finance)
    assert client.get(reverse("backoffice-orders:settings")).status_code == 200
    bad = client.post(reverse("backoffice-orders:settings"), {
        "payment_window_hours": "0", "auto_receive_days": "10", "refund_auto_approve_hours": "48",
        "complete_after_days": "7"})
    assert bad.status_code == 200 and "请填写 1 到 720 之间的整数" in bad.content.decode()
    response = client.post(reverse("backoffice-orders:settings"), {
        "payment_window_hours": "24", "auto_receive_days": "10", "refund_auto_approve_hours": "48",
        "complete_after_days": "7"})
    assert response.status_code == 302
    assert order_settings().payment_window_hours == 24
    assert AuditEvent.objects.filter(action="order_settings.payment_window_hours", before="72", after="24",
                                     actor=finance).exists()


def test_new_orders_use_the_changed_payment_window(buyer, product):
    settings_row = order_settings()
    settings_row.payment_window_hours = 2
    settings_row.save()
    order = place(factories.main_user_of(buyer), product, "1")
    assert order.payment_due_at <= timezone.now() + timedelta(hours=2)


def test_cancelling_is_offered_only_while_it_would_be_accepted(client, order, buyer, seller):
    from tests.orders.paying_helpers import record

    detail = reverse("member-orders:detail", args=[order.number])
    client.force_login(factories.main_user_of(buyer))
    assert 'id="cancel-title"' in client.get(detail).content.decode()

    record(order)  # a transfer waits for finance: cancel_order would refuse
    assert 'id="cancel-title"' not in client.get(detail).content.decode()
    client.force_login(factories.main_user_of(seller))
    seller_page = client.get(reverse("merchant-orders:detail", args=[order.number])).content.decode()
    assert 'id="cancel-title"' not in seller_page
