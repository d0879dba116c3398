"""Disputes the records settle are decided at once by a rule that names itself and its facts;
everything else waits for a mediator."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import StockReservation
from catalog.services import reserve_stock
from core.models import AuditEvent, Notification
from orders import disputes
from orders.models import Dispute, Order, Refund
from tests import factories
from tests.orders.dispute_helpers import paid_order, png, shipped_order, signed_by_buyer

pytestmark = pytest.mark.django_db
S = Order.Status


def open_as_buyer(order, kind, claim="货款已付，至今没有收到货。", **kwargs):
    return disputes.open_dispute(by=factories.main_user_of(order.buyer), order_id=order.pk, kind=kind, claim=claim,
                                 **kwargs)


def test_r1_refunds_in_full_when_nothing_shipped_a_week_after_payment(buyer, seller):
    product = factories.stock(factories.product(seller=seller), 50)
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=9)
    line = order.lines.get()
    line.reservation = reserve_stock(product_id=product.pk, holder=buyer, quantity=Decimal("2"),
                                     by=factories.main_user_of(buyer))
    line.save(update_fields=["reservation"])

    dispute = open_as_buyer(order, Dispute.Kind.NOT_SHIPPED)

    assert (dispute.status, dispute.outcome, dispute.rule) == ("decided", "full_refund", "R1_NOT_SHIPPED")
    assert dispute.refund_amount == Decimal("12345.00")
    paid_day = timezone.localtime(order.paid_at).strftime("%Y-%m-%d")
    assert dispute.decision.startswith("规则 R1（付款后未发货）")
    assert f"于 {paid_day} 付款" in dispute.decision and "至今 9 天仍无发货记录" in dispute.decision
    assert "全额退款 ¥12,345.00" in dispute.decision
    assert dispute.facts["days_since_payment"] == 9 and dispute.facts["shipped"] is False
    refund = Refund.objects.get(order=order)
    assert (refund.status, refund.amount, refund.needs_return) == ("awaiting_payout", Decimal("12345.00"), False)
    assert refund.reason.startswith("纠纷裁决")
    order.refresh_from_db()
    assert (order.status, order.resume_status) == (S.REFUND_REQUESTED, S.PAID)
    line.reservation.refresh_from_db()
    product.refresh_from_db()
    assert line.reservation.status == StockReservation.Status.RELEASED and product.stock_reserved == 0
    assert AuditEvent.objects.filter(action="dispute.decide", subject_id=str(dispute.pk), after="full_refund").exists()
    for company in (buyer, seller):
        assert Notification.objects.filter(recipient=factories.main_user_of(company), kind="order.dispute",
                                           title__contains="全额退款").exists()


def test_r1_waits_while_the_seller_is_still_within_its_week(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=3)
    dispute = open_as_buyer(order, Dispute.Kind.NOT_SHIPPED)
    assert (dispute.status, dispute.outcome, dispute.rule) == ("open", "", "")
    assert dispute.facts["days_since_payment"] == 3
    assert not Refund.objects.filter(order=order).exists()


def test_r1_never_awards_more_than_the_buyer_claimed(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=10)
    dispute = open_as_buyer(order, Dispute.Kind.NOT_SHIPPED, claimed_amount="2000")
    assert (dispute.outcome, dispute.refund_amount) == ("partial_refund", Decimal("2000.00"))
    assert "部分退款 ¥2,000.00" in dispute.decision
    assert Refund.objects.get(order=order).amount == Decimal("2000.00")


def test_r2_refunds_when_tracking_has_not_moved_for_a_week(buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, waybill="SF1234567890", last_event_days_ago=9)

    dispute = open_as_buyer(order, Dispute.Kind.NOT_RECEIVED)

    last_day = (timezone.localtime() - timedelta(days=9)).strftime("%Y-%m-%d")
    assert (dispute.status, dispute.outcome, dispute.rule) == ("decided", "full_refund", "R2_NO_TRACKING_MOVEMENT")
    assert dispute.decision.startswith("规则 R2（物流无更新）：运单 顺丰速运 SF1234567890")
    assert f"{last_day}“武汉分拨中心 快件已到达武汉分拨中心”，此后 9 天无物流更新" in dispute.decision
    assert "且未显示签收 → 全额退款 ¥12,345.00" in dispute.decision
    assert dispute.facts["days_without_movement"] == 9 and dispute.facts["delivered"] is False
    order.refresh_from_db()
    assert (order.status, order.resume_status) == (S.REFUND_REQUESTED, S.SHIPPED)
    assert Refund.objects.get(order=order).amount == Decimal("12345.00")


def test_r2_does_not_fire_while_the_parcel_is_still_moving(buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=2)
    dispute = open_as_buyer(order, Dispute.Kind.NOT_RECEIVED)
    assert dispute.status == "open" and dispute.facts["days_without_movement"] == 2


def test_r3_rejects_a_not_received_claim_on_goods_delivered_and_signed_by_the_buyer(buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, waybill="SF5550001", last_event_days_ago=5, delivered=True)
    signed_by_buyer(order)

    dispute = open_as_buyer(order, Dispute.Kind.NOT_RECEIVED, claim="我们没有收到货。")

    assert (dispute.status, dispute.outcome, dispute.rule) == ("decided", "no_refund", "R3_DELIVERED_AND_SIGNED")
    assert dispute.refund_amount is None
    assert dispute.decision.startswith("规则 R3（已送达并签收）：运单 顺丰速运 SF5550001")
    assert "买家账号于" in dispute.decision and "确认签收" in dispute.decision
    assert "买家未提交任何证据 → 驳回，不退款" in dispute.decision
    assert dispute.facts["receipt_confirmed_by_buyer"] is True and dispute.facts["buyer_evidence"] == 0
    order.refresh_from_db()
    assert order.status == S.RECEIVED  # back where it was
    assert not Refund.objects.filter(order=order).exists()


def test_r3_leaves_it_to_a_mediator_when_the_buyer_brings_evidence(buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=5, delivered=True)
    signed_by_buyer(order)

    dispute = open_as_buyer(order, Dispute.Kind.NOT_RECEIVED, claim="签收人不是我司员工。", evidence=[png()])

    assert (dispute.status, dispute.outcome) == ("open", "")
    assert dispute.facts["buyer_evidence"] == 1
    assert Order.objects.get(pk=order.pk).status == S.IN_DISPUTE


def test_r3_does_not_count_the_automatic_receipt_as_the_buyers_signature(buyer, seller):
    from orders.states import order_transition

    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=12, delivered=True)
    order_transition(order_id=order.pk, to=S.RECEIVED, actor=None, reason="送达后自动签收")

    dispute = open_as_buyer(order, Dispute.Kind.NOT_RECEIVED)

    assert dispute.status == "open" and dispute.facts["receipt_confirmed_by_buyer"] is False


@pytest.mark.parametrize("kind", [Dispute.Kind.QUALITY, Dispute.Kind.NOT_AS_DESCRIBED, Dispute.Kind.OTHER])
def test_quality_and_description_disputes_go_to_the_mediators_queue(buyer, seller, kind):
    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=20)  # R2 would fit "not received"
    dispute = open_as_buyer(order, kind, claim="纸张克重不足，与合同不符。")

    assert (dispute.status, dispute.rule, dispute.decision) == ("open", "", "")
    assert dispute.facts["order_number"] == order.number
    assert list(disputes.mediation_queue()) == [dispute]
    assert AuditEvent.objects.filter(action="dispute.to_mediation", subject_id=str(dispute.pk)).exists()
    assert Order.objects.get(pk=order.pk).status == S.IN_DISPUTE


def test_a_sellers_dispute_is_never_decided_by_rule(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=20)
    dispute = disputes.open_dispute(by=factories.main_user_of(seller), order_id=order.pk,
                                    kind=Dispute.Kind.NOT_SHIPPED, claim="买家要求的交货地址无法送达。")
    assert dispute.status == "open" and dispute.opened_by_seller
    assert Notification.objects.filter(recipient=factories.main_user_of(buyer), kind="order.dispute",
                                       title__contains="卖家发起了交易纠纷").exists()


def test_deciding_again_changes_nothing(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=9)
    dispute = open_as_buyer(order, Dispute.Kind.NOT_SHIPPED)
    again = disputes.adjudicate(dispute=dispute)
    assert again.decided_at == dispute.decided_at
    assert Refund.objects.filter(order=order).count() == 1
