"""Barter writes: the barter profile, listings (haves and wants), answers to proposals, lapses,
cash settlements and the jobs that keep the book honest (expiry, overdue confirmations).

Who may: a member with the BARTER permission of a company that may barter (verified), checked
here for every caller (pages, API, tasks). Matching runs are in barter/runs.py, turning a
confirmed deal into orders and settlements in barter/execution.py.
"""

import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.rules import Activity
from accounts.services import notify_company
from barter.models import BarterProfile, Listing, Participant, Proposal, Settlement, Transfer
from barter.states import listing_transition, proposal_transition
from catalog.models import Category, Product, StockReservation
from catalog.services import release_reservation
from core import audit
from core.errors import Conflict, NotAllowed, NotFound
from core.inputs import clean_text, parse_id, parse_money, refuse
from core.money import to_money
from core.permissions import CompanyPermission, StaffRole, has_staff_role

L = Listing.Status
P = Proposal.Status
CONFIRMATION_DAYS = 3
MAX_AMOUNT = Decimal("1e12")
MAX_QUANTITY = Decimal("1e9")
HELD_BY_OPEN = (P.PROPOSED,)
HELD_BY_DONE = (P.EXECUTING, P.COMPLETED)


# --- who may ---------------------------------------------------------------------------------

def barter_membership(by):
    """The member acts for its company in barter: BARTER permission, a company that may barter."""
    membership = rules.ensure_member_may(by, CompanyPermission.BARTER)
    rules.ensure_company_may(membership.company, Activity.BARTER)
    return membership


def ensure_finance(user):
    if not has_staff_role(user, StaffRole.FINANCE):
        raise NotAllowed(_("只有平台财务可以确认易货差额结算。"), code="finance_only")


# --- parsing -----------------------------------------------------------------------------------

def parse_amount(value, field, *, label):
    """A positive amount in CNY (`core.inputs.parse_money`), the refusals naming `label`."""
    amount = parse_money(value, field, label=label)
    if amount <= 0:
        refuse(field, _("%(label)s必须大于 0。") % {"label": label}, "invalid_amount")
    if amount >= MAX_AMOUNT:
        refuse(field, _("%(label)s过大。") % {"label": label}, "invalid_amount")
    return amount


def parse_quantity(value, field="quantity"):
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        quantity = None
    if quantity is None or not quantity.is_finite() or quantity <= 0:
        refuse(field, _("数量必须大于 0。"), "invalid_quantity")
    if quantity != quantity.quantize(Decimal("0.001")):
        refuse(field, _("数量最多三位小数。"), "invalid_quantity")
    if quantity >= MAX_QUANTITY:
        refuse(field, _("数量过大。"), "invalid_quantity")
    return quantity


def _window(available_from, available_until):
    if available_from is None:
        refuse("available_from", _("请填写有效期开始日期。"), "window_required")
    if available_until is None:
        refuse("available_until", _("请填写有效期结束日期。"), "window_required")
    if available_until < available_from:
        refuse("available_until", _("有效期结束日期不能早于开始日期。"), "window_reversed")
    if available_until < timezone.localdate():
        refuse("available_until", _("有效期结束日期不能早于今天。"), "window_past")
    return available_from, available_until


def _category(category_id):
    category_id = parse_id(category_id)
    category = Category.objects.filter(pk=category_id, is_active=True).first() if category_id else None
    if category is None:
        refuse("category", _("请选择有效的类目。"), "invalid_category")
    return category


# --- the one category rule ------------------------------------------------------------------

LIVE = (L.DRAFT, L.ACTIVE, L.MATCHED)


def _ensure_category_free(company, category, kind):
    """A company may not want a category it offers (the engine's rule), nor offer one it wants."""
    other = Listing.Kind.WANT if kind == Listing.Kind.HAVE else Listing.Kind.HAVE
    if Listing.objects.filter(company=company, kind=other, category=category, status__in=LIVE).exists():
        message = (_("贵司已在“%(category)s”类目供货，不能在同一类目求购。") if kind == Listing.Kind.WANT
                   else _("贵司已在“%(category)s”类目求购，不能在同一类目供货。"))
        refuse("category", message % {"category": category.name}, "category_conflict")


def _number(prefix):
    return f"{prefix}-{timezone.localdate():%Y%m%d}-{secrets.token_hex(4).upper()}"


# --- barter profile -----------------------------------------------------------------------------

def profile_of(company):
    return BarterProfile.objects.filter(company=company).first() or BarterProfile(company=company)


