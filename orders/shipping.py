"""Shipping (SPEC §3): the seller ships a paid order with JD, SF or any offline carrier; the carriers'
tracking is polled into a timeline (offline carriers' steps are entered by hand); the buyer signs
for the goods (签收), or the system does it some days after delivery; received orders complete
when their after-sale period ends.

Services write (keyword-only, one transaction each); the selectors at the end read. Carrier calls
happen outside the database locks where they can (a slow carrier must not hold an order row).
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Company
from accounts.rules import ensure_member, ensure_member_may, refusal_reason
from accounts.services import notify_company
from catalog.models import StockReservation
from catalog.services import consume_reservation
from core import audit, webhooks
from core.errors import BusinessRuleError, Conflict, InvalidTransition, NotAllowed, NotFound
from core.inputs import clean_text
from core.permissions import CompanyPermission
from orders.carriers import (
    CarrierError,
    Party,
    ShipmentRequest,
    TrackingContext,
    carrier_for,
    is_online,
    valid_waybill,
)
from orders.carriers.base import normalise_waybill
from orders.models import Dispute, Order, Refund, Shipment, TrackingEvent
from orders.selectors import order_settings
from orders.states import order_transition

logger = logging.getLogger(__name__)

S = Order.Status
Kind = TrackingEvent.Kind
Carrier = Shipment.Carrier
# Statuses in which an order's shipments still travel and are worth asking the carrier about.
TRAVELLING = [S.PAID, S.SHIPPED, S.RECEIVED, S.REFUND_REQUESTED, S.IN_DISPUTE]
# A waybill that has said nothing new for this long is no longer polled.
POLL_HORIZON = timedelta(days=60)
# "刷新物流" asks the carrier at most this often per shipment.
REFRESH_INTERVAL = timedelta(seconds=60)
OPEN_DISPUTE = [Dispute.Status.OPEN, Dispute.Status.MEDIATION]


def _order_link(order, side):
    name = {"buyer": "member-orders:detail", "seller": "merchant-orders:detail"}[side]
    try:
        return reverse(name, args=[order.number])
    except NoReverseMatch:  # the page is not mounted (yet): the notice still goes out
        return ""


def _ensure_trading(company):
    if company.status in (Company.Status.FROZEN, Company.Status.DEREGISTERED):
        raise NotAllowed(refusal_reason(company), code=f"company_{company.status}")


def _clean_text(value, *, field, label, max_length, required=True):
    """Text as carriers print it: runs of spaces and line breaks become one space."""
    return clean_text(" ".join(str(value or "").split()), field, label=label, max_length=max_length,
                      required=required)


# --- shipping ---------------------------------------------------------------------------------

def ship_refusal(order) -> str:
    """Why the order cannot be shipped now, or "" when it can (one rule for page, API and service)."""
    if order.status in (S.REFUND_REQUESTED, S.IN_DISPUTE):
        return _("订单正在退款或纠纷处理中，暂不能发货。")
    if order.status == S.SHIPPED or order.shipments.filter(direction=Shipment.Direction.DELIVERY).exists():
        return _("该订单已发货。")
    if order.status != S.PAID:
        return _("只有已付款的订单可以发货（当前状态：%(status)s）。") % {"status": order.get_status_display()}
    return ""


def _party(snapshot, company):
    return Party(name=snapshot.get("name") or company.name, contact=snapshot.get("contact_name", ""),
                 phone=snapshot.get("contact_phone", ""), province=snapshot.get("province", ""),
                 city=snapshot.get("city", ""), address=snapshot.get("address", ""))


def shipment_request(order, *, direction=Shipment.Direction.DELIVERY) -> ShipmentRequest:
    seller, buyer = _party(order.seller_snapshot, order.seller), _party(order.buyer_snapshot, order.buyer)
    sender, receiver = (seller, buyer) if direction == Shipment.Direction.DELIVERY else (buyer, seller)
    titles = list(order.lines.values_list("title", flat=True)[:3])
    suffix = "-R" if direction == Shipment.Direction.RETURN else ""
    return ShipmentRequest(reference=f"{order.number}{suffix}", sender=sender, receiver=receiver,
                           cargo="、".join(titles)[:60] or _("纸品"), packages=1)


def _checked_waybill(carrier, waybill_number, carrier_name):
    """The carrier code, the normalised waybill number ("" when an online carrier should book one)
    and the carrier's name, or a BusinessRuleError naming the field that is wrong."""
    if carrier not in Carrier.values:
        raise BusinessRuleError(_("请选择承运商。"), code="invalid_carrier", details={"carrier": _("请选择承运商。")})
    number = normalise_waybill(waybill_number)
    if carrier == Carrier.OFFLINE:
        carrier_name = _clean_text(carrier_name, field="carrier_name", label=_("物流公司名称"), max_length=60)
        if not number:
            raise BusinessRuleError(_("线下物流请填写运单号。"), code="waybill_required",
                                    details={"waybill_number": _("请填写运单号。")})
    else:
        carrier_name = ""
    if number and not valid_waybill(carrier, number):
        message = {
            Carrier.SF: _("顺丰运单号为 SF 加 12–13 位数字，例如 SF144000123456。"),
            Carrier.JD: _("京东物流运单号为 JD 加 13 位字母或数字，例如 JDVA01234567890。"),
        }.get(carrier, _("运单号只能包含字母、数字和短横线，4–40 位。"))
        raise BusinessRuleError(message, code="invalid_waybill", details={"waybill_number": message})
    if number and Shipment.objects.filter(carrier=carrier, waybill_number=number).exists():
        message = _("运单号 %(number)s 已被登记过，请核对后重新填写。") % {"number": number}
        raise Conflict(message, code="duplicate_waybill", details={"waybill_number": message})
    return number, carrier_name


