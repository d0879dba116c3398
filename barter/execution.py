"""A confirmed deal becomes orders and cash settlements.

Design. Each transfer (have → want) becomes one order from the giving company (seller) to the
receiving company (buyer): one line, the have's title / category / unit, the transfer's quantity,
the have's unit value as unit price and the transfer's value as the line amount and order total
(the value is what the deal balances on, exact in fen; the quantity carries it to a thousandth
of a unit). The buyer pays no money for these goods beyond the deal's cash balance, so the order
is placed by `orders.services.place_settled_order` (payment method 易货结算): priced as agreed,
paid by the deal at once, never refunded in money; from there the seller ships and the buyer
receives through the ordinary order pages, disputes included. A catalogue have's line carries the
transfer's BARTER stock reservation (held for the buyer since the proposal), so shipping
consumes it as it does a checkout reservation. (`place_orders` would price at the catalogue tier
price, need a published product at its minimum order quantity, take a fresh checkout reservation
and act for a buyer member whose approval limit could park the order.)

Cash: each participant's non-zero balance becomes a Settlement (pay or receive) that platform
finance confirms in the back office. The deal completes when all its orders are completed and
all its settlements confirmed (`barter.services.follow_deal`).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from barter.models import Listing, Proposal, Settlement, Transfer
from barter.services import _tell_participants, settle_listing_status
from barter.states import proposal_transition
from core import audit
from orders.models import Order
from orders.services import SettledLine, place_settled_order

P = Proposal.Status
BARTER_SETTLED = "易货结算"


def _settled_order(transfer, *, proposal, by):
    """The transfer as an order from the giver to the taker, paid by the deal."""
    have = transfer.have
    line = SettledLine(product=have.product, category=have.category, title=have.title, unit=have.unit,
                       quantity=transfer.quantity, unit_price=have.unit_value, amount=transfer.value,
                       reservation=transfer.reservation)
    return place_settled_order(
        buyer=transfer.taker, seller=transfer.giver, lines=[line], by=by, payment_method=Order.PaymentMethod.BARTER,
        reason=BARTER_SETTLED, note=_("易货方案 %(number)s") % {"number": proposal.number})


@transaction.atomic
def execute_proposal(*, proposal_id, by) -> Proposal:
    """Every participant confirmed: the deal goes ahead. One order per transfer (paid by the deal),
    one settlement per non-zero cash balance, its listings traded; all in this transaction."""
    proposal = proposal_transition(proposal_id=proposal_id, to=P.EXECUTING, actor=by, reason=_("全部参与方已确认"))
    transfers = list(Transfer.objects.select_for_update(of=("self",)).filter(proposal=proposal).select_related(
        "have__product", "have__category", "reservation").order_by("position", "pk"))
    for transfer in transfers:
        transfer.order = _settled_order(transfer, proposal=proposal, by=by)
        transfer.save(update_fields=["order"])
        audit.record(actor=by, action="barter.proposal.order", subject=proposal, company=transfer.giver,
                     after=transfer.order.number, data={"transfer": transfer.pk})
    for participant in proposal.participants.order_by("position", "pk"):
        if participant.cash_amount:
            settlement = Settlement.objects.create(
                proposal=proposal, company_id=participant.company_id, amount=abs(participant.cash_amount),
                direction=Settlement.Direction.RECEIVE if participant.cash_amount > 0 else Settlement.Direction.PAY)
            audit.record(actor=by, action="barter.settlement.create", subject=proposal, company=participant.company,
                         after=f"{settlement.get_direction_display()} {settlement.amount}",
                         data={"settlement": settlement.pk})
    listing_ids = sorted({t.have_id for t in transfers} | {t.want_id for t in transfers})
    for listing_id in listing_ids:
        if Listing.objects.filter(pk=listing_id, status=Listing.Status.MATCHED).exists():
            settle_listing_status(listing_id, actor=by, reason=_("易货方案 %(number)s 成交") % {
                "number": proposal.number})
    _tell_participants(proposal, kind="barter.proposal.executing",
                       title=_("易货方案 %(number)s 已全部确认，开始执行") % {"number": proposal.number},
                       body=_("已生成 %(orders)s 张易货订单。") % {"orders": len(transfers)})
    return proposal
