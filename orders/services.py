"""Order writes: the cart, checkout, agreed changes, messages, cancellation and expiry.

Payments live in `orders.payments`, refunds in `orders.refunds`, shipping in `orders.shipping`,
invoices in `orders.invoices` and disputes in `orders.disputes`; every status move goes through
`orders.states.order_transition`.
"""

import functools
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.models import Company
from accounts.rules import Activity
from accounts.selectors import companies_with_regions
from accounts.services import notify_company
from catalog.models import Product, StockReservation
from catalog.pricing import unit_price_for
from catalog.services import (
    MAX_QUANTITY,
    QUANTITY_STEP,
    ReservationRequest,
    lock_products,
    release_reservation,
    reserve_stock,
    reserve_stock_for_checkout,
)
from core import audit, rows, webhooks
from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.inputs import parse_money
from core.money import to_money
from core.permissions import CompanyPermission
from crm.credit import release_credit, reserve_credit
from orders.models import CartItem, Order, OrderAdjustment, OrderLine, OrderMessage, Payment
from orders.selectors import order_settings
from orders.states import order_transition

S = Order.Status
BUYER, SELLER = "buyer", "seller"
# What a member needs to act on an order from each side.
SIDE_PERMISSION = {BUYER: CompanyPermission.PURCHASING, SELLER: CompanyPermission.FULFILMENT}
# Easy to read aloud and to type into a bank transfer's memo: no 0/O, 1/I/L.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8
REFERENCE_ATTEMPTS = 5
# A recorded transfer finance has not confirmed yet keeps an overdue order open this much longer.
TRANSFER_GRACE = timedelta(hours=24)


def company_snapshot(company):
    """The company's details as an order keeps them: later changes don't rewrite past orders.
    Holds what contracts, order confirmations and VAT invoices print."""
    province = company.province.name if company.province else ""
    city = company.city.name if company.city else ""
    return {
        "name": company.name,
        "unified_social_credit_code": company.unified_social_credit_code,
        "province": province,
        "city": city,
        "address": company.invoice_address or f"{province}{city}",
        "legal_representative": company.legal_representative,
        "contact_name": company.contact_name,
        "contact_phone": company.contact_phone,
        "contact_email": company.contact_email,
        "taxpayer_type": company.taxpayer_type,
        "invoice_title": company.invoice_title or company.name,
        "tax_number": company.tax_number,
        "invoice_address": company.invoice_address,
        "invoice_phone": company.invoice_phone,
        "bank_name": company.bank_name,
        "bank_account": company.bank_account,
    }


def release_order_reservations(*, order: Order, by, reason) -> int:
    """Give back the stock still held for an order that will not ship (cancelled, expired or
    refunded before shipment). Call inside the caller's transaction; safe to call twice."""
    released = 0
    for line in order.lines.select_related("reservation").filter(
            reservation__status=StockReservation.Status.ACTIVE).order_by("product_id", "pk"):
        release_reservation(reservation_id=line.reservation_id, by=by, reason=reason)
        released += 1
    return released


# --- shared checks --------------------------------------------------------------------------------

def parse_quantity(value, name="quantity"):
    """A positive quantity with at most three decimals, or a clear refusal."""
    try:
        quantity = Decimal(str(value).strip()).quantize(QUANTITY_STEP)
    except (InvalidOperation, ValueError, TypeError):
        quantity = None
    if quantity is None or not quantity.is_finite() or quantity <= 0:
        raise BusinessRuleError(_("数量必须大于 0。"), code="invalid_quantity", details={name: _("数量必须大于 0。")})
    if quantity > MAX_QUANTITY:
        raise BusinessRuleError(_("数量过大。"), code="invalid_quantity", details={name: _("数量过大。")})
    return quantity


def parse_price(value, name="unit_price"):
    """A positive unit price in CNY (`core.inputs.parse_money`), or a clear refusal."""
    price = parse_money(value, name)
    if price <= 0:
        raise BusinessRuleError(_("单价必须大于 0。"), code="invalid_price", details={name: _("单价必须大于 0。")})
    if price >= Decimal("1e12"):
        raise BusinessRuleError(_("单价过大。"), code="invalid_price", details={name: _("单价过大。")})
    return price


def _buyer_membership(by):
    """The member buys for their company: PURCHASING permission and a company that may order."""
    membership = rules.ensure_member_may(by, CompanyPermission.PURCHASING)
    rules.ensure_company_may(membership.company, Activity.PLACE_ORDERS)
    return membership


def _check_orderable(product, *, buyer, quantity):
    """The one rule for what a buyer may put in the cart or order."""
    if product is None or product.status != Product.Status.PUBLISHED:
        title = product.title if product is not None else ""
        raise BusinessRuleError(_("商品“%(title)s”已下架，不能下单。") % {"title": title} if title
                                else _("该商品不存在或已下架。"), code="product_unavailable")
    if product.seller_id == buyer.pk:
        raise BusinessRuleError(_("不能购买本企业的商品“%(title)s”。") % {"title": product.title}, code="own_product")
    if not rules.company_may(product.seller, Activity.ACCEPT_ORDERS):
        raise BusinessRuleError(_("卖家“%(seller)s”目前不能接单，商品“%(title)s”暂不能下单。") % {
            "seller": product.seller.name, "title": product.title}, code="seller_cannot_accept")
    if quantity < product.min_order_quantity:
        raise BusinessRuleError(
            _("“%(title)s”的起订量为 %(moq)s%(unit)s。") % {
                "title": product.title, "moq": _qty(product.min_order_quantity), "unit": product.get_unit_display()},
            code="below_min_order", details={"quantity": _("低于起订量。")})