def open_shipment(*, order, direction, carrier, waybill_number, carrier_name, by) -> Shipment:
    """Register goods handed to a carrier (the caller has checked who may, and locked the order).
    An online carrier without a waybill number books one through its adapter."""
    number, carrier_name = _checked_waybill(carrier, waybill_number, carrier_name)
    if not number:
        number = normalise_waybill(carrier_for(carrier).create_waybill(shipment_request(order, direction=direction)))
        if not valid_waybill(carrier, number):
            raise CarrierError(_("承运商返回的运单号“%(number)s”格式不正确。") % {"number": number[:40]})
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(order=order, direction=direction, carrier=carrier,
                                               carrier_name=carrier_name, waybill_number=number,
                                               created_by=by if by is not None and by.pk else None)
    except IntegrityError as error:
        message = _("运单号 %(number)s 已被登记过，请核对后重新填写。") % {"number": number}
        raise Conflict(message, code="duplicate_waybill", details={"waybill_number": message}) from error
    audit.record(actor=by, action="shipment.create", subject=order, company=order.seller,
                 after=f"{shipment.get_direction_display()} {shipment.get_carrier_display()} {number}",
                 data={"shipment": shipment.pk, "carrier_name": carrier_name})
    webhooks.emit("shipment.created", [order.buyer_id, order.seller_id], {
        "order": order.number, "shipment": shipment.pk, "direction": shipment.direction, "carrier": shipment.carrier,
        "carrier_name": shipment.carrier_name, "waybill_number": shipment.waybill_number})
    return shipment