@transaction.atomic
def set_cash_limit(*, by, cash_limit, note=""):
    """The company states the most cash it will pay or receive to balance a deal (0: goods only)."""
    company = barter_membership(by).company
    try:
        limit = Decimal(str(cash_limit).strip())
    except (InvalidOperation, ValueError, TypeError):
        limit = None
    if limit is None or not limit.is_finite() or limit < 0 or limit != limit.quantize(Decimal("0.01")):
        refuse("cash_limit", _("现金差额上限须为不小于 0 的金额，最多两位小数。"), "invalid_amount")
    if limit >= MAX_AMOUNT:
        refuse("cash_limit", _("现金差额上限过大。"), "invalid_amount")
    note = clean_text(note, "note", label=_("说明"), max_length=300, required=False)
    profile, _created = BarterProfile.objects.select_for_update().get_or_create(company=company)
    before = profile.cash_limit
    profile.cash_limit, profile.note, profile.updated_by = to_money(limit), note, by
    profile.save(update_fields=["cash_limit", "note", "updated_by", "updated_at"])
    audit.record(actor=by, action="barter.profile.cash_limit", subject=profile, company=company,
                 before=str(before), after=str(profile.cash_limit))
    return profile


# --- listings -----------------------------------------------------------------------------------

def _save_new(listing, *, by, publish):
    listing.number = _number("BH" if listing.is_have else "BW")
    listing.created_by = by
    listing.save()
    audit.record(actor=by, action="barter.listing.create", subject=listing, company=listing.company,
                 after=listing.number, data={"kind": listing.kind})
    if publish:
        listing = listing_transition(listing_id=listing.pk, to=L.ACTIVE, actor=by, reason=_("发布挂牌"))
    return listing


def _check_have_stock(product, quantity):
    if quantity > product.stock_available:
        refuse("quantity", _("供货数量不能超过“%(title)s”的可用库存 %(available)s。") % {
            "title": product.title, "available": product.stock_available.normalize()}, "insufficient_stock")


@transaction.atomic
def create_have(*, by, quantity, unit_value, available_from, available_until, product_id=None, title="",
                category_id=None, unit="", location="", note="", publish=True) -> Listing:
    """A have: from one of the company's own catalogue products (title, category and unit come from
    it; quantity at most its available stock) or free-form (title, category, unit given)."""
    company = barter_membership(by).company
    if product_id:
        product_id = parse_id(product_id)
        product = Product.objects.select_related("category").filter(pk=product_id, seller=company).first() \
            if product_id else None
        if product is None:
            refuse("product", _("请选择本企业的商品。"), "invalid_product")
        category, title, unit = product.category, product.title, product.get_unit_display()
    else:
        product = None
        title = clean_text(title, "title", label=_("名称"), max_length=120)
        category = _category(category_id)
        unit = clean_text(unit, "unit", label=_("单位"), max_length=10)
    quantity = parse_quantity(quantity)
    if product is not None:
        _check_have_stock(product, quantity)
    listing = Listing(
        company=company, kind=Listing.Kind.HAVE, category=category, product=product, title=title, unit=unit,
        quantity=quantity, unit_value=parse_amount(unit_value, "unit_value", label=_("单位价值")),
        location=clean_text(location, "location", label=_("所在城市"), max_length=40, required=False),
        note=clean_text(note, "note", label=_("说明"), max_length=300, required=False),
    )
    listing.available_from, listing.available_until = _window(available_from, available_until)
    _ensure_category_free(company, category, Listing.Kind.HAVE)
    return _save_new(listing, by=by, publish=publish)


@transaction.atomic
def create_want(*, by, category_id, budget, max_unit_value, available_from, available_until, quantity=None,
                title="", unit="", location="", note="", publish=True) -> Listing:
    """A want: a category, a budget, the most it pays per unit, optionally a quantity."""
    company = barter_membership(by).company
    category = _category(category_id)
    _ensure_category_free(company, category, Listing.Kind.WANT)
    listing = Listing(
        company=company, kind=Listing.Kind.WANT, category=category,
        title=clean_text(title, "title", label=_("名称"), max_length=120, required=False) or category.name,
        unit=clean_text(unit, "unit", label=_("单位"), max_length=10, required=False),
        quantity=parse_quantity(quantity) if quantity not in (None, "") else None,
        budget=parse_amount(budget, "budget", label=_("预算")),
        max_unit_value=parse_amount(max_unit_value, "max_unit_value", label=_("最高单位价值")),
        location=clean_text(location, "location", label=_("所在城市"), max_length=40, required=False),
        note=clean_text(note, "note", label=_("说明"), max_length=300, required=False),
    )
    listing.available_from, listing.available_until = _window(available_from, available_until)
    return _save_new(listing, by=by, publish=publish)


