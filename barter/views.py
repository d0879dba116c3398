"""Barter pages (member centre, merchant back end, back office) and API endpoints. Thin: parse,
call one service or selector, render. Another company's listing or proposal is a 404."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import member_page
from barter import selectors, services
from barter.forms import window_from
from barter.models import Listing, MatchingRun, Proposal
from catalog.models import Category, Product
from core import audit
from core.errors import BusinessRuleError
from core.inputs import safe_next
from core.permissions import CompanyPermission, StaffRole, staff_required
from core.selectors import audit_events_for

BARTER = CompanyPermission.BARTER
STAFF_ROLES = (StaffRole.CUSTOMER_SERVICE, StaffRole.FINANCE, StaffRole.LEGAL, StaffRole.ACCOUNT_MANAGER)


def _company(request):
    return request.user.membership.company


def _categories():
    return Category.objects.filter(is_active=True).order_by("position", "name")


def _trail(proposal):
    return audit_events_for(proposal)


# --- member centre: barter profile, wants, proposals ------------------------------------------

@member_page(permission=BARTER)
def member_home(request):
    company = _company(request)
    errors = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "profile":
                services.set_cash_limit(by=request.user, cash_limit=request.POST.get("cash_limit", ""),
                                        note=request.POST.get("note", ""))
                messages.success(request, _("现金差额上限已保存。"))
            else:
                start, until, errors = window_from(request.POST)
                if not errors:
                    services.create_want(
                        by=request.user, category_id=request.POST.get("category") or None,
                        budget=request.POST.get("budget", ""), max_unit_value=request.POST.get("max_unit_value", ""),
                        quantity=request.POST.get("quantity") or None, title=request.POST.get("title", ""),
                        location=request.POST.get("location", ""), available_from=start, available_until=until)
                    messages.success(request, _("求购已发布。"))
            if not errors:
                return redirect("member-barter:home")
        except BusinessRuleError as refusal:
            errors = refusal.details or {"__all__": refusal.message}
            messages.error(request, refusal.message)
    return render(request, "member/barter/home.html", {
        "profile": services.profile_of(company), "errors": errors, "form": request.POST,
        "wants": selectors.listings_for_company(company=company, kind=Listing.Kind.WANT)[:100],
        "proposals": selectors.proposals_for_company(company=company)[:50], "categories": _categories(),
    }, status=422 if errors else 200)


@member_page(permission=BARTER)
@require_POST
def member_withdraw(request, listing_id):
    try:
        services.withdraw_listing(by=request.user, listing_id=listing_id, reason=request.POST.get("reason", ""))
        messages.success(request, _("挂牌已撤回。"))
    except BusinessRuleError as refusal:
        messages.error(request, refusal.message)
    return redirect(safe_next(request, reverse("member-barter:home")))


@member_page(permission=BARTER)
def member_proposal(request, number):
    company = _company(request)
    proposal = selectors.proposal_for_company(company=company, number=number)
    if proposal is None:
        raise Http404
    mine = next(p for p in proposal.participants.all() if p.company_id == company.pk)
    return render(request, "member/barter/proposal.html", {
        "proposal": proposal, "mine": mine, "events": _trail(proposal)})


@member_page(permission=BARTER)
@require_POST
def member_answer(request, number, answer):
    company = _company(request)
    proposal = selectors.proposal_for_company(company=company, number=number)
    if proposal is None:
        raise Http404
    try:
        if answer == "confirm":
            services.confirm_proposal(by=request.user, proposal_id=proposal.pk)
            messages.success(request, _("已确认该易货方案。"))
        else:
            services.reject_proposal(by=request.user, proposal_id=proposal.pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("已拒绝该易货方案，方案失效。"))
    except BusinessRuleError as refusal:
        messages.error(request, refusal.message)
    return redirect("member-barter:proposal", number)


@member_page(permission=BARTER)
def member_lot(request, listing_id):
    """How one of the company's haves was split among counterparties, and what comes back."""
    listing = selectors.listing_for_company(company=_company(request), listing_id=listing_id)
    if listing is None or listing.kind != Listing.Kind.HAVE:
        raise Http404
    return render(request, "member/barter/lot.html", {"listing": listing, "rows": selectors.lot_split(have=listing)})


# --- merchant back end: haves --------------------------------------------------------------

@member_page(permission=BARTER)
def merchant_haves(request):
    company = _company(request)
    errors = {}
    if request.method == "POST":
        start, until, errors = window_from(request.POST)
        if not errors:
            try:
                services.create_have(
                    by=request.user, product_id=request.POST.get("product") or None,
                    title=request.POST.get("title", ""), category_id=request.POST.get("category") or None,
                    unit=request.POST.get("unit", ""), quantity=request.POST.get("quantity", ""),
                    unit_value=request.POST.get("unit_value", ""), location=request.POST.get("location", ""),
                    note=request.POST.get("note", ""), available_from=start, available_until=until)
                messages.success(request, _("供货已发布。"))
                return redirect("merchant-barter:haves")
            except BusinessRuleError as refusal:
                errors = refusal.details or {"__all__": refusal.message}
                messages.error(request, refusal.message)
    return render(request, "merchant/barter/haves.html", {
        "haves": selectors.listings_for_company(company=company, kind=Listing.Kind.HAVE)[:200],
        "products": Product.objects.filter(seller=company).order_by("title"), "categories": _categories(),
        "errors": errors, "form": request.POST,
    }, status=422 if errors else 200)


# --- back office ------------------------------------------------------------------------------

