"""Debt for goods (以货抵债): the creditor takes the debtor's goods at agreed values through a real
order (buyer = creditor, seller = debtor) that is paid by the settlement, and the agreed value
comes off the debt once the goods are signed for."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.models import AuditEvent
from core.permissions import CompanyPermission
from debt import cases
from debt.models import GoodsSettlement
from orders import shipping
from orders.models import Order
from tests import factories
from tests.debt.case_helpers import claim_of, legal, main, submit, to_execution, to_plan_design

GS = GoodsSettlement.Status


@pytest.fixture
def world(db):
    creditor = factories.company(name="浙江申请纸业有限公司")
    debtor = factories.company(name="江苏欠款印刷有限公司")
    staff = legal()
    board = factories.stock(factories.product(seller=debtor, title="350g 灰底白板", price="5000.00"), "100")
    case = to_plan_design(submit(creditor, debtor, amount="100000.00"), staff)
    return creditor, debtor, staff, board, case


def _settle(world, quantity="10", value="4500", by=None):
    creditor, _debtor, staff, board, case = world
    return cases.propose_goods_settlement(by=by or staff, case_id=case.pk, claim_id=claim_of(case).pk,
                                          lines=[(board.pk, quantity, value)])


def test_settlement_takes_agreed_values_not_list_prices(world):
    settlement = _settle(world)
    line = settlement.lines.get()
    assert (line.list_price, line.agreed_unit_value, line.amount) == (
        Decimal("5000.00"), Decimal("4500.00"), Decimal("45000.00"))
    assert settlement.agreed_total == Decimal("45000.00") and settlement.status == GS.PROPOSED
    assert settlement.debtor == world[1] and settlement.creditor == world[0]


def test_the_debtor_may_propose_but_an_outsider_may_not(world):
    creditor, debtor, _staff, _board, case = world
    assert _settle(world, by=main(debtor)).proposed_by == main(debtor)
    outsider = factories.company(name="无关纸业有限公司")
    with pytest.raises(NotFound):
        _settle(world, by=main(outsider))


@pytest.mark.parametrize(("quantity", "value", "code"), [
    ("0", "4500", "invalid_quantity"), ("10", "0", "invalid_amount"), ("30", "4000", "over_claim"),
])
def test_bad_settlement_lines_are_refused(world, quantity, value, code):
    with pytest.raises(BusinessRuleError) as refusal:
        _settle(world, quantity=quantity, value=value)
    assert refusal.value.code == code


def test_only_the_debtors_published_products_can_be_used(world):
    creditor, _debtor, staff, _board, case = world
    own = factories.product(seller=creditor, title="债权人自己的纸")
    with pytest.raises(BusinessRuleError) as refusal:
        cases.propose_goods_settlement(by=staff, case_id=case.pk, claim_id=claim_of(case).pk,
                                       lines=[(own.pk, "1", "100")])
    assert refusal.value.code == "not_debtor_product"


def test_off_platform_debtor_cannot_settle_in_goods(db):
    creditor = factories.company(name="浙江申请纸业有限公司")
    staff = legal()
    case = to_plan_design(cases.submit_case(by=main(creditor), desired_outcome="debt_for_goods", description="说明",
                                            claims=[{"name": "场外纸业", "credit_code": factories.credit_code("x"),
                                                     "role": "debtor", "amount": "100", "due_date": "2026-01-01"}]),
                          staff)
    with pytest.raises(BusinessRuleError) as refusal:
        cases.propose_goods_settlement(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, lines=[("1", "1", "1")])
    assert refusal.value.code == "party_off_platform"


def test_the_order_is_placed_for_the_creditor_from_the_debtor_paid_by_the_settlement(world):
    creditor, debtor, staff, board, case = world
    settlement = _settle(world)
    with pytest.raises(Conflict):  # not before the plan is agreed
        cases.place_goods_order(by=main(creditor), settlement_id=settlement.pk)
    to_execution(case, staff, [creditor, debtor])
    with pytest.raises(NotAllowed):
        cases.place_goods_order(by=main(debtor), settlement_id=settlement.pk)
    settlement = cases.place_goods_order(by=main(creditor), settlement_id=settlement.pk)
    order = settlement.order
    assert settlement.status == GS.ORDERED
    assert (order.buyer, order.seller, order.status) == (creditor, debtor, Order.Status.PAID)
    assert order.amount_paid == order.total == Decimal("50000.00")  # the order keeps the list price
    assert not order.payments.exists()  # no transfer: paid by the settlement
    assert AuditEvent.objects.filter(action="order.status", subject_id=str(order.pk), after="paid",
                                     reason="以货抵债").exists()
    board.refresh_from_db()
    assert board.stock_available == Decimal("90")
    with pytest.raises(Conflict):
        cases.place_goods_order(by=main(creditor), settlement_id=settlement.pk)


def test_a_creditor_member_without_purchasing_cannot_place_the_order(world):
    creditor, debtor, staff, _board, case = world
    settlement = _settle(world)
    to_execution(case, staff, [creditor, debtor])
    debt_clerk = factories.sub_account(creditor, [CompanyPermission.DEBT])
    with pytest.raises(NotAllowed):
        cases.place_goods_order(by=debt_clerk, settlement_id=settlement.pk)
    assert not Order.objects.exists()


def test_received_goods_settle_the_agreed_value_once(world):
    creditor, debtor, staff, _board, case = world
    settlement = _settle(world)
    to_execution(case, staff, [creditor, debtor])
    settlement = cases.place_goods_order(by=main(creditor), settlement_id=settlement.pk)
    assert cases.sync_goods_settlements() == 0
    shipping.ship_order(by=main(debtor), order_id=settlement.order_id, carrier="sf")
    assert cases.sync_goods_settlements() == 1
    settlement.refresh_from_db()
    assert settlement.status == GS.DELIVERED
    assert cases.case_outstanding(case) == Decimal("100000.00")
    shipping.confirm_receipt(by=main(creditor), order_id=settlement.order_id)
    assert cases.sync_goods_settlements() == 1
    assert cases.sync_goods_settlements() == 0
    cases.sync_goods_settlement(settlement_id=settlement.pk)
    settlement.refresh_from_db()
    assert settlement.status == GS.SETTLED and settlement.settled_at is not None
    assert claim_of(case).settled_amount == Decimal("45000.00")
    assert cases.case_outstanding(case) == Decimal("55000.00")
    history = [(e.before, e.after) for e in cases.case_history(case).filter(action="debt.goods.status")]
    assert history == [("proposed", "ordered"), ("ordered", "delivered"), ("delivered", "settled")]


def test_an_order_refused_by_approval_limits_saves_nothing(world):
    creditor, debtor, staff, _board, case = world
    settlement = _settle(world)
    to_execution(case, staff, [creditor, debtor])
    buyer_clerk = factories.sub_account(creditor, [CompanyPermission.DEBT, CompanyPermission.PURCHASING])
    membership = buyer_clerk.membership
    membership.purchase_approval_limit = Decimal("1000")
    membership.save(update_fields=["purchase_approval_limit"])
    with pytest.raises(BusinessRuleError) as refusal:
        cases.place_goods_order(by=buyer_clerk, settlement_id=settlement.pk)
    assert refusal.value.code == "needs_main_account"
    assert not Order.objects.exists()
    settlement.refresh_from_db()
    assert settlement.status == GS.PROPOSED


def test_member_page_places_the_order(world, client):
    creditor, debtor, staff, _board, case = world
    settlement = _settle(world)
    to_execution(case, staff, [creditor, debtor])
    client.force_login(main(creditor))
    response = client.post(reverse("member-debt:case-goods-order", args=[settlement.pk]))
    assert response.status_code == 302
    settlement.refresh_from_db()
    assert settlement.status == GS.ORDERED