def _own_listing(by, listing_id):
    company = barter_membership(by).company
    listing = Listing.objects.select_for_update(of=("self",)).select_related("product").filter(
        pk=listing_id, company=company).first()
    if listing is None:
        raise NotFound(_("未找到该挂牌。"))
    return listing


@transaction.atomic
def publish_listing(*, by, listing_id) -> Listing:
    """A draft goes into the book once its window and (catalogue haves) stock still hold."""
    listing = _own_listing(by, listing_id)
    if listing.status != L.DRAFT:
        raise Conflict(_("只有草稿可以发布。"), code="not_draft")
    _window(listing.available_from, listing.available_until)
    if listing.product is not None:
        _check_have_stock(listing.product, listing.quantity)
    _ensure_category_free(listing.company, listing.category, listing.kind)
    return listing_transition(listing_id=listing.pk, to=L.ACTIVE, actor=by, reason=_("发布挂牌"))


@transaction.atomic
def withdraw_listing(*, by, listing_id, reason="") -> Listing:
    """The company takes a listing out of the book; not while a proposal holds it."""
    listing = _own_listing(by, listing_id)
    if listing.status == L.MATCHED:
        raise Conflict(_("该挂牌已被易货方案锁定，请先处理方案（确认或拒绝）。"), code="listing_held")
    if listing.status not in (L.DRAFT, L.ACTIVE):
        raise Conflict(_("该挂牌已结束，不能撤回。"), code="listing_closed")
    return listing_transition(listing_id=listing.pk, to=L.WITHDRAWN, actor=by,
                              reason=(reason or "").strip()[:300] or _("企业撤回"))


