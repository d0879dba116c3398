"""The seller's change of price or quantity before payment, applied when the buyer accepts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog import selectors as catalog_selectors
from catalog.models import StockReservation
from core.errors import BusinessRuleError, Conflict, NotAllowed
from core.models import AuditEvent, Notification
from orders import services
from orders.models import Order, OrderAdjustment, Payment
from orders.states import order_transition
from tests import factories
from tests.orders.buying_helpers import place, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(seller):
    return stocked(seller, "30", price="1000.00")


@pytest.fixture
def order(buyer, product):
    return place(factories.main_user_of(buyer), product, "10")


@pytest.fixture
def seller_user(seller):
    return factories.main_user_of(seller)


@pytest.fixture
def buyer_user(buyer):
    return factories.main_user_of(buyer)


def test_accepting_changes_lines_total_and_reservation(order, product, seller_user, buyer_user):
    line = order.lines.get()
    old_reservation = line.reservation
    adjustment = services.propose_adjustment(by=seller_user, order_id=order.pk, note="量大优惠",
                                             lines={line.pk: {"quantity": "25", "unit_price": "950"}})
    assert adjustment.total_before == Decimal("10000.00") and adjustment.total_after == Decimal("23750.00")
    assert Notification.objects.filter(recipient=buyer_user, kind="order.adjustment").exists()
    order.refresh_from_db()
    assert order.total == Decimal("10000.00")  # nothing changes before the buyer accepts

    services.accept_adjustment(by=buyer_user, adjustment_id=adjustment.pk)
    order.refresh_from_db()
    line.refresh_from_db()
    old_reservation.refresh_from_db()
    assert order.total == Decimal("23750.00")
    assert (line.quantity, line.unit_price, line.amount) == (Decimal("25"), Decimal("950.00"), Decimal("23750.00"))
    assert old_reservation.status == StockReservation.Status.RELEASED
    assert line.reservation.status == StockReservation.Status.ACTIVE and line.reservation.quantity == 25
    product.refresh_from_db()
    assert product.stock_reserved == 25
    assert catalog_selectors.ledger_totals(product.pk) == {"on_hand": Decimal("30"), "reserved": Decimal("25")}
    adjustment.refresh_from_db()
    assert adjustment.status == OrderAdjustment.Status.ACCEPTED and adjustment.decided_by == buyer_user
    actions = set(AuditEvent.objects.filter(subject_id=str(order.pk)).values_list("action", flat=True))
    assert {"order.adjustment.propose", "order.adjustment.accept", "order.total"} <= actions


def test_price_only_change_keeps_the_reservation(order, seller_user, buyer_user):
    line = order.lines.get()
    adjustment = services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "900"}})
    services.accept_adjustment(by=buyer_user, adjustment_id=adjustment.pk)
    line.refresh_from_db()
    assert line.reservation.status == StockReservation.Status.ACTIVE and line.amount == Decimal("9000.00")


def test_quantity_beyond_reserved_plus_available_is_refused(order, seller_user):
    line = order.lines.get()
    with pytest.raises(BusinessRuleError, match="最多可调整为 30吨"):
        services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"quantity": "31"}})


def test_accept_fails_whole_when_stock_went_meanwhile(order, product, seller_user, buyer_user, buyer):
    line = order.lines.get()
    adjustment = services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"quantity": "25"}})
    place(buyer_user, product, "15")  # another order takes the rest
    with pytest.raises(BusinessRuleError, match="库存不足"):
        services.accept_adjustment(by=buyer_user, adjustment_id=adjustment.pk)
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.quantity == 10 and line.reservation.status == StockReservation.Status.ACTIVE
    assert order.total == Decimal("10000.00")
    adjustment.refresh_from_db()
    assert adjustment.status == OrderAdjustment.Status.PROPOSED


def test_one_open_proposal_at_a_time_and_withdraw(order, seller_user):
    line = order.lines.get()
    first = services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "900"}})
    with pytest.raises(Conflict, match="已有一项调整"):
        services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "800"}})
    services.withdraw_adjustment(by=seller_user, adjustment_id=first.pk)
    first.refresh_from_db()
    assert first.status == OrderAdjustment.Status.WITHDRAWN
    services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "800"}})


def test_decline_leaves_the_order_as_it_was(order, seller_user, buyer_user):
    line = order.lines.get()
    adjustment = services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "1200"}})
    services.decline_adjustment(by=buyer_user, adjustment_id=adjustment.pk, reason="价格太高")
    order.refresh_from_db()
    adjustment.refresh_from_db()
    assert adjustment.status == OrderAdjustment.Status.DECLINED and order.total == Decimal("10000.00")
    with pytest.raises(Conflict):
        services.accept_adjustment(by=buyer_user, adjustment_id=adjustment.pk)


def test_adjustment_refusals(order, seller_user, buyer_user, buyer):
    line = order.lines.get()
    with pytest.raises(NotAllowed, match="只有卖家"):
        services.propose_adjustment(by=buyer_user, order_id=order.pk, lines={line.pk: {"unit_price": "1"}})
    with pytest.raises(BusinessRuleError, match="相同"):
        services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"quantity": "10"}})
    with pytest.raises(BusinessRuleError, match="单价必须大于 0"):
        services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "0"}})
    with pytest.raises(BusinessRuleError, match="不属于该订单"):
        services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk + 999: {"unit_price": "5"}})
    clerk = factories.sub_account(order.seller, ["products"])
    with pytest.raises(NotAllowed, match="发货履约"):
        services.propose_adjustment(by=clerk, order_id=order.pk, lines={line.pk: {"unit_price": "5"}})
    adjustment = services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "5"}})
    with pytest.raises(NotAllowed, match="只有买家"):
        services.accept_adjustment(by=seller_user, adjustment_id=adjustment.pk)
    stranger = factories.main_user_of(factories.company(name="无关纸业有限公司"))
    with pytest.raises(Exception, match="未找到该订单"):
        services.accept_adjustment(by=stranger, adjustment_id=adjustment.pk)


def test_no_adjustment_after_payment_or_with_a_recorded_transfer(order, seller_user, buyer_user):
    line = order.lines.get()
    payment = Payment.objects.create(order=order, amount=order.total, payer_name="买家", bank_reference="BR1",
                                     transferred_on="2026-01-05", recorded_by=buyer_user)
    with pytest.raises(Conflict, match="已登记转账"):
        services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "5"}})
    payment.delete()
    order_transition(order_id=order.pk, to=Order.Status.PAID, actor=None)
    with pytest.raises(Conflict, match="待付款"):
        services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "5"}})


def test_cancelling_closes_the_open_proposal(order, seller_user, buyer_user):
    line = order.lines.get()
    adjustment = services.propose_adjustment(by=seller_user, order_id=order.pk, lines={line.pk: {"unit_price": "5"}})
    services.cancel_order(by=buyer_user, order_id=order.pk, reason="不要了")
    adjustment.refresh_from_db()
    assert adjustment.status == OrderAdjustment.Status.WITHDRAWN


def test_adjustment_over_http(client, order, seller_user, buyer_user):
    line = order.lines.get()
    client.force_login(seller_user)
    page = client.get(reverse("merchant-orders:detail", args=[order.number]))
    assert f"quantity_{line.pk}" in page.content.decode()
    bad = client.post(reverse("merchant-orders:buying-adjustment-propose", args=[order.number]),
                      {f"quantity_{line.pk}": "99", f"unit_price_{line.pk}": "1000", "note": ""})
    assert bad.status_code == 400 and "最多可调整为 30吨" in bad.content.decode()
    client.post(reverse("merchant-orders:buying-adjustment-propose", args=[order.number]),
                {f"quantity_{line.pk}": "12", f"unit_price_{line.pk}": "990", "note": "补货"})
    adjustment = OrderAdjustment.objects.get(order=order)
    client.force_login(buyer_user)
    page = client.get(reverse("member-orders:detail", args=[order.number])).content.decode()
    assert "补货" in page and "¥11,880.00" in page
    client.post(reverse("member-orders:buying-adjustment-accept", args=[order.number, adjustment.pk]))
    order.refresh_from_db()
    assert order.total == Decimal("11880.00")
