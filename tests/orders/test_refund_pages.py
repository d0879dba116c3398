"""Refunds through the pages: the refund panel for each side, the buyer's and seller's actions,
finance's queue (待退款) and payout page."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from orders import refunds
from orders.models import Order, Refund
from tests import factories
from tests.orders.paying_helpers import finance_user, move_to, paid_order

pytestmark = pytest.mark.django_db
S, R = Order.Status, Refund.Status


@pytest.fixture
def paid(buyer, seller):
    return paid_order(buyer, seller, lines=[("2", "5000.00")])


def panel(order, side, user):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("orders/includes/refund_panel.html", {
        "order": order, "side": side, "membership": getattr(user, "membership", None), "user": user},
        request=request)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_buyer_panel_offers_the_request_form_until_receipt(paid, buyer, seller):
    buyer_user = factories.main_user_of(buyer)
    assert reverse("member-orders:refund-request", args=[paid.number]) in panel(paid, "buyer", buyer_user)
    assert "refunds/request" not in panel(paid, "seller", factories.main_user_of(seller))
    received = move_to(paid_order(buyer, seller), S.RECEIVED)
    html = panel(received, "buyer", buyer_user)
    assert "refunds/request" not in html and "买家已签收，不能再申请退款" in html


def test_buyer_requests_and_the_seller_approves_through_the_pages(client, paid, buyer, seller):
    client.force_login(factories.main_user_of(buyer))
    response = client.post(reverse("member-orders:refund-request", args=[paid.number]),
                           {"reason": "规格不符", "amount": ""})
    assert response.url == reverse("member-orders:detail", args=[paid.number])
    refund = paid.refunds.get()
    assert refund.amount == Decimal("10000.00")

    seller_user = factories.main_user_of(seller)
    html = panel(paid, "seller", seller_user)
    assert reverse("merchant-orders:refund-approve", args=[refund.pk]) in html
    assert reverse("merchant-orders:refund-reject", args=[refund.pk]) in html

    client.force_login(seller_user)
    response = client.post(reverse("merchant-orders:refund-approve", args=[refund.pk]))
    assert response.url == reverse("merchant-orders:detail", args=[paid.number])
    refund.refresh_from_db()
    assert refund.status == R.AWAITING_PAYOUT


def test_refusals_show_their_reason(client, paid, buyer, seller):
    client.force_login(factories.main_user_of(buyer))
    response = client.post(reverse("member-orders:refund-request", args=[paid.number]),
                           {"reason": "多退一点", "amount": "20000"})
    assert "退款金额不能超过可退金额" in messages_of(response)[0]
    refund = refunds.request_refund(by=factories.main_user_of(buyer), order_id=paid.pk, reason="不要了")
    client.force_login(factories.main_user_of(seller))
    response = client.post(reverse("merchant-orders:refund-reject", args=[refund.pk]), {"reason": ""})
    assert "拒绝理由" in messages_of(response)[-1]
    refund.refresh_from_db()
    assert refund.status == R.REQUESTED


def test_other_companies_and_sides_get_404_or_refusal(client, paid, buyer, seller):
    refund = refunds.request_refund(by=factories.main_user_of(buyer), order_id=paid.pk, reason="不要了")
    client.force_login(factories.main_user_of(factories.company(name="别家纸业有限公司")))
    assert client.post(reverse("merchant-orders:refund-approve", args=[refund.pk])).status_code == 404
    assert client.post(reverse("member-orders:refund-withdraw", args=[refund.pk])).status_code == 404
    client.force_login(factories.sub_account(seller, ["products"]))  # no fulfilment right
    assert client.post(reverse("merchant-orders:refund-approve", args=[refund.pk])).status_code == 403
    refund.refresh_from_db()
    assert refund.status == R.REQUESTED


def test_return_waybill_and_confirmation_through_the_pages(client, buyer, seller):
    order = move_to(paid_order(buyer, seller, lines=[("2", "5000.00")]), S.SHIPPED)
    buyer_user, seller_user = factories.main_user_of(buyer), factories.main_user_of(seller)
    refund = refunds.request_refund(by=buyer_user, order_id=order.pk, reason="受潮")
    refunds.approve_refund(by=seller_user, refund_id=refund.pk)
    assert reverse("member-orders:refund-return-shipment", args=[refund.pk]) in panel(order, "buyer", buyer_user)
    client.force_login(buyer_user)
    client.post(reverse("member-orders:refund-return-shipment", args=[refund.pk]),
                {"carrier": "sf", "waybill_number": "SF123456789012", "carrier_name": ""})
    refund.refresh_from_db()
    assert refund.status == R.RETURN_SHIPPED

    line = order.lines.get()
    html = panel(order, "seller", seller_user)
    assert f'name="line_{line.pk}"' in html and 'value="2.000"' in html
    client.force_login(seller_user)
    client.post(reverse("merchant-orders:refund-confirm-return", args=[refund.pk]), {f"line_{line.pk}": "2"})
    refund.refresh_from_db()
    line.product.refresh_from_db()
    assert refund.status == R.AWAITING_PAYOUT and line.product.stock_on_hand == Decimal("100")


def test_finance_refund_queue_and_payout(client, paid, buyer, seller):
    refund = refunds.request_refund(by=factories.main_user_of(buyer), order_id=paid.pk, reason="不要了",
                                    amount="4000.00")
    refunds.approve_refund(by=factories.main_user_of(seller), refund_id=refund.pk)
    finance = finance_user()
    client.force_login(finance)
    queue = client.get(reverse("backoffice-orders:refunds"))
    assert list(queue.context["page"].object_list) == [refund]
    dashboard = client.get(reverse("backoffice:dashboard"))
    item = next(item for item in dashboard.context["queues"] if item["queue"].key == "orders.refunds")
    assert (str(item["queue"].label), item["count"]) == ("待退款", 1)

    url = reverse("backoffice-orders:refund", args=[refund.pk])
    assert "部分退款" in client.get(url).content.decode()
    assert client.post(url, {"payout_reference": ""}).status_code == 200
    response = client.post(url, {"payout_reference": "ICBC-OUT-1"})
    assert response.status_code == 302
    paid.refresh_from_db()
    assert (paid.status, paid.amount_refunded) == (S.PAID, Decimal("4000.00"))


def test_refund_pages_are_finance_work(client, paid, buyer, seller):
    refund = refunds.request_refund(by=factories.main_user_of(buyer), order_id=paid.pk, reason="不要了")
    refunds.approve_refund(by=factories.main_user_of(seller), refund_id=refund.pk)
    client.force_login(factories.staff_user("reviewer"))
    assert client.get(reverse("backoffice-orders:refunds")).status_code == 403
    client.force_login(factories.staff_user("customer_service"))
    page = client.get(reverse("backoffice-orders:refund", args=[refund.pk]))
    assert page.status_code == 200 and "payout_reference" not in page.content.decode()


def test_order_pages_carry_the_refund_panel(client, paid, buyer, seller):
    refund = refunds.request_refund(by=factories.main_user_of(buyer), order_id=paid.pk, reason="不要了")
    client.force_login(factories.main_user_of(seller))
    page = client.get(reverse("merchant-orders:detail", args=[paid.number]))
    assert page.status_code == 200
    assert reverse("merchant-orders:refund-approve", args=[refund.pk]) in page.content.decode()
    client.force_login(factories.main_user_of(buyer))
    page = client.get(reverse("member-orders:detail", args=[paid.number]))
    assert reverse("member-orders:refund-withdraw", args=[refund.pk]) in page.content.decode()


def test_the_seller_is_not_offered_a_decision_a_dispute_has_taken_over(buyer, seller):
    from orders.states import order_transition

    order = paid_order(buyer, seller)
    buyer_user, seller_user = factories.main_user_of(buyer), factories.main_user_of(seller)
    refund = refunds.request_refund(by=buyer_user, order_id=order.pk, reason="不想要了")
    order_transition(order_id=order.pk, to=S.IN_DISPUTE, actor=buyer_user, reason="交易纠纷")
    order.refresh_from_db()

    html = panel(order, "seller", seller_user)
    assert reverse("merchant-orders:refund-approve", args=[refund.pk]) not in html
    assert reverse("member-orders:refund-withdraw", args=[refund.pk]) not in panel(order, "buyer", buyer_user)