def expire_listings(*, today=None) -> int:
    """Active listings whose window has ended leave the book (scheduled daily; safe to run twice).
    A matched listing stays held by its proposal; it expires when that proposal lapses."""
    today = today or timezone.localdate()
    expired = 0
    for listing_id in Listing.objects.filter(status=L.ACTIVE, available_until__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            listing = Listing.objects.select_for_update().get(pk=listing_id)
            if listing.status != L.ACTIVE or listing.available_until >= today:
                continue
            listing_transition(listing_id=listing.pk, to=L.EXPIRED, actor=None, reason=_("有效期已过"))
            expired += 1
    return expired


def settle_listing_status(listing_id, *, actor, reason):
    """Put a listing where its proposals leave it: held while one is open, traded once one went
    ahead, otherwise back in the book (or expired when its window closed meanwhile). Locked by the caller's
    transaction."""
    listing = Listing.objects.select_for_update().get(pk=listing_id)
    if listing.status != L.MATCHED:
        return listing
    proposals = Proposal.objects.filter(transfers__have=listing) | Proposal.objects.filter(transfers__want=listing)
    statuses = set(proposals.values_list("status", flat=True))
    if statuses & set(HELD_BY_OPEN):
        return listing
    if statuses & set(HELD_BY_DONE):
        traded = listing_transition(listing_id=listing.pk, to=L.TRADED, actor=actor, reason=reason)
        relist_remainder(traded, actor=actor)
        return traded
    if listing.available_until < timezone.localdate():
        return listing_transition(listing_id=listing.pk, to=L.EXPIRED, actor=actor, reason=_("有效期已过"))
    return listing_transition(listing_id=listing.pk, to=L.ACTIVE, actor=actor, reason=reason)


def relist_remainder(listing, *, actor):
    """What the deals did not use of a traded listing goes back into the book as a new listing on
    the same terms and window: the rest of a have's quantity, the rest of a want's budget (and
    quantity). None when nothing is left or the window has closed."""
    if listing.available_until < timezone.localdate():
        return None
    done = Transfer.objects.filter(proposal__status__in=HELD_BY_DONE)
    if listing.is_have:
        used = done.filter(have=listing).aggregate(quantity=Sum("quantity"))["quantity"] or Decimal(0)
        if listing.quantity - used <= 0:
            return None
        changes = {"quantity": listing.quantity - used}
    else:
        taken = done.filter(want=listing).aggregate(value=Sum("value"), quantity=Sum("quantity"))
        rest = to_money(listing.budget - (taken["value"] or 0))
        if rest <= 0 or (listing.quantity is not None and listing.quantity - (taken["quantity"] or 0) <= 0):
            return None
        changes = {"budget": rest}
        if listing.quantity is not None:
            changes["quantity"] = listing.quantity - (taken["quantity"] or 0)
    remainder = Listing(
        company=listing.company, kind=listing.kind, category=listing.category, product=listing.product,
        title=listing.title, unit=listing.unit, quantity=listing.quantity, unit_value=listing.unit_value,
        budget=listing.budget, max_unit_value=listing.max_unit_value, location=listing.location,
        available_from=max(listing.available_from, timezone.localdate()), available_until=listing.available_until,
        note=listing.note)
    for name, value in changes.items():
        setattr(remainder, name, value)
    remainder = _save_new(remainder, by=actor, publish=True)
    audit.record(actor=actor, action="barter.listing.relist", subject=remainder, company=listing.company,
                 before=listing.number, after=remainder.number, reason=_("未成交部分重新挂牌"))
    return remainder


# --- proposals ----------------------------------------------------------------------------------

def proposal_link(proposal):
    return reverse("member-barter:proposal", args=[proposal.number])


def _locked_proposal(proposal_id):
    proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound(_("未找到该易货方案。"))
    return proposal


def _participant(by, proposal):
    company = barter_membership(by).company
    participant = Participant.objects.select_for_update().filter(proposal=proposal, company=company).first()
    if participant is None:
        raise NotFound(_("未找到该易货方案。"))
    return participant


def _ensure_open(proposal):
    if proposal.status != P.PROPOSED:
        raise Conflict(_("该易货方案已不在待确认状态（%(status)s）。") % {"status": proposal.get_status_display()},
                       code="proposal_closed")
    if proposal.is_overdue():
        raise Conflict(_("该易货方案已过确认截止时间。"), code="proposal_overdue")


def _tell_participants(proposal, *, kind, title, body=""):
    for participant in proposal.participants.select_related("company"):
        notify_company(participant.company, kind=kind, key=f"{kind}:{proposal.pk}", title=title, body=body,
                       link=proposal_link(proposal), permission=CompanyPermission.BARTER)


@transaction.atomic
def confirm_proposal(*, by, proposal_id) -> Proposal:
    """A participant confirms its part. When the last one confirms, the deal executes at once
    (barter/execution.py): orders for every transfer, cash settlements for every balance."""
    from barter.execution import execute_proposal

    proposal = _locked_proposal(proposal_id)
    participant = _participant(by, proposal)
    _ensure_open(proposal)
    if participant.answer != Participant.Answer.PENDING:
        raise Conflict(_("贵司已答复该方案。"), code="already_answered")
    participant.answer, participant.answered_by, participant.answered_at = Participant.Answer.CONFIRMED, by, \
        timezone.now()
    participant.save(update_fields=["answer", "answered_by", "answered_at"])
    audit.record(actor=by, action="barter.proposal.confirm", subject=proposal, company=participant.company,
                 after=participant.company.name)
    if not proposal.participants.exclude(answer=Participant.Answer.CONFIRMED).exists():
        return execute_proposal(proposal_id=proposal.pk, by=by)
    return proposal


@transaction.atomic
def reject_proposal(*, by, proposal_id, reason) -> Proposal:
    """A participant refuses (with a reason): the whole deal lapses, all or nothing."""
    reason = clean_text(reason, "reason", label=_("拒绝原因"), max_length=300)
    proposal = _locked_proposal(proposal_id)
    participant = _participant(by, proposal)
    _ensure_open(proposal)
    participant.answer, participant.answered_by, participant.answered_at = Participant.Answer.REJECTED, by, \
        timezone.now()
    participant.reason = reason
    participant.save(update_fields=["answer", "answered_by", "answered_at", "reason"])
    audit.record(actor=by, action="barter.proposal.reject", subject=proposal, company=participant.company,
                 after=participant.company.name, reason=reason)
    return lapse_proposal(proposal_id=proposal.pk, actor=by,
                          reason=_("%(company)s 拒绝：%(reason)s") % {"company": participant.company.name,
                                                                    "reason": reason})


@transaction.atomic
def lapse_proposal(*, proposal_id, actor, reason) -> Proposal:
    """The deal will not happen: its stock reservations are released and its listings go back to
    the book (unless another proposal still holds them)."""
    proposal = proposal_transition(proposal_id=proposal_id, to=P.LAPSED, actor=actor, reason=reason)
    transfers = list(proposal.transfers.select_related("reservation").order_by("pk"))
    for transfer in sorted(transfers, key=lambda t: (t.reservation.product_id if t.reservation else 0, t.pk)):
        if transfer.reservation is not None and transfer.reservation.status == StockReservation.Status.ACTIVE:
            release_reservation(reservation_id=transfer.reservation_id, by=actor,
                                reason=_("易货方案 %(number)s 失效") % {"number": proposal.number})
    listing_ids = sorted({t.have_id for t in transfers} | {t.want_id for t in transfers})
    for listing_id in listing_ids:
        settle_listing_status(listing_id, actor=actor, reason=_("易货方案 %(number)s 失效，重新挂牌") % {
            "number": proposal.number})
    _tell_participants(proposal, kind="barter.proposal.lapsed",
                       title=_("易货方案 %(number)s 已失效") % {"number": proposal.number}, body=reason)
    return proposal


def lapse_overdue_proposals(*, now=None) -> int:
    """Proposals past their deadline lapse (scheduled; safe to run twice: each is re-read locked)."""
    now = now or timezone.now()
    lapsed = 0
    for proposal_id in Proposal.objects.overdue(now).values_list("pk", flat=True):
        with transaction.atomic():
            proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
            if not proposal.is_overdue(now):
                continue
            waiting = ", ".join(proposal.participants.filter(answer=Participant.Answer.PENDING)
                                .values_list("company__name", flat=True))
            lapse_proposal(proposal_id=proposal.pk, actor=None,
                           reason=_("确认截止时间已过，未确认：%(companies)s") % {"companies": waiting})
            lapsed += 1
    return lapsed


def new_deadline(now=None):
    return (now or timezone.now()) + timedelta(days=CONFIRMATION_DAYS)


# --- cash settlements and completion ----------------------------------------------------------

@transaction.atomic
def confirm_settlement(*, by, settlement_id, reference="") -> Settlement:
    """Platform finance confirms a company's cash balance was paid or received."""
    ensure_finance(by)
    settlement = Settlement.objects.select_for_update().select_related("proposal", "company").filter(
        pk=parse_id(settlement_id)).first()
    if settlement is None:
        raise NotFound(_("未找到该差额结算。"))
    if settlement.status != Settlement.Status.PENDING:
        raise Conflict(_("该差额结算已确认。"), code="settlement_confirmed")
    settlement.reference = clean_text(reference, "reference", label=_("流水号"), max_length=60)
    settlement.status, settlement.confirmed_by, settlement.confirmed_at = Settlement.Status.CONFIRMED, by, \
        timezone.now()
    settlement.save(update_fields=["status", "reference", "confirmed_by", "confirmed_at"])
    audit.record(actor=by, action="barter.settlement.confirm", subject=settlement.proposal,
                 company=settlement.company, after=f"{settlement.get_direction_display()} {settlement.amount}",
                 reason=settlement.reference)
    notify_company(settlement.company, kind="barter.settlement", key=f"barter-settlement:{settlement.pk}",
                   title=_("易货方案 %(number)s 的差额结算已确认") % {"number": settlement.proposal.number},
                   body=_("%(direction)s %(amount)s 元。") % {"direction": settlement.get_direction_display(),
                                                           "amount": settlement.amount},
                   link=proposal_link(settlement.proposal), permission=CompanyPermission.BARTER)
    follow_deal(proposal_id=settlement.proposal_id)
    return settlement


@transaction.atomic
def follow_deal(*, proposal_id) -> Proposal:
    """An executing deal completes once every order is completed and every settlement confirmed."""
    from orders.models import Order

    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != P.EXECUTING:
        return proposal
    statuses = list(Transfer.objects.filter(proposal=proposal).values_list("order__status", flat=True))
    if any(status != Order.Status.COMPLETED for status in statuses):
        return proposal
    if proposal.settlements.exclude(status=Settlement.Status.CONFIRMED).exists():
        return proposal
    proposal = proposal_transition(proposal_id=proposal.pk, to=P.COMPLETED, actor=None,
                                   reason=_("全部订单已完成，差额已结清"))
    _tell_participants(proposal, kind="barter.proposal.completed",
                       title=_("易货方案 %(number)s 已完成") % {"number": proposal.number})
    return proposal


def follow_executing_deals() -> int:
    """Scheduled: complete the deals whose orders and settlements are all done. Safe to run twice."""
    completed = 0
    for proposal_id in Proposal.objects.filter(status=P.EXECUTING).values_list("pk", flat=True):
        if follow_deal(proposal_id=proposal_id).status == P.COMPLETED:
            completed += 1
    return completed
