"""A dispute from opening to its end: who may open it and when, evidence, withdrawal, the
mediator's decision and the referral to arbitration with its PDF dossier."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone

from core.errors import BusinessRuleError, NotAllowed, NotFound
from core.models import AuditEvent, Notification
from core.permissions import StaffRole
from orders import disputes
from orders.models import Dispute, DisputeEvidence, Order, Refund
from orders.refunds import record_refund_payout, request_refund
from tests import factories
from tests.orders.dispute_helpers import paid_order, png, shipped_order, signed_by_buyer

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def mediator(db):
    return factories.staff_user(StaffRole.CUSTOMER_SERVICE, full_name="调解员王芳")


@pytest.fixture
def received_order(buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=3, delivered=True)
    return signed_by_buyer(order)


def open_quality(order, **kwargs):
    kwargs.setdefault("claim", "纸张克重只有 230g，合同约定 250g。")
    return disputes.open_dispute(by=factories.main_user_of(order.buyer), order_id=order.pk,
                                 kind=Dispute.Kind.QUALITY, **kwargs)


# --- who may open it, and when ------------------------------------------------------------------

@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.AWAITING_APPROVAL, S.CANCELLED, S.REFUNDED])
def test_no_dispute_on_unpaid_cancelled_or_refunded_orders(buyer, seller, status):
    order = factories.order(buyer=buyer, seller=seller, status=status)
    with pytest.raises(BusinessRuleError) as refused:
        open_quality(order)
    assert refused.value.code == "dispute_not_allowed"
    assert not Dispute.objects.exists() and Order.objects.get(pk=order.pk).status == status


def test_no_dispute_on_an_order_completed_more_than_15_days_ago(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, status=S.COMPLETED)
    order.completed_at = timezone.now() - timedelta(days=16)
    order.save(update_fields=["completed_at"])
    with pytest.raises(BusinessRuleError, match="超过 15 天"):
        open_quality(order)


def test_another_companys_order_is_not_found(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    stranger = factories.company(name="无关纸业有限公司")
    with pytest.raises(NotFound):
        disputes.open_dispute(by=factories.main_user_of(stranger), order_id=order.pk, kind="quality", claim="x")
    assert not Dispute.objects.exists()


def test_a_sub_account_without_purchasing_rights_may_not_open_one(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    clerk = factories.sub_account(buyer, ["finance"])
    with pytest.raises(NotAllowed, match="采购与订单"):
        disputes.open_dispute(by=clerk, order_id=order.pk, kind="quality", claim="质量问题")
    buyer_with_rights = factories.sub_account(buyer, ["purchasing"])
    assert disputes.open_dispute(by=buyer_with_rights, order_id=order.pk, kind="quality", claim="质量问题").pk


def test_the_seller_side_needs_fulfilment_rights(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    with pytest.raises(NotAllowed, match="发货履约"):
        disputes.open_dispute(by=factories.sub_account(seller, ["products"]), order_id=order.pk, kind="other",
                              claim="买家拒收")


def test_one_active_dispute_per_order(buyer, seller, received_order):
    open_quality(received_order)
    with pytest.raises(BusinessRuleError, match="已有处理中的纠纷"):
        open_quality(received_order)
    with pytest.raises(BusinessRuleError, match="已有处理中的纠纷"):
        disputes.open_dispute(by=factories.main_user_of(seller), order_id=received_order.pk, kind="other",
                              claim="买家恶意投诉")
    assert Dispute.objects.count() == 1


def test_the_database_refuses_a_second_open_dispute_too(buyer, seller, received_order):
    first = open_quality(received_order)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.create(order=received_order, kind="other", claim="再来一次", claimed_amount=1)
    assert Dispute.objects.get().pk == first.pk


@pytest.mark.parametrize(("amount", "message"), [("0", "必须大于 0"), ("12345.01", "不能超过可退金额 ¥12,345.00"),
                                                 ("abc", "请输入正确的金额")])
def test_the_claim_is_at_most_what_was_paid_and_not_refunded(buyer, seller, received_order, amount, message):
    with pytest.raises(BusinessRuleError, match=message) as refused:
        open_quality(received_order, claimed_amount=amount)
    assert "claimed_amount" in refused.value.details
    assert not Dispute.objects.exists()


def test_the_claim_defaults_to_everything_refundable(buyer, seller, received_order):
    Order.objects.filter(pk=received_order.pk).update(amount_refunded=Decimal("345.00"))
    dispute = open_quality(received_order)
    assert dispute.claimed_amount == Decimal("12000.00")
    order = Order.objects.get(pk=received_order.pk)
    assert (order.status, order.resume_status) == (S.IN_DISPUTE, S.RECEIVED)
    assert Notification.objects.filter(recipient=factories.main_user_of(seller), kind="order.dispute",
                                       title__contains="买家发起了交易纠纷").exists()


def test_an_empty_claim_is_refused(buyer, seller, received_order):
    with pytest.raises(BusinessRuleError, match="请说明") as refused:
        open_quality(received_order, claim="   ")
    assert refused.value.details == {"claim": "请说明纠纷的经过和诉求。"}


# --- evidence -----------------------------------------------------------------------------------

def test_either_side_adds_evidence_and_the_other_is_told(buyer, seller, received_order):
    dispute = open_quality(received_order)
    seller_user = factories.main_user_of(seller)
    evidence = disputes.add_evidence(by=seller_user, dispute_id=dispute.pk, upload=png("出库检验报告.png"),
                                     note="出厂检验合格")
    assert (evidence.from_seller, evidence.content_type, evidence.original_name) == (True, "image/png",
                                                                                      "出库检验报告.png")
    assert Notification.objects.filter(recipient=factories.main_user_of(buyer), title__contains="新证据").exists()
    assert AuditEvent.objects.filter(action="dispute.evidence", after="出库检验报告.png").exists()


def test_evidence_of_a_wrong_type_is_refused(buyer, seller, received_order):
    dispute = open_quality(received_order)
    fake = factories.upload(name="照片.png", content=b"just text, not an image", content_type="image/png")
    with pytest.raises(BusinessRuleError, match="不是 PDF、JPEG 或 PNG") as refused:
        disputes.add_evidence(by=factories.main_user_of(buyer), dispute_id=dispute.pk, upload=fake)
    assert refused.value.code == "evidence_invalid" and not DisputeEvidence.objects.exists()


def test_a_wrong_file_when_opening_opens_nothing(buyer, seller, received_order):
    fake = factories.upload(name="合同.pdf", content=b"MZ\x90\x00 executable", content_type="application/pdf")
    with pytest.raises(BusinessRuleError):
        open_quality(received_order, evidence=[fake])
    assert not Dispute.objects.exists() and Order.objects.get(pk=received_order.pk).status == S.RECEIVED


def test_no_evidence_after_the_decision(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=9)
    dispute = disputes.open_dispute(by=factories.main_user_of(buyer), order_id=order.pk, kind="not_shipped",
                                    claim="未发货")
    with pytest.raises(BusinessRuleError, match="已裁决"):
        disputes.add_evidence(by=factories.main_user_of(buyer), dispute_id=dispute.pk, upload=png())


def test_strangers_may_not_add_evidence(buyer, seller, received_order):
    dispute = open_quality(received_order)
    stranger = factories.company(name="无关纸业有限公司")
    with pytest.raises(NotFound):
        disputes.add_evidence(by=factories.main_user_of(stranger), dispute_id=dispute.pk, upload=png())


# --- withdrawal ---------------------------------------------------------------------------------

def test_the_opener_withdraws_and_the_order_resumes(buyer, seller, received_order):
    dispute = open_quality(received_order)
    with pytest.raises(NotAllowed, match="发起纠纷的一方"):
        disputes.withdraw_dispute(by=factories.main_user_of(seller), dispute_id=dispute.pk)
    withdrawn = disputes.withdraw_dispute(by=factories.main_user_of(buyer), dispute_id=dispute.pk)
    assert withdrawn.status == "withdrawn"
    assert Order.objects.get(pk=received_order.pk).status == S.RECEIVED
    with pytest.raises(BusinessRuleError, match="已撤回"):
        disputes.withdraw_dispute(by=factories.main_user_of(buyer), dispute_id=dispute.pk)


def test_withdrawing_returns_to_a_refund_still_in_progress(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=2)
    refund = request_refund(by=factories.main_user_of(buyer), order_id=order.pk, reason="不想要了")
    dispute = disputes.open_dispute(by=factories.main_user_of(buyer), order_id=order.pk, kind="other",
                                    claim="卖家不处理退款")
    assert dispute.status == "open"
    disputes.withdraw_dispute(by=factories.main_user_of(buyer), dispute_id=dispute.pk)
    order.refresh_from_db()
    assert (order.status, order.resume_status) == (S.REFUND_REQUESTED, S.PAID)
    assert Refund.objects.get(pk=refund.pk).status == "requested"


# --- mediation ----------------------------------------------------------------------------------

def test_mediator_partial_refund_creates_the_refund_and_finance_pays_it(buyer, seller, received_order, mediator):
    dispute = open_quality(received_order, evidence=[png("克重测量.png")])
    assert disputes.assign_mediator(by=mediator, dispute_id=dispute.pk).status == "mediation"
    disputes.add_mediation_note(by=mediator, dispute_id=dispute.pk, body="已电话联系双方，卖家同意部分补偿。")

    decided = disputes.mediate(by=mediator, dispute_id=dispute.pk, outcome="partial_refund",
                               refund_amount=Decimal("3000"), explanation="克重不足约 8%，按比例补偿")

    assert (decided.status, decided.outcome, decided.rule, decided.refund_amount) == (
        "decided", "partial_refund", "MEDIATION", Decimal("3000.00"))
    assert decided.decided_by == mediator and decided.mediator == mediator
    assert "调解员 调解员王芳" in decided.decision and "部分退款 ¥3,000.00" in decided.decision
    assert decided.facts["order_number"] == received_order.number
    refund = Refund.objects.get(order=received_order)
    assert (refund.status, refund.amount, refund.needs_return) == ("awaiting_payout", Decimal("3000.00"), False)
    assert refund.reason.startswith("纠纷裁决")
    order = Order.objects.get(pk=received_order.pk)
    assert (order.status, order.resume_status) == (S.REFUND_REQUESTED, S.RECEIVED)


@pytest.mark.parametrize("signed", [False, True])
def test_once_finance_pays_a_partial_refund_the_order_resumes(buyer, seller, mediator, signed):
    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=3, delivered=signed)
    if signed:  # needs REFUND_REQUESTED → RECEIVED in orders.states.TRANSITIONS
        signed_by_buyer(order)
    dispute = open_quality(order)
    disputes.mediate(by=mediator, dispute_id=dispute.pk, outcome="partial_refund", refund_amount=Decimal("3000"),
                     explanation="按比例补偿")
    record_refund_payout(by=factories.staff_user(StaffRole.FINANCE), refund_id=Refund.objects.get(order=order).pk,
                         payout_reference="ICBC20261120001")
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == (S.RECEIVED if signed else S.SHIPPED, Decimal("3000.00"))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("12345.01"), None])
def test_a_partial_refund_must_be_within_what_is_refundable(buyer, seller, received_order, mediator, amount):
    dispute = open_quality(received_order)
    with pytest.raises(BusinessRuleError, match="部分退款金额须大于 0") as refused:
        disputes.mediate(by=mediator, dispute_id=dispute.pk, outcome="partial_refund", refund_amount=amount,
                         explanation="补偿")
    assert "refund_amount" in refused.value.details
    assert Dispute.objects.get(pk=dispute.pk).status == "open" and not Refund.objects.exists()


def test_only_customer_service_mediates(buyer, seller, received_order):
    dispute = open_quality(received_order)
    for user in (factories.staff_user(StaffRole.FINANCE), factories.main_user_of(seller)):
        with pytest.raises(NotAllowed):
            disputes.mediate(by=user, dispute_id=dispute.pk, outcome="no_refund", explanation="驳回")
        with pytest.raises(NotAllowed):
            disputes.assign_mediator(by=user, dispute_id=dispute.pk)


def test_a_decision_needs_an_explanation(buyer, seller, received_order, mediator):
    dispute = open_quality(received_order)
    with pytest.raises(BusinessRuleError, match="裁决理由"):
        disputes.mediate(by=mediator, dispute_id=dispute.pk, outcome="no_refund", explanation=" ")


def test_no_refund_rejects_the_stuck_refund_and_resumes_the_order(buyer, seller, mediator):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=2)
    refund = request_refund(by=factories.main_user_of(buyer), order_id=order.pk, reason="不想要了")
    dispute = disputes.open_dispute(by=factories.main_user_of(seller), order_id=order.pk, kind="other",
                                    claim="货已备好，买家无理由退款")
    disputes.mediate(by=mediator, dispute_id=dispute.pk, outcome="no_refund", explanation="货物已按约定备好")
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == "rejected" and refund.rejection_reason.startswith("纠纷裁决")
    assert order.status == S.PAID


def test_a_full_refund_settles_the_stuck_refund_instead_of_adding_one(buyer, seller, mediator):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=2)
    refund = request_refund(by=factories.main_user_of(buyer), order_id=order.pk, reason="不想要了",
                            amount=Decimal("100"))
    dispute = disputes.open_dispute(by=factories.main_user_of(buyer), order_id=order.pk, kind="other",
                                    claim="卖家不处理")
    disputes.mediate(by=mediator, dispute_id=dispute.pk, outcome="full_refund", explanation="卖家同意全额退款")
    assert list(Refund.objects.filter(order=order).values_list("pk", "status", "amount")) == [
        (refund.pk, "awaiting_payout", Decimal("12345.00"))]
    assert Order.objects.get(pk=order.pk).status == S.REFUND_REQUESTED


def test_no_new_dispute_while_the_refund_awaits_payout(buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=9)
    first = disputes.open_dispute(by=factories.main_user_of(buyer), order_id=order.pk, kind="not_shipped",
                                  claim="未发货")
    assert first.outcome == "full_refund"
    with pytest.raises(BusinessRuleError, match="等待财务打款"):
        disputes.open_dispute(by=factories.main_user_of(buyer), order_id=order.pk, kind="other", claim="再申请")


# --- arbitration --------------------------------------------------------------------------------

def test_referral_to_arbitration_produces_a_dossier_in_chinese(buyer, seller, received_order, mediator):
    from pypdf import PdfReader

    dispute = open_quality(received_order, claim="纸张克重只有 230g，合同约定 250g，要求退货退款。",
                           evidence=[png("克重测量.png")])
    disputes.assign_mediator(by=mediator, dispute_id=dispute.pk)
    disputes.add_mediation_note(by=mediator, dispute_id=dispute.pk, body="卖家坚持货物合格，调解未果。")
    with pytest.raises(BusinessRuleError, match="移交仲裁后"):
        disputes.dispute_dossier(by=mediator, dispute_id=dispute.pk)
    with pytest.raises(BusinessRuleError, match="移交仲裁的原因"):
        disputes.refer_to_arbitration(by=mediator, dispute_id=dispute.pk, note="")

    legal = factories.staff_user(StaffRole.LEGAL)
    referred = disputes.refer_to_arbitration(by=legal, dispute_id=dispute.pk, note="双方各执一词，移交仲裁委员会。")
    assert referred.status == "arbitration" and referred.referred_at is not None
    assert Order.objects.get(pk=received_order.pk).status == S.IN_DISPUTE
    with pytest.raises(BusinessRuleError, match="已移交仲裁"):
        disputes.add_evidence(by=factories.main_user_of(buyer), dispute_id=dispute.pk, upload=png())

    pdf = disputes.dispute_dossier(by=legal, dispute_id=dispute.pk)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    compact = "".join(text.split())
    assert received_order.number in compact
    assert "纸张克重只有230g，合同约定250g，要求退货退款。" in compact
    assert "交易纠纷仲裁材料" in compact and "克重测量.png" in compact
    assert "卖家坚持货物合格，调解未果。" in compact and "顺丰速运" in compact

    with pytest.raises(NotAllowed):
        disputes.dispute_dossier(by=factories.staff_user(StaffRole.FINANCE), dispute_id=dispute.pk)


def test_the_arbitration_award_is_recorded_by_legal(buyer, seller, received_order, mediator):
    dispute = open_quality(received_order)
    disputes.refer_to_arbitration(by=mediator, dispute_id=dispute.pk, note="调解未果")
    legal = factories.staff_user(StaffRole.LEGAL, full_name="法务李雷")
    decided = disputes.mediate(by=legal, dispute_id=dispute.pk, outcome="full_refund",
                               explanation="仲裁裁决书（2026）杭仲字第 12 号：全额退款")
    assert (decided.rule, decided.outcome, decided.refund_amount) == ("ARBITRATION", "full_refund",
                                                                      Decimal("12345.00"))
    assert decided.decision.startswith("仲裁结果（由法务李雷录入）")
    assert Order.objects.get(pk=received_order.pk).status == S.REFUND_REQUESTED


def test_a_claimed_amount_that_is_not_a_number_is_refused_clearly():
    from orders.disputes import _claimed_amount

    for bad in ("NaN", "abc", "Infinity"):
        with pytest.raises(BusinessRuleError) as refusal:
            _claimed_amount(bad, Decimal("100.00"))
        assert refusal.value.code == "invalid_amount"