def _qty(value):
    """A quantity as people write it: 12, 12.5, not 12.500."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def order_side(user, order):
    """"buyer" or "seller" for a member of one of the order's companies, else None. The seller
    does not see an order still waiting for the buyer's internal approval."""
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active:
        return None
    if order.buyer_id == membership.company_id:
        return BUYER
    if order.seller_id == membership.company_id and order.status != S.AWAITING_APPROVAL:
        return SELLER
    return None


def _locked_order(order_id):
    order = Order.objects.select_for_update().select_related("buyer", "seller").filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("未找到该订单。"))
    return order


def _acting(by, order, *, side=None):
    """Check `by` acts for the order's `side` (either side when None) with that side's permission."""
    actual = order_side(by, order)
    if actual is None:
        raise NotFound(_("未找到该订单。"))
    if side is not None and actual != side:
        raise NotAllowed(_("只有买家可以进行此操作。") if side == BUYER else _("只有卖家可以进行此操作。"),
                         code=f"{side}_only")
    rules.ensure_member_may(by, SIDE_PERMISSION[actual])
    return actual


def order_link(order, side):
    name = "member-orders:detail" if side == BUYER else "merchant-orders:detail"
    return reverse(name, args=[order.number])


def _notify(order, side, *, kind, key, title, body=""):
    """Tell `side` of the order (its main account and members with that side's permission)."""
    company = order.buyer if side == BUYER else order.seller
    notify_company(company, kind=kind, key=key, title=title, body=body, link=order_link(order, side),
                   permission=SIDE_PERMISSION[side])


def _has_unconfirmed_transfer(order):
    return order.payments.filter(status=Payment.Status.RECORDED).exists()


# Who may cancel in which status: the buyer before payment (also while its main account has not
# approved), the seller once the order has reached it and is unpaid.
CANCELLABLE = {BUYER: (S.PENDING_PAYMENT, S.AWAITING_APPROVAL), SELLER: (S.PENDING_PAYMENT,)}


def may_cancel(order, side) -> bool:
    """The one rule the order pages offer cancelling by and `cancel_order` enforces: the side's
    cancellable statuses, and no recorded transfer waiting for finance."""
    return order.status in CANCELLABLE.get(side, ()) and not _has_unconfirmed_transfer(order)


# --- cart -----------------------------------------------------------------------------------------

@transaction.atomic
def add_to_cart(*, by, product_id, quantity) -> CartItem:
    """Put a product in the member's cart (adds to what is already there). The product must be
    published, another company's, from a seller that may take orders, and at least the minimum
    order quantity."""
    membership = _buyer_membership(by)
    quantity = parse_quantity(quantity)
    product = Product.objects.select_related("seller").filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("该商品不存在或已下架。"))
    item = CartItem.objects.select_for_update().filter(user=by, product=product).first()
    total = quantity + (item.quantity if item else 0)
    _check_orderable(product, buyer=membership.company, quantity=total)
    if total > MAX_QUANTITY:
        raise BusinessRuleError(_("数量过大。"), code="invalid_quantity", details={"quantity": _("数量过大。")})
    if item is None:
        item = CartItem.objects.create(user=by, product=product, quantity=total)
    else:
        item.quantity = total
        item.save(update_fields=["quantity"])
    return item


def _own_cart_item(by, item_id):
    item = CartItem.objects.select_for_update().select_related("product__seller").filter(pk=item_id, user=by).first()
    if item is None:
        raise NotFound(_("购物车中没有该商品。"))
    return item


@transaction.atomic
def update_cart_item(*, by, item_id, quantity) -> CartItem:
    """Change a cart line's quantity (still at least the minimum order quantity)."""
    rules.ensure_member_may(by, CompanyPermission.PURCHASING)
    item = _own_cart_item(by, item_id)
    quantity = parse_quantity(quantity)
    if quantity < item.product.min_order_quantity:
        raise BusinessRuleError(
            _("“%(title)s”的起订量为 %(moq)s%(unit)s。") % {
                "title": item.product.title, "moq": _qty(item.product.min_order_quantity),
                "unit": item.product.get_unit_display()},
            code="below_min_order", details={"quantity": _("低于起订量。")})
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


@transaction.atomic
def remove_cart_item(*, by, item_id) -> None:
    _own_cart_item(by, item_id).delete()


# --- checkout -------------------------------------------------------------------------------------