@transaction.atomic
def ship_order(*, by, order_id, carrier, waybill_number="", carrier_name="") -> Shipment:
    """发货: the seller (FULFILMENT) ships a paid order that is not in a refund or dispute. The
    reserved stock of every line leaves the warehouse, the order becomes shipped, the buyer is told."""
    membership = ensure_member_may(by, CompanyPermission.FULFILMENT)
    _ensure_trading(membership.company)
    order = Order.objects.select_for_update().filter(pk=order_id, seller=membership.company).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    refusal = ship_refusal(order)
    if refusal:
        raise BusinessRuleError(refusal, code="cannot_ship")
    shipment = open_shipment(order=order, direction=Shipment.Direction.DELIVERY, carrier=carrier,
                             waybill_number=waybill_number, carrier_name=carrier_name, by=by)
    for line in order.lines.filter(reservation__status=StockReservation.Status.ACTIVE).order_by("pk"):
        consume_reservation(reservation_id=line.reservation_id, by=by, reference=order.number,
                            reason=_("订单 %(number)s 发货出库") % {"number": order.number})
    carrier_label = shipment.carrier_name or shipment.get_carrier_display()
    order_transition(order_id=order.pk, to=S.SHIPPED, actor=by,
                     reason=_("卖家发货：%(carrier)s %(number)s") % {"carrier": carrier_label,
                                                                  "number": shipment.waybill_number})
    notify_company(order.buyer, kind="order.shipped", key=f"order-shipped:{shipment.pk}",
                   title=_("订单 %(number)s 已发货") % {"number": order.number},
                   body=_("%(seller)s 已通过 %(carrier)s 发货，运单号 %(waybill)s。") % {
                       "seller": order.seller_snapshot.get("name") or order.seller.name, "carrier": carrier_label,
                       "waybill": shipment.waybill_number},
                   link=_order_link(order, "buyer"), permission=CompanyPermission.PURCHASING)
    return shipment


# --- tracking ---------------------------------------------------------------------------------

def _shipment_for(by, shipment_id, *, lock=False):
    """The shipment if the member's company is a party to its order (else NotFound)."""
    membership = ensure_member(by)
    shipments = Shipment.objects.select_related("order")
    if lock:
        shipments = shipments.select_for_update(of=("self",))
    shipment = shipments.filter(pk=shipment_id).filter(
        Q(order__buyer=membership.company) | Q(order__seller=membership.company)).first()
    if shipment is None:
        raise NotFound(_("未找到该物流单。"))
    return shipment, membership


def manual_event_refusal(shipment) -> str:
    if is_online(shipment.carrier):
        return _("%(carrier)s的物流轨迹由承运商自动同步，不能手工录入。") % {"carrier": shipment.get_carrier_display()}
    if shipment.delivered_at is not None:
        return _("该物流单已送达，不能再添加轨迹。")
    if shipment.order.status in (S.COMPLETED, S.CANCELLED, S.REFUNDED):
        return _("订单已结束，不能再添加轨迹。")
    return ""


def _parse_moment(value, *, field):
    moment = value if hasattr(value, "tzinfo") else parse_datetime(str(value or "").strip())
    if moment is None:
        message = _("请填写正确的时间，例如 2026-03-01 14:30。")
        raise BusinessRuleError(message, code="invalid_time", details={field: message})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.replace(microsecond=0)


