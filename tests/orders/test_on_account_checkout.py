"""Checkout on account (账期): the order is paid by the buyer's credit line at once, creates a
receivable, and is refused beyond the available credit with the amount that is available; two
buyers' members racing for the same credit never exceed the limit together."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from core.errors import BusinessRuleError
from crm.models import CreditLine, Receivable
from orders import refunds, services
from orders.models import Order
from tests import factories
from tests.crm.credit_helpers import credit_line
from tests.orders.buying_helpers import stocked, sub_with_limit
from tests.orders.paying_helpers import finance_user

S = Order.Status


@pytest.mark.django_db
def test_an_on_account_order_is_paid_by_credit_and_owed_as_a_receivable(buyer, seller):
    credit_line(buyer, limit="50000.00", term_days=60)
    product = stocked(seller, "100", price="1000.00")

    [order] = services.place_orders(by=factories.main_user_of(buyer), items=[(product.pk, "12")],
                                    payment_method=Order.PaymentMethod.ON_ACCOUNT)

    order.refresh_from_db()
    assert (order.status, order.amount_paid, order.payment_due_at) == (S.PAID, Decimal("12000.00"), None)
    receivable = Receivable.objects.get(order=order)
    assert receivable.amount == Decimal("12000.00")
    assert (receivable.due_on - receivable.issued_on).days == 60
    assert CreditLine.objects.get(company=buyer).outstanding == Decimal("12000.00")


@pytest.mark.django_db
def test_an_order_beyond_the_available_credit_is_refused_with_what_is_available(buyer, seller):
    credit_line(buyer, limit="10000.00", outstanding="4000.00")
    product = stocked(seller, "100", price="1000.00")

    with pytest.raises(BusinessRuleError) as refused:
        services.place_orders(by=factories.main_user_of(buyer), items=[(product.pk, "7")],
                              payment_method=Order.PaymentMethod.ON_ACCOUNT)

    assert refused.value.code == "credit_limit_exceeded"
    assert "¥6,000.00" in refused.value.message and "¥1,000.00" in refused.value.message
    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock_reserved == 0


@pytest.mark.django_db
def test_a_company_without_a_credit_line_cannot_buy_on_account(buyer, seller, client):
    product = stocked(seller, "100", price="1000.00")
    user = factories.main_user_of(buyer)
    services.add_to_cart(by=user, product_id=product.pk, quantity="2")
    client.force_login(user)

    response = client.post(reverse("cart:checkout"), {"payment_method": "on_account"}, follow=True)

    assert "尚未开通账期额度" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_sub_accounts_on_account_order_uses_credit_only_once_approved(buyer, seller):
    credit_line(buyer, limit="50000.00")
    clerk = sub_with_limit(buyer, "5000.00")
    product = stocked(seller, "100", price="1000.00")

    [order] = services.place_orders(by=clerk, items=[(product.pk, "10")], payment_method="on_account")
    assert order.status == S.AWAITING_APPROVAL
    assert CreditLine.objects.get(company=buyer).outstanding == Decimal("10000.00")  # held meanwhile

    services.approve_order(by=factories.main_user_of(buyer), order_id=order.pk)
    order.refresh_from_db()
    assert order.status == S.PAID and order.amount_paid == order.total


@pytest.mark.django_db
def test_rejecting_an_on_account_order_gives_the_credit_back(buyer, seller):
    credit_line(buyer, limit="50000.00")
    clerk = sub_with_limit(buyer, "5000.00")
    product = stocked(seller, "100", price="1000.00")
    [order] = services.place_orders(by=clerk, items=[(product.pk, "10")], payment_method="on_account")

    services.reject_order(by=factories.main_user_of(buyer), order_id=order.pk, reason="超预算")

    assert CreditLine.objects.get(company=buyer).outstanding == 0
    assert Receivable.objects.get(order=order).status == Receivable.Status.CANCELLED


@pytest.mark.django_db
def test_a_refund_on_an_on_account_order_reduces_what_is_owed(buyer, seller):
    credit_line(buyer, limit="50000.00")
    product = stocked(seller, "100", price="1000.00")
    buyer_user = factories.main_user_of(buyer)
    [order] = services.place_orders(by=buyer_user, items=[(product.pk, "10")], payment_method="on_account")
    refund = refunds.request_refund(by=buyer_user, order_id=order.pk, reason="规格下错", amount="4000.00")
    refunds.approve_refund(by=factories.main_user_of(seller), refund_id=refund.pk)

    refunds.record_refund_payout(by=finance_user(), refund_id=refund.pk, payout_reference="CN-0001")

    receivable = Receivable.objects.get(order=order)
    assert (receivable.amount, receivable.status) == (Decimal("6000.00"), Receivable.Status.OPEN)
    assert CreditLine.objects.get(company=buyer).outstanding == Decimal("6000.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_on_account_checkouts_never_exceed_the_limit_together():
    seller = factories.company(name="账期并发卖家有限公司")
    buyer = factories.company(name="账期并发买家有限公司")
    credit_line(buyer, limit="10000.00")
    product = stocked(seller, "100", price="1000.00")
    members = [factories.main_user_of(buyer)] + [factories.sub_account(buyer, ["purchasing"]) for _ in range(5)]
    start, outcomes, lock = threading.Barrier(len(members)), [], threading.Lock()

    def checkout(user):
        start.wait()
        try:
            services.place_orders(by=user, items=[(product.pk, "4")], payment_method="on_account")
            result = "ok"
        except BusinessRuleError as refusal:
            result = refusal.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=checkout, args=(user,)) for user in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 2 and set(outcomes) == {"ok", "credit_limit_exceeded"}
    assert CreditLine.objects.get(company=buyer).outstanding == Decimal("8000.00")
    assert Receivable.objects.filter(company=buyer).count() == 2


@pytest.mark.django_db
def test_the_on_account_order_page_shows_the_receivable_not_a_transfer_reference(buyer, seller, client):
    credit_line(buyer, limit="50000.00", term_days=30)
    product = stocked(seller, "100", price="1000.00")
    user = factories.main_user_of(buyer)
    [order] = services.place_orders(by=user, items=[(product.pk, "3")], payment_method="on_account")
    client.force_login(user)

    page = client.get(reverse("member-orders:detail", args=[order.number])).content.decode()

    assert "应收账款到期日" in page and "账期支付" in page
    assert "汇款识别码" not in page