def new_remittance_reference():
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _create_orders(orders: list[Order]) -> list[Order]:
    """Insert new orders in one statement. Their ids are drawn from the orders table's sequence
    first: the numbers are derived from them, so two checkouts never draw the same number. Each
    order gets a random remittance reference; a clash is left to `drawing_references_again`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [Order._meta.db_table, len(orders)])
        order_ids = sorted(row[0] for row in cursor.fetchall())
    today = timezone.localdate()
    for order, order_id in zip(orders, order_ids, strict=True):
        order.pk, order.number = order_id, f"PO-{today:%Y%m%d}-{order_id:06d}"
        order.remittance_reference = new_remittance_reference()
    return rows.insert_many(Order, orders)


def _is_reference_clash(error: IntegrityError) -> bool:
    # The constraint PostgreSQL named when migration 0002 added the unique column.
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) == (
        f"{Order._meta.db_table}_remittance_reference_key")


def drawing_references_again(service):
    """Run a service that creates orders in its own transaction (a savepoint inside another one),
    and run it again when a remittance reference it drew is already taken. With 31^8 ≈ 850 billion
    references that is rare, so checking each one in advance would cost every checkout more than
    the rare second run."""

    @functools.wraps(service)
    def run(**kwargs):
        for _attempt in range(REFERENCE_ATTEMPTS):
            try:
                with transaction.atomic():
                    return service(**kwargs)
            except IntegrityError as error:
                if not _is_reference_clash(error):
                    raise
        raise Conflict(_("生成汇款识别码失败，请重试。"), code="reference_clash")

    return run


def _merge_items(items):
    quantities = defaultdict(Decimal)
    for entry in items:
        try:
            product_id, quantity = entry
            product_id = int(product_id)
        except (TypeError, ValueError):
            raise BusinessRuleError(_("订单明细格式不正确。"), code="invalid_lines") from None
        quantities[product_id] += parse_quantity(quantity)
    return quantities


def _needs_approval(membership, total):
    limit = membership.purchase_approval_limit
    return not membership.is_main and limit is not None and total > limit


@drawing_references_again
def place_orders(*, by, items=None, buyer_note="", payment_method=Order.PaymentMethod.TRANSFER) -> list[Order]:
    """Checkout: one order per seller, all or nothing.

    `items` is a list of (product_id, quantity); None takes the member's cart. Every line is
    priced at its tier price and its stock reserved for the buyer (products locked in id order,
    so concurrent checkouts queue instead of deadlocking); if any line cannot be reserved nothing
    is saved and the message names the product and what is available. A sub-account's order
    above its purchase approval limit waits for the main account; otherwise payment is due
    within the payment window. A checkout of the cart takes the ordered products out of it.

    On account (账期), each order is put on the buyer's credit line in the same transaction
    (`crm.credit.reserve_credit`: the line is locked, so concurrent checkouts never exceed the
    limit together) and is paid at once by that credit: it goes to the seller as paid, and the
    buyer owes the receivable. A refusal says how much credit is available.
    """
    if payment_method not in Order.PaymentMethod.values:
        raise BusinessRuleError(_("请选择付款方式。"), code="invalid_payment_method",
                                details={"payment_method": _("请选择付款方式。")})
    membership = _buyer_membership(by)
    buyer = membership.company
    buyer_note = (buyer_note or "").strip()
    if len(buyer_note) > 500:
        raise BusinessRuleError(_("买家留言不能超过 500 字。"), code="note_too_long",
                                details={"buyer_note": _("买家留言不能超过 500 字。")})
    from_cart = items is None
    if from_cart:
        items = list(CartItem.objects.filter(user=by).values_list("product_id", "quantity"))
        if not items:
            raise BusinessRuleError(_("购物车是空的。"), code="cart_empty")
    if not items:
        raise BusinessRuleError(_("请至少选择一件商品。"), code="no_lines")
    if len(items) > 200:
        raise BusinessRuleError(_("一次最多下单 200 种商品。"), code="too_many_lines")
    quantities = _merge_items(items)
    # Locked now (in id order) rather than again when the stock is reserved: read once.
    products = lock_products(quantities, with_price_tiers=True)
    # The sellers and the buyer, with the regions their snapshots name, in one query.
    companies = companies_with_regions({p.seller_id for p in products.values()} | {buyer.pk})
    for product in products.values():
        product.seller = companies[product.seller_id]
    for product_id, quantity in quantities.items():
        product = products.get(product_id)
        _check_orderable(product, buyer=buyer, quantity=quantity)
        if quantity > product.stock_available:  # early refusal; the locked reservation below decides
            _refuse_stock(product, product.stock_available)

    by_seller = defaultdict(list)
    for product_id in sorted(quantities):
        by_seller[products[product_id].seller_id].append(products[product_id])
    now = timezone.now()
    window = timedelta(hours=order_settings().payment_window_hours)
    buyer_snapshot = company_snapshot(companies[buyer.pk])
    orders, lines = [], []
    for seller_id in sorted(by_seller):
        seller = by_seller[seller_id][0].seller
        priced = []
        for product in by_seller[seller_id]:
            tiers = list(product.price_tiers.all())
            unit_price = unit_price_for(product, quantities[product.pk], tiers)
            priced.append((product, tiers, unit_price, to_money(unit_price * quantities[product.pk])))
        total = to_money(sum(amount for *_rest, amount in priced))
        approval = _needs_approval(membership, total)
        order = Order(
            buyer=buyer, seller=seller, total=total, buyer_note=buyer_note,
            status=S.AWAITING_APPROVAL if approval else S.PENDING_PAYMENT,
            buyer_snapshot=buyer_snapshot, seller_snapshot=company_snapshot(seller), placed_by=by, placed_at=now,
            payment_due_at=None if approval or payment_method == Order.PaymentMethod.ON_ACCOUNT else now + window,
            payment_method=payment_method,
        )
        orders.append(order)
        for product, tiers, unit_price, amount in priced:
            lines.append(OrderLine(
                order=order, product=product, category_id=product.category_id, title=product.title,
                seller_sku=product.seller_sku, attributes=product.attributes, unit=product.get_unit_display(),
                quantity=quantities[product.pk], list_price=product.price, unit_price=unit_price, amount=amount,
                price_tiers=[{"min_quantity": str(tier.min_quantity), "unit_price": str(tier.unit_price)}
                             for tier in tiers],
            ))
    _create_orders(orders)
    if payment_method == Order.PaymentMethod.ON_ACCOUNT:
        for order in orders:
            reserve_credit(order=order, by=by)
    # Every line's stock at once; the products are locked in id order, as every checkout does.
    try:
        reservations = reserve_stock_for_checkout(holder=buyer, by=by, locked=products, requests=[ReservationRequest(
            product_id=line.product.pk, quantity=line.quantity, reference=line.order.number,
            note=_("订单 %(number)s") % {"number": line.order.number}) for line in lines])
    except BusinessRuleError as refusal:
        if refusal.code != "insufficient_stock":
            raise
        _refuse_stock(products[refusal.details["product_id"]], Decimal(refusal.details.get("available", "0")))
    for line, reservation in zip(lines, reservations, strict=True):
        line.reservation = reservation
    rows.insert_many(OrderLine, lines)
    if from_cart:
        CartItem.objects.filter(user=by, product_id__in=list(quantities)).delete()

    for order in orders:
        # Handed back with their lines in memory: callers answer from them without a query.
        rows.remember_related(order, "lines", [line for line in lines if line.order is order])
    audit.record_many([
        {"actor": by, "action": "order.place", "subject": order, "company": buyer, "after": str(order.total),
         "data": {"number": order.number, "seller": order.seller_id, "payment_method": payment_method}}
        for order in orders], prepared=True)
    for index, order in enumerate(orders):
        if order.status == S.PENDING_PAYMENT and payment_method == Order.PaymentMethod.ON_ACCOUNT:
            paid = _pay_on_account(order, by=by)
            paid._prefetched_objects_cache = order._prefetched_objects_cache
            order = orders[index] = paid
        if order.status == S.AWAITING_APPROVAL:
            notify_company(buyer, kind="order.approval", key=f"order-approval:{order.pk}",
                           title=_("子账号 %(name)s 的订单 %(number)s 待您审批") % {
                               "name": by.display_name, "number": order.number},
                           body=_("订单金额 %(total)s 元，超过其采购审批限额。") % {"total": order.total},
                           link=reverse("member-orders:approvals"))
    _notify_new_orders([order for order in orders if order.status != S.AWAITING_APPROVAL])
    # The seller hears of an order once it no longer waits for the buyer's own approval.
    webhooks.emit_each("order.placed", [(
        [order.buyer_id] if order.status == S.AWAITING_APPROVAL else [order.buyer_id, order.seller_id],
        {"order": order.number, "status": order.status, "total": order.total, "buyer": order.buyer_id,
         "seller": order.seller_id, "payment_method": order.payment_method}) for order in orders])
    return orders


def _refuse_stock(product, available):
    raise BusinessRuleError(
        _("“%(title)s”库存不足：当前可用 %(available)s%(unit)s。") % {
            "title": product.title, "available": _qty(available), "unit": product.get_unit_display()},
        code="insufficient_stock", details={"product": product.pk, "available": str(available)})


def _notify_new_orders(orders):
    """Tell each seller once the orders are committed, from one task: checkout does not wait."""
    from orders.tasks import notify_new_orders

    order_ids = [order.pk for order in orders]
    if order_ids:
        transaction.on_commit(lambda: notify_new_orders.delay(order_ids=order_ids), robust=True)


def _notify_new_order(order):
    _notify_new_orders([order])


def notify_new_order(*, order_id):
    """The seller hears of a new order (or one its buyer's main account approved). Safe twice."""
    order = Order.objects.select_related("buyer", "seller").get(pk=order_id)
    if order.status == S.AWAITING_APPROVAL:
        return
    body = {
        Order.PaymentMethod.ON_ACCOUNT: _("%(buyer)s 下单 %(total)s 元，已使用账期支付，请安排发货。"),
        Order.PaymentMethod.BARTER: _("%(buyer)s 的易货订单 %(total)s 元，已由易货结算，请安排发货。"),
        Order.PaymentMethod.GOODS_FOR_DEBT: _("%(buyer)s 的以货抵债订单 %(total)s 元，无需付款，请安排发货。"),
    }.get(order.payment_method, _("%(buyer)s 下单 %(total)s 元，等待买家付款。"))
    _notify(order, SELLER, kind="order.placed", key=f"order-placed:{order.pk}",
            title=_("新订单 %(number)s") % {"number": order.number},
            body=body % {"buyer": order.buyer.name, "total": order.total})


# --- the buyer's internal approval ---------------------------------------------------------------

def _main_account_order(by, order_id):
    membership = rules.ensure_main_account(by)
    order = _locked_order(order_id)
    if order.buyer_id != membership.company_id:
        raise NotFound(_("未找到该订单。"))
    if order.status != S.AWAITING_APPROVAL:
        raise Conflict(_("该订单不在待审批状态。"), code="not_awaiting_approval")
    return membership, order


@transaction.atomic
def approve_order(*, by, order_id) -> Order:
    """The main account approves a sub-account's order above its limit: it goes to the seller
    and the payment clock starts now."""
    membership, order = _main_account_order(by, order_id)
    rules.ensure_company_may(membership.company, Activity.PLACE_ORDERS)
    order = order_transition(order_id=order.pk, to=S.PENDING_PAYMENT, actor=by, reason=_("主账号审批通过"))
    order.approved_by = by
    if order.payment_method == Order.PaymentMethod.ON_ACCOUNT:
        order.save(update_fields=["approved_by", "updated_at"])
        order = _pay_on_account(order, by=by)
    else:
        order.payment_due_at = timezone.now() + timedelta(hours=order_settings().payment_window_hours)
        order.save(update_fields=["approved_by", "payment_due_at", "updated_at"])
    _notify_placer(order, title=_("订单 %(number)s 已通过主账号审批，请在付款期限内付款。") % {"number": order.number})
    _notify_new_order(order)
    return order


@transaction.atomic
def reject_order(*, by, order_id, reason) -> Order:
    """The main account refuses a sub-account's order: it is cancelled and its stock released."""
    reason = _required_reason(reason)
    _membership, order = _main_account_order(by, order_id)
    order = _cancel(order, by=by, reason=_("主账号审批未通过：%(reason)s") % {"reason": reason})
    _notify_placer(order, title=_("订单 %(number)s 未通过主账号审批") % {"number": order.number}, body=reason)
    return order


@dataclass(frozen=True)
class SettledLine:
    """A line of an order paid by a barter deal or a debt case: priced as agreed there."""

    product: object  # catalog.Product or None (free-form barter goods)
    category: object
    title: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    reservation: object = None  # the catalog.StockReservation already held for the buyer, if any


@drawing_references_again
def place_settled_order(*, buyer, seller, lines, by, payment_method, reason, note="") -> Order:
    """An order whose goods are paid by a barter deal or settle a debt, not by money: priced as
    agreed there, holding the stock reservations the caller already made for the buyer, and paid
    at once (so it goes to the seller for shipment). Refunds of such orders are not paid in money
    (`orders.refunds`); the deal or the case decides."""
    if payment_method not in Order.SETTLED_WITHOUT_MONEY:
        raise ValueError(f"not a settlement: {payment_method}")
    buyer = Company.objects.select_related("province", "city").get(pk=buyer.pk)
    seller = Company.objects.select_related("province", "city").get(pk=seller.pk)
    [order] = _create_orders([Order(
        buyer=buyer, seller=seller, total=to_money(sum(line.amount for line in lines)),
        status=S.PENDING_PAYMENT, buyer_note=note[:500], buyer_snapshot=company_snapshot(buyer),
        seller_snapshot=company_snapshot(seller), placed_by=by if _member_of(by, buyer) else None,
        placed_at=timezone.now(), payment_due_at=None, payment_method=payment_method,
    )])
    OrderLine.objects.bulk_create([OrderLine(
        order=order, product=line.product, category=line.category, reservation=line.reservation,
        title=line.title[:120], seller_sku=getattr(line.product, "seller_sku", "") or "",
        attributes=getattr(line.product, "attributes", None) or {}, unit=line.unit or "-", quantity=line.quantity,
        list_price=line.unit_price, unit_price=line.unit_price, amount=to_money(line.amount),
    ) for line in lines])
    audit.record(actor=by, action="order.place", subject=order, company=buyer, after=str(order.total),
                 data={"number": order.number, "seller": seller.pk, "payment_method": payment_method})
    settled = settle_order(order=order, by=by, payment_method=payment_method, reason=reason)
    _notify_new_order(settled)
    return settled


def _member_of(user, company) -> bool:
    """The order's 下单人 is a buyer's member; a deal confirmed last by another company's member
    or run by the system leaves it empty."""
    membership = getattr(user, "membership", None) if user is not None and user.pk else None
    return membership is not None and membership.company_id == company.pk


@transaction.atomic
def settle_order(*, order, by, payment_method, reason) -> Order:
    """Mark a pending order paid by a barter deal or a debt settlement (no transfer to record)."""
    if payment_method not in Order.SETTLED_WITHOUT_MONEY:
        raise ValueError(f"not a settlement: {payment_method}")
    order = order_transition(order_id=order.pk, to=S.PAID, actor=by, reason=reason)
    order.amount_paid, order.payment_method, order.payment_due_at = order.total, payment_method, None
    order.save(update_fields=["amount_paid", "payment_method", "payment_due_at", "updated_at"])
    return order


def _pay_on_account(order, *, by):
    """An on-account order is paid by the buyer's credit line the moment it may go to the seller."""
    order = order_transition(order_id=order.pk, to=S.PAID, actor=by, reason=_("账期支付（信用额度）"))
    order.amount_paid = order.total
    order.save(update_fields=["amount_paid", "updated_at"])
    return order


def _notify_placer(order, *, title, body=""):
    from core.notifications import notify

    if order.placed_by_id and order.placed_by.is_active:
        notify(recipient=order.placed_by, kind="order.approval", key=f"order-approval-result:{order.pk}",
               title=title, body=body, link=order_link(order, BUYER))


# --- messages -------------------------------------------------------------------------------------

@transaction.atomic
def post_order_message(*, by, order_id, body) -> OrderMessage:
    """A message on the order page from either side, at any stage; the other side is told."""
    order = _locked_order(order_id)
    side = _acting(by, order)
    body = (body or "").strip()
    if not body:
        raise BusinessRuleError(_("请填写留言内容。"), code="empty_message", details={"body": _("请填写留言内容。")})
    if len(body) > 2000:
        raise BusinessRuleError(_("留言不能超过 2000 字。"), code="message_too_long",
                                details={"body": _("留言不能超过 2000 字。")})
    message = OrderMessage.objects.create(order=order, author=by, from_seller=side == SELLER, body=body)
    other = BUYER if side == SELLER else SELLER
    if other == BUYER or order.status != S.AWAITING_APPROVAL:
        _notify(order, other, kind="order.message", key=f"order-message:{message.pk}",
                title=_("订单 %(number)s 有新留言") % {"number": order.number}, body=body[:200])
    return message


# --- adjustments before payment ------------------------------------------------------------------

def _ensure_adjustable(order):
    if order.status != S.PENDING_PAYMENT:
        raise Conflict(_("只有待付款的订单可以调整价格或数量。"), code="not_adjustable")
    if _has_unconfirmed_transfer(order):
        raise Conflict(_("买家已登记转账，等待财务确认，不能再调整订单。"), code="transfer_recorded")


@transaction.atomic
def propose_adjustment(*, by, order_id, lines, note="") -> OrderAdjustment:
    """The seller proposes a new quantity and/or unit price per line before payment; nothing
    changes until the buyer accepts. A quantity may not exceed what the line holds plus what is
    available. One open proposal per order.

    `lines` maps a line id to {"quantity": …, "unit_price": …} (either may be left out)."""
    order = _locked_order(order_id)
    _acting(by, order, side=SELLER)
    _ensure_adjustable(order)
    if order.adjustments.filter(status=OrderAdjustment.Status.PROPOSED).exists():
        raise Conflict(_("已有一项调整等待买家确认，请先撤回。"), code="adjustment_open")
    note = (note or "").strip()
    if len(note) > 300:
        raise BusinessRuleError(_("说明不能超过 300 字。"), code="note_too_long",
                                details={"note": _("说明不能超过 300 字。")})
    changes = {}
    for key, change in (lines or {}).items():
        try:
            changes[int(key)] = change or {}
        except (TypeError, ValueError):
            raise BusinessRuleError(_("调整明细格式不正确。"), code="invalid_lines") from None
    order_lines = list(order.lines.select_related("product", "reservation").order_by("pk"))
    unknown = set(changes) - {line.pk for line in order_lines}
    if unknown:
        raise BusinessRuleError(_("调整明细中有不属于该订单的商品。"), code="invalid_lines")
    proposed, changed = [], False
    for line in order_lines:
        change = changes.get(line.pk, {})
        quantity = line.quantity
        if change.get("quantity") not in (None, ""):
            quantity = parse_quantity(change["quantity"], name=f"quantity_{line.pk}")
        unit_price = line.unit_price
        if change.get("unit_price") not in (None, ""):
            unit_price = parse_price(change["unit_price"], name=f"unit_price_{line.pk}")
        if quantity != line.quantity:
            held = _held_quantity(line)
            available = line.product.stock_available if line.product else Decimal(0)
            if line.product is None or quantity > held + available:
                raise BusinessRuleError(
                    _("“%(title)s”最多可调整为 %(max)s%(unit)s（已预留 %(held)s，另有可用 %(available)s）。") % {
                        "title": line.title, "max": _qty(held + available), "unit": line.unit,
                        "held": _qty(held), "available": _qty(available)},
                    code="insufficient_stock", details={f"quantity_{line.pk}": _("超过可用库存。")})
        changed = changed or quantity != line.quantity or unit_price != line.unit_price
        proposed.append({"line": line.pk, "title": line.title, "unit": line.unit,
                         "quantity_before": str(line.quantity), "unit_price_before": str(line.unit_price),
                         "quantity": str(quantity), "unit_price": str(unit_price),
                         "amount": str(to_money(quantity * unit_price))})
    if not changed:
        raise BusinessRuleError(_("调整后的数量和单价与原订单相同。"), code="nothing_changed")
    total_after = to_money(sum(Decimal(entry["amount"]) for entry in proposed))
    adjustment = OrderAdjustment.objects.create(order=order, lines=proposed, total_before=order.total,
                                                total_after=total_after, note=note, proposed_by=by)
    audit.record(actor=by, action="order.adjustment.propose", subject=order, company=order.buyer,
                 before=str(order.total), after=str(total_after), reason=note, data={"adjustment": adjustment.pk})
    _notify(order, BUYER, kind="order.adjustment", key=f"order-adjustment:{adjustment.pk}",
            title=_("卖家调整了订单 %(number)s，请确认") % {"number": order.number},
            body=_("订单金额 %(before)s → %(after)s 元。%(note)s") % {
                "before": order.total, "after": total_after, "note": note})
    return adjustment


def _held_quantity(line):
    reservation = line.reservation
    if reservation is not None and reservation.status == StockReservation.Status.ACTIVE:
        return reservation.quantity
    return Decimal(0)


def _open_adjustment(adjustment_id):
    adjustment = OrderAdjustment.objects.select_for_update().filter(pk=adjustment_id).first()
    if adjustment is None:
        raise NotFound(_("未找到该调整。"))
    order = _locked_order(adjustment.order_id)
    adjustment.refresh_from_db()
    return adjustment, order


def _decide(adjustment, *, by, status, action, reason=""):
    if adjustment.status != OrderAdjustment.Status.PROPOSED:
        raise Conflict(_("该调整已处理。"), code="adjustment_closed")
    adjustment.status, adjustment.decided_by, adjustment.decided_at = status, by, timezone.now()
    adjustment.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(actor=by, action=action, subject=adjustment.order, company=adjustment.order.buyer,
                 before=str(adjustment.total_before), after=str(adjustment.total_after), reason=reason,
                 data={"adjustment": adjustment.pk})


@transaction.atomic
def accept_adjustment(*, by, adjustment_id) -> Order:
    """The buyer accepts the seller's proposal: lines, amounts and total change, and each changed
    line's reservation is replaced by one for the new quantity, all in one transaction."""
    adjustment, order = _open_adjustment(adjustment_id)
    _acting(by, order, side=BUYER)
    if adjustment.status != OrderAdjustment.Status.PROPOSED:
        raise Conflict(_("该调整已处理。"), code="adjustment_closed")
    _ensure_adjustable(order)
    proposed = {entry["line"]: entry for entry in adjustment.lines}
    order_lines = {line.pk: line for line in order.lines.select_related("product", "reservation")}
    if set(proposed) != set(order_lines):
        raise Conflict(_("订单明细已变化，该调整已失效。"), code="adjustment_stale")
    reason = _("订单 %(number)s 调整数量") % {"number": order.number}
    for line in sorted(order_lines.values(), key=lambda line: (line.product_id or 0, line.pk)):
        entry = proposed[line.pk]
        quantity, unit_price = Decimal(entry["quantity"]), Decimal(entry["unit_price"])
        fields = []
        if quantity != line.quantity:
            if line.product is None:
                raise Conflict(_("商品“%(title)s”已删除，不能调整数量。") % {"title": line.title}, code="product_gone")
            if _held_quantity(line):
                release_reservation(reservation_id=line.reservation_id, by=by, reason=reason)
            try:
                line.reservation = reserve_stock(product_id=line.product_id, holder=order.buyer, quantity=quantity,
                                                 by=by, reference=order.number, note=reason)
            except BusinessRuleError as refusal:
                if refusal.code not in ("insufficient_stock", "product_unavailable"):
                    raise
                raise BusinessRuleError(
                    _("“%(title)s”库存不足，无法调整为 %(quantity)s%(unit)s：当前最多 %(max)s%(unit)s。") % {
                        "title": line.title, "quantity": _qty(quantity), "unit": line.unit,
                        "max": _qty(Decimal(refusal.details.get("available", "0")) + _held_quantity(line))},
                    code="insufficient_stock") from None
            line.quantity = quantity
            fields += ["reservation", "quantity"]
        if unit_price != line.unit_price:
            line.unit_price = unit_price
            fields.append("unit_price")
        if fields:
            line.amount = to_money(line.quantity * line.unit_price)
            line.save(update_fields=fields + ["amount"])
    before = order.total
    order.total = to_money(sum(line.amount for line in order_lines.values()))
    order.save(update_fields=["total", "updated_at"])
    _decide(adjustment, by=by, status=OrderAdjustment.Status.ACCEPTED, action="order.adjustment.accept")
    audit.record(actor=by, action="order.total", subject=order, company=order.buyer, before=str(before),
                 after=str(order.total), reason=_("买家确认卖家调整"))
    _notify(order, SELLER, kind="order.adjustment", key=f"order-adjustment-accepted:{adjustment.pk}",
            title=_("买家已确认订单 %(number)s 的调整") % {"number": order.number},
            body=_("订单金额现为 %(total)s 元。") % {"total": order.total})
    return order


@transaction.atomic
def decline_adjustment(*, by, adjustment_id, reason="") -> OrderAdjustment:
    """The buyer declines the proposal; the order stays as it was."""
    adjustment, order = _open_adjustment(adjustment_id)
    _acting(by, order, side=BUYER)
    reason = (reason or "").strip()[:300]
    _decide(adjustment, by=by, status=OrderAdjustment.Status.DECLINED, action="order.adjustment.decline",
            reason=reason)
    _notify(order, SELLER, kind="order.adjustment", key=f"order-adjustment-declined:{adjustment.pk}",
            title=_("买家拒绝了订单 %(number)s 的调整") % {"number": order.number}, body=reason)
    return adjustment


@transaction.atomic
def withdraw_adjustment(*, by, adjustment_id) -> OrderAdjustment:
    """The seller takes back a proposal the buyer has not decided on."""
    adjustment, order = _open_adjustment(adjustment_id)
    _acting(by, order, side=SELLER)
    _decide(adjustment, by=by, status=OrderAdjustment.Status.WITHDRAWN, action="order.adjustment.withdraw")
    return adjustment


def close_open_adjustments(*, order, by, reason) -> int:
    """An open proposal lapses when the order stops being adjustable (paid, cancelled).
    Call inside the caller's transaction; safe to call twice."""
    closed = 0
    for adjustment in order.adjustments.select_for_update().filter(status=OrderAdjustment.Status.PROPOSED):
        _decide(adjustment, by=by, status=OrderAdjustment.Status.WITHDRAWN, action="order.adjustment.lapse",
                reason=reason)
        closed += 1
    return closed


# --- cancellation and expiry -----------------------------------------------------------------------

def _required_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise BusinessRuleError(_("请填写原因。"), code="reason_required", details={"reason": _("请填写原因。")})
    if len(reason) > 300:
        raise BusinessRuleError(_("原因不能超过 300 字。"), code="reason_too_long",
                                details={"reason": _("原因不能超过 300 字。")})
    return reason


def _cancel(order, *, by, reason):
    order = order_transition(order_id=order.pk, to=S.CANCELLED, actor=by, reason=reason)
    order.cancel_reason = reason[:300]
    order.save(update_fields=["cancel_reason", "updated_at"])
    release_order_reservations(order=order, by=by, reason=_("订单 %(number)s 取消") % {"number": order.number})
    close_open_adjustments(order=order, by=by, reason=_("订单已取消"))
    if order.payment_method == Order.PaymentMethod.ON_ACCOUNT:
        release_credit(order=order, by=by, reason=reason)
    return order


@transaction.atomic
def cancel_order(*, by, order_id, reason) -> Order:
    """Either side cancels before payment, giving a reason; the stock goes back and the other
    side is told. Not while a recorded transfer waits for finance (the money may have arrived)."""
    reason = _required_reason(reason)
    order = _locked_order(order_id)
    side = _acting(by, order)
    if order.status not in CANCELLABLE[side]:
        raise Conflict(_("只有未付款的订单可以取消；已付款的订单请申请退款。"), code="not_cancellable")
    if not may_cancel(order, side):
        raise Conflict(_("买家已登记转账，等待财务确认，暂不能取消。如需取消请联系客服。"), code="transfer_recorded")
    label = _("买家取消") if side == BUYER else _("卖家取消")
    was_visible_to_seller = order.status != S.AWAITING_APPROVAL
    order = _cancel(order, by=by, reason=f"{label}：{reason}")
    other = SELLER if side == BUYER else BUYER
    if other == BUYER or was_visible_to_seller:
        _notify(order, other, kind="order.cancelled", key=f"order-cancelled:{order.pk}",
                title=(_("订单 %(number)s 已被买家取消") if side == BUYER else _("订单 %(number)s 已被卖家取消")) % {
                    "number": order.number}, body=reason)
    return order


def expire_unpaid_orders(now=None) -> int:
    """Cancel pending-payment orders past their payment deadline and release their stock (the
    scheduled job). An order with a recorded transfer finance has not confirmed gets 24 more
    hours. Each order is its own transaction; running twice does nothing more."""
    now = now or timezone.now()
    expired = 0
    for order_id in Order.objects.filter(status=S.PENDING_PAYMENT, payment_due_at__lt=now).order_by(
            "payment_due_at").values_list("pk", flat=True):
        if _expire_one(order_id, now):
            expired += 1
    return expired


@transaction.atomic
def _expire_one(order_id, now) -> bool:
    order = Order.objects.select_for_update().select_related("buyer", "seller").get(pk=order_id)
    if order.status != S.PENDING_PAYMENT or order.payment_due_at is None or order.payment_due_at >= now:
        return False
    if _has_unconfirmed_transfer(order) and order.payment_due_at + TRANSFER_GRACE >= now:
        return False
    order = _cancel(order, by=None, reason=_("超过付款期限未付款，系统自动取消"))
    for side in (BUYER, SELLER):
        _notify(order, side, kind="order.expired", key=f"order-expired:{order.pk}",
                title=_("订单 %(number)s 超时未付款，已自动取消") % {"number": order.number})
    return True


# --- settings --------------------------------------------------------------------------------------

SETTING_FIELDS = ("payment_window_hours", "auto_receive_days", "refund_auto_approve_hours", "complete_after_days")


@transaction.atomic
def update_order_settings(*, by, **values):
    """Staff (administrators, finance) change the order timings; each change is audited."""
    from core.permissions import StaffRole, has_staff_role
    from orders.models import OrderSettings

    if not has_staff_role(by, StaffRole.ADMINISTRATOR, StaffRole.FINANCE):
        raise NotAllowed(_("只有管理员或财务可以修改订单设置。"))
    OrderSettings.objects.get_or_create(pk=1)  # the row, not a process's copy of it
    current = OrderSettings.objects.select_for_update().get(pk=1)
    changed = []
    for name in SETTING_FIELDS:
        if name not in values or values[name] is None:
            continue
        value = int(values[name])
        if value < 0:
            raise BusinessRuleError(_("设置值不能为负数。"), code="invalid_setting", details={name: _("不能为负数。")})
        before = getattr(current, name)
        if before != value:
            setattr(current, name, value)
            changed.append(name)
            audit.record(actor=by, action=f"order_settings.{name}", subject=current, before=before, after=value)
    if changed:
        current.save(update_fields=changed + ["updated_at"])
    return current