@transaction.atomic
def add_tracking_event(*, by, shipment_id, kind, occurred_at, location="", description) -> TrackingEvent:
    """A tracking step entered by hand, for offline carriers only: by the seller (FULFILMENT) on
    its deliveries, by the buyer (PURCHASING) on its return shipments."""
    shipment, membership = _shipment_for(by, shipment_id, lock=True)
    order = shipment.order
    if shipment.direction == Shipment.Direction.DELIVERY:
        if order.seller_id != membership.company_id:
            raise NotFound(_("未找到该物流单。"))
        ensure_member_may(by, CompanyPermission.FULFILMENT)
    else:
        if order.buyer_id != membership.company_id:
            raise NotFound(_("未找到该物流单。"))
        ensure_member_may(by, CompanyPermission.PURCHASING)
    _ensure_trading(membership.company)
    refusal = manual_event_refusal(shipment)
    if refusal:
        raise BusinessRuleError(refusal, code="manual_event_refused")
    if kind not in Kind.values:
        raise BusinessRuleError(_("请选择轨迹类型。"), code="invalid_kind", details={"kind": _("请选择轨迹类型。")})
    moment = _parse_moment(occurred_at, field="occurred_at")
    now = timezone.now()
    if moment > now + timedelta(minutes=5):
        message = _("轨迹时间不能晚于现在。")
        raise BusinessRuleError(message, code="invalid_time", details={"occurred_at": message})
    if moment < shipment.created_at - timedelta(days=1):
        message = _("轨迹时间不能早于发货时间。")
        raise BusinessRuleError(message, code="invalid_time", details={"occurred_at": message})
    location = _clean_text(location, field="location", label=_("地点"), max_length=100, required=False)
    description = _clean_text(description, field="description", label=_("轨迹描述"), max_length=300)
    try:
        with transaction.atomic():
            event = TrackingEvent.objects.create(shipment=shipment, kind=kind, occurred_at=moment, location=location,
                                                 description=description, entered_by=by)
    except IntegrityError as error:
        raise Conflict(_("这条轨迹已经录入过了。"), code="duplicate_event") from error
    audit.record(actor=by, action="shipment.event", subject=order, company=membership.company,
                 after=f"{event.get_kind_display()} {description}"[:200], data={"shipment": shipment.pk})
    if kind == Kind.DELIVERED:
        _record_delivery(shipment, moment)
    return event


def _tracking_context(shipment, now):
    order = shipment.order
    seller_city = order.seller_snapshot.get("city", "")
    buyer_city = order.buyer_snapshot.get("city", "")
    delivery = shipment.direction == Shipment.Direction.DELIVERY
    receiver = order.buyer_snapshot if delivery else order.seller_snapshot
    return TrackingContext(created_at=shipment.created_at, origin_city=seller_city if delivery else buyer_city,
                           destination_city=buyer_city if delivery else seller_city,
                           phone="".join(ch for ch in receiver.get("contact_phone", "") if ch.isdigit()), now=now)


def _record_delivery(shipment, delivered_at):
    """The carrier (or the sender) says the goods arrived: stamp the shipment, and for a delivery
    stamp the order and tell the buyer when it will be signed for automatically."""
    shipment.delivered_at = delivered_at
    shipment.save(update_fields=["delivered_at"])
    if shipment.direction != Shipment.Direction.DELIVERY:
        return
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    if order.delivered_at is not None:
        return
    order.delivered_at = delivered_at
    order.save(update_fields=["delivered_at", "updated_at"])
    audit.record(actor=None, action="order.delivered", subject=order, company=order.buyer, after=str(shipment),
                 reason=_("承运商轨迹显示已送达"))
    days = order_settings().auto_receive_days
    notify_company(order.buyer, kind="order.delivered", key=f"order-delivered:{order.pk}",
                   title=_("订单 %(number)s 的货物已送达") % {"number": order.number},
                   body=_("请核对货物后确认收货；送达 %(days)s 天后未确认的，系统将自动签收。") % {"days": days},
                   link=_order_link(order, "buyer"), permission=CompanyPermission.PURCHASING)