@staff_required(*STAFF_ROLES)
def staff_runs(request):
    if request.method == "POST":
        from barter.runs import start_matching_run

        try:
            start_matching_run(by=request.user)
            messages.success(request, _("撮合运行已排队。"))
        except BusinessRuleError as refusal:
            messages.error(request, refusal.message)
        return redirect("backoffice-barter:runs")
    return render(request, "backoffice/barter/runs.html", {"runs": selectors.runs()[:30]})


@staff_required(*STAFF_ROLES)
def staff_run_progress(request, run_id):
    run = MatchingRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return render(request, "backoffice/barter/run_progress.html", {"run": run})


@staff_required(*STAFF_ROLES)
def staff_deals(request):
    status = request.GET.get("status", "")
    if status not in Proposal.Status.values:
        status = ""
    overdue = request.GET.get("overdue") == "1"
    return render(request, "backoffice/barter/deals.html", {
        "deals": selectors.deals(status=status or None, overdue=overdue)[:200], "status": status,
        "overdue": overdue, "statuses": Proposal.Status.choices})


@staff_required(*STAFF_ROLES)
def staff_deal(request, number):
    proposal = selectors.staff_deal(number=number)
    if proposal is None:
        raise Http404
    return render(request, "backoffice/barter/deal.html", {"proposal": proposal, "events": _trail(proposal)})


@staff_required(StaffRole.FINANCE)
def staff_settlements(request):
    if request.method == "POST":
        try:
            services.confirm_settlement(by=request.user, settlement_id=request.POST.get("settlement"),
                                        reference=request.POST.get("reference", ""))
            messages.success(request, _("差额结算已确认。"))
        except BusinessRuleError as refusal:
            messages.error(request, refusal.message)
        return redirect("backoffice-barter:settlements")
    return render(request, "backoffice/barter/settlements.html",
                  {"settlements": selectors.pending_settlements()[:200]})


member_urlpatterns = [
    path("", member_home, name="home"),
    path("listings/<int:listing_id>/withdraw/", member_withdraw, name="withdraw"),
    path("listings/<int:listing_id>/lot/", member_lot, name="lot"),
    path("proposals/<str:number>/", member_proposal, name="proposal"),
    path("proposals/<str:number>/confirm/", member_answer, {"answer": "confirm"}, name="confirm"),
    path("proposals/<str:number>/reject/", member_answer, {"answer": "reject"}, name="reject"),
]
merchant_urlpatterns = [
    path("", merchant_haves, name="haves"),
]
backoffice_urlpatterns = [
    path("", staff_runs, name="runs"),
    path("runs/<int:run_id>/progress/", staff_run_progress, name="run-progress"),
    path("deals/", staff_deals, name="deals"),
    path("deals/<str:number>/", staff_deal, name="deal"),
    path("settlements/", staff_settlements, name="settlements"),
]


from barter import api  # noqa: E402  (the API views live beside these pages)

api_urlpatterns = api.urlpatterns


def register():
    """Back-office work queues, schedules and audit action names (called from BarterConfig.ready)."""
    from core.backoffice import register_queue
    from core.schedules import register_schedule

    register_queue(key="barter-overdue-proposals", label=gettext_lazy("待确认的易货方案"),
                   url_name="backoffice-barter:deals", count=lambda: selectors.overdue_proposals().count(),
                   roles=STAFF_ROLES)
    register_queue(key="barter-settlements", label=gettext_lazy("待确认的易货差额结算"),
                   url_name="backoffice-barter:settlements", count=lambda: selectors.pending_settlements().count(),
                   roles=(StaffRole.FINANCE,))
    register_schedule(name="barter-daily-matching-run", task="barter.tasks.start_daily_matching_run",
                      crontab={"minute": "30", "hour": "2"}, description=gettext_lazy("每日易货撮合运行"))
    register_schedule(name="barter-watch-stalled-runs", task="barter.tasks.watch_stalled_matching_runs",
                      crontab={"minute": "*/10"}, description=gettext_lazy("每 10 分钟重新排队或结束中断的撮合运行"))
    register_schedule(name="barter-expire-listings", task="barter.tasks.expire_listings",
                      crontab={"minute": "10", "hour": "0"}, description=gettext_lazy("易货挂牌到期下架"))
    register_schedule(name="barter-lapse-overdue-proposals", task="barter.tasks.lapse_overdue_proposals",
                      crontab={"minute": "*/15"}, description=gettext_lazy("易货方案逾期未确认自动失效"))
    register_schedule(name="barter-follow-deals", task="barter.tasks.follow_executing_deals",
                      crontab={"minute": "45"}, description=gettext_lazy("易货方案执行跟踪"))
    audit.describe_actions({
        "barter.listing.create": gettext_lazy("创建易货挂牌"),
        "barter.listing.relist": gettext_lazy("未成交部分重新挂牌"),
        "barter.listing.status": gettext_lazy("易货挂牌状态"),
        "barter.profile.cash_limit": gettext_lazy("设置易货现金差额上限"),
        "barter.run.start": gettext_lazy("发起易货撮合"),
        "barter.run.fail": gettext_lazy("易货撮合运行中断"),
        "barter.proposal.create": gettext_lazy("生成易货方案"),
        "barter.proposal.status": gettext_lazy("易货方案状态"),
        "barter.proposal.confirm": gettext_lazy("确认易货方案"),
        "barter.proposal.reject": gettext_lazy("拒绝易货方案"),
        "barter.proposal.order": gettext_lazy("生成易货订单"),
        "barter.settlement.create": gettext_lazy("生成易货差额结算"),
        "barter.settlement.confirm": gettext_lazy("确认易货差额结算"),
    }, values={"barter.listing.status": Listing.Status, "barter.proposal.status": Proposal.Status})