def _store_updates(shipment_id, updates, now) -> int:
    """Save the carrier's steps we don't have yet (the unique constraint makes this idempotent)."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().select_related("order").get(pk=shipment_id)
        added = 0
        delivered_at = None
        for update in updates:
            if update.kind not in Kind.values or update.occurred_at is None:
                continue
            _event, created = TrackingEvent.objects.get_or_create(
                shipment=shipment, occurred_at=update.occurred_at, kind=update.kind,
                description=(update.description or "")[:300], defaults={"location": (update.location or "")[:100]})
            added += created
            if update.kind == Kind.DELIVERED and delivered_at is None:
                delivered_at = update.occurred_at
        shipment.last_polled_at = now
        shipment.save(update_fields=["last_polled_at"])
        if delivered_at is not None and shipment.delivered_at is None:
            _record_delivery(shipment, delivered_at)
    return added


def _sync(shipment, now) -> int:
    updates = carrier_for(shipment.carrier).fetch_tracking(shipment.waybill_number,
                                                           context=_tracking_context(shipment, now))
    return _store_updates(shipment.pk, updates, now)


def shipments_to_poll(*, now=None):
    """Online shipments (deliveries and returns) not yet delivered, of orders still under way."""
    now = now or timezone.now()
    return Shipment.objects.filter(carrier__in=[Carrier.JD, Carrier.SF], delivered_at__isnull=True,
                                   order__status__in=TRAVELLING, created_at__gte=now - POLL_HORIZON,
                                   ).select_related("order").order_by("created_at", "pk")


def poll_tracking(now=None) -> int:
    """Ask the carriers about every undelivered online shipment and store what is new (the
    scheduled job; safe to run twice). One carrier's failure does not stop the others."""
    now = now or timezone.now()
    added = 0
    for shipment in shipments_to_poll(now=now):
        try:
            added += _sync(shipment, now)
        except CarrierError as error:
            logger.warning("tracking poll failed for shipment %s (%s %s): %s", shipment.pk, shipment.carrier,
                           shipment.waybill_number, error.message)
        except Exception:  # one bad answer must not stop the others; the next run tries again
            logger.exception("tracking poll crashed for shipment %s", shipment.pk)
    return added


def refresh_tracking(*, shipment_id, by=None, now=None) -> int:
    """"刷新物流": ask the carrier about one shipment now. A member may refresh only shipments of
    their company's orders, and a shipment at most once a minute. Returns the number of new steps."""
    now = now or timezone.now()
    if by is not None:
        shipment, _membership = _shipment_for(by, shipment_id)
    else:
        shipment = Shipment.objects.select_related("order").filter(pk=shipment_id).first()
        if shipment is None:
            raise NotFound(_("未找到该物流单。"))
    if not is_online(shipment.carrier):
        raise BusinessRuleError(_("线下物流的轨迹由发货方手工录入，无需刷新。"), code="carrier_offline")
    if by is not None and shipment.last_polled_at and now - shipment.last_polled_at < REFRESH_INTERVAL:
        return 0
    return _sync(shipment, now)


# --- receipt and completion -------------------------------------------------------------------

def receipt_refusal(order) -> str:
    if order.status in (S.REFUND_REQUESTED, S.IN_DISPUTE):
        return _("订单正在退款或纠纷处理中，暂不能确认收货。")
    if order.status != S.SHIPPED:
        return _("只有已发货的订单可以确认收货（当前状态：%(status)s）。") % {"status": order.get_status_display()}
    return ""


@transaction.atomic
def confirm_receipt(*, by, order_id) -> Order:
    """确认收货 (签收): the buyer (PURCHASING) signs for a shipped order; the seller is told."""
    membership = ensure_member_may(by, CompanyPermission.PURCHASING)
    _ensure_trading(membership.company)
    order = Order.objects.select_for_update().filter(pk=order_id, buyer=membership.company).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    refusal = receipt_refusal(order)
    if refusal:
        raise BusinessRuleError(refusal, code="cannot_confirm_receipt")
    order = order_transition(order_id=order.pk, to=S.RECEIVED, actor=by, reason=_("买家确认收货"))
    notify_company(order.seller, kind="order.received", key=f"order-received:{order.pk}",
                   title=_("订单 %(number)s 买家已确认收货") % {"number": order.number},
                   link=_order_link(order, "seller"), permission=CompanyPermission.FULFILMENT)
    return order


def auto_confirm_receipts(now=None) -> int:
    """Shipped orders delivered more than `auto_receive_days` ago are signed for by the system
    (the scheduled job; safe to run twice). Orders without a delivered step wait: no delivery,
    no automatic receipt."""
    now = now or timezone.now()
    days = order_settings().auto_receive_days
    due = Order.objects.filter(status=S.SHIPPED, delivered_at__isnull=False,
                               delivered_at__lte=now - timedelta(days=days)).values_list("pk", flat=True)
    confirmed = 0
    for order_id in list(due):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status != S.SHIPPED or order.delivered_at is None or order.delivered_at > now - timedelta(
                    days=days):
                continue
            try:
                order = order_transition(order_id=order.pk, to=S.RECEIVED, actor=None, reason=_(
                    "送达后 %(days)s 天内买家未确认收货，系统自动签收") % {"days": days})
            except InvalidTransition:
                continue
            for side, company, permission in (("buyer", order.buyer, CompanyPermission.PURCHASING),
                                              ("seller", order.seller, CompanyPermission.FULFILMENT)):
                notify_company(company, kind="order.received", key=f"order-received:{order.pk}",
                               title=_("订单 %(number)s 已自动签收") % {"number": order.number},
                               body=_("货物送达已满 %(days)s 天，系统已自动确认收货。") % {"days": days},
                               link=_order_link(order, side), permission=permission)
        confirmed += 1
    return confirmed


def _has_open_claims(order) -> bool:
    return (Refund.objects.filter(order=order, status__in=Refund.OPEN).exists()
            or Dispute.objects.filter(order=order, status__in=OPEN_DISPUTE).exists())


def complete_received_orders(now=None) -> int:
    """Received orders whose after-sale period (`complete_after_days` since receipt) is over and
    that have no open refund or dispute are completed (the scheduled job; safe to run twice)."""
    now = now or timezone.now()
    days = order_settings().complete_after_days
    cutoff = now - timedelta(days=days)
    due = Order.objects.filter(status=S.RECEIVED, received_at__isnull=False, received_at__lte=cutoff)
    completed = 0
    for order_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status != S.RECEIVED or order.received_at is None or order.received_at > cutoff:
                continue
            if _has_open_claims(order):
                continue
            order = order_transition(order_id=order.pk, to=S.COMPLETED, actor=None, reason=_(
                "签收已满 %(days)s 天且无未结退款或纠纷，订单自动完成") % {"days": days})
            notify_company(order.seller, kind="order.completed", key=f"order-completed:{order.pk}",
                           title=_("订单 %(number)s 已完成") % {"number": order.number},
                           link=_order_link(order, "seller"), permission=CompanyPermission.FULFILMENT)
        completed += 1
    return completed


# --- selectors --------------------------------------------------------------------------------

def shipments_for_order(order):
    """The order's shipments with their tracking, newest step first."""
    return order.shipments.select_related("created_by").prefetch_related(
        Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"))).order_by("created_at", "pk")


def order_for_tracking(*, company, number):
    """An order the company bought or sold, by number, or NotFound."""
    order = Order.objects.filter(Q(buyer=company) | Q(seller=company), number=number).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    return order


def shipping_panel(*, order, side, membership):
    """What the shipping panel shows and which of its forms the viewer may use now."""
    def allows(permission):
        return membership is not None and membership.is_active and membership.allows(permission)

    shipments = list(shipments_for_order(order))
    seller = side == "seller" and allows(CompanyPermission.FULFILMENT)
    buyer = side == "buyer" and allows(CompanyPermission.PURCHASING)
    for shipment in shipments:
        shipment.online = is_online(shipment.carrier)
        own = (seller and shipment.direction == Shipment.Direction.DELIVERY) or (
            buyer and shipment.direction == Shipment.Direction.RETURN)
        shipment.may_add_event = bool(own and not manual_event_refusal(shipment))
        shipment.may_refresh = bool(shipment.online and side in ("buyer", "seller") and membership is not None)
    return {
        "shipments": shipments,
        "may_ship": bool(seller and not ship_refusal(order)),
        "may_confirm_receipt": bool(buyer and not receipt_refusal(order)),
        "auto_receive_days": order_settings().auto_receive_days,
        "carrier_choices": Carrier.choices,
        "kind_choices": Kind.choices,
    }
