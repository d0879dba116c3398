"""交易纠纷 pages: the parties' actions from the order page (buyer in the member centre, seller in
the merchant back end), evidence downloads, and the mediators' queue and case page in the back
office. Thin: parse, call one service in orders.disputes, report its message, redirect."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import member_page
from core.backoffice import register_queue
from core.errors import BusinessRuleError
from core.flash import run_and_report
from core.permissions import StaffRole, has_staff_role, staff_required
from orders import disputes
from orders.models import Dispute, Order

BUYER, SELLER = disputes.BUYER, disputes.SELLER
ORDER_PAGE = {BUYER: "member-orders:detail", SELLER: "merchant-orders:detail", "staff": "backoffice-orders:detail"}
STAFF_ROLES = disputes.ARBITRATION_ROLES


class MediationForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("裁决结果"), choices=Dispute.Outcome.choices,
                                widget=forms.RadioSelect)
    refund_amount = forms.DecimalField(label=gettext_lazy("部分退款金额（元）"), required=False, max_digits=16,
                                       decimal_places=2, help_text=gettext_lazy("仅部分退款时填写。"))
    explanation = forms.CharField(label=gettext_lazy("裁决理由"), max_length=3000,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=gettext_lazy("双方都会看到，请写明依据的事实和证据。"))


class ReferralForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("移交仲裁的原因"), max_length=3000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("调解记录"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=gettext_lazy("与双方沟通的要点；会写入仲裁材料。"))


def _order_page(side, number):
    try:
        return reverse(ORDER_PAGE[side], args=[number])
    except NoReverseMatch:  # the order page of that area is not mounted: fall back to the list
        return reverse({BUYER: "member-orders:list", SELLER: "merchant:home", "staff": "backoffice-orders:disputes"}[
            side])


def _opened_message(dispute):
    if dispute.status == Dispute.Status.DECIDED:
        return _("纠纷已按规则自动裁决：%(decision)s") % {"decision": dispute.decision}
    return _("纠纷已提交。没有适用的自动裁决规则，平台调解员将尽快处理，请及时上传证据。")


# --- the parties (buyer in the member centre, seller in the merchant back end) --------------------

def _party_views(side):
    permission = disputes.SIDE_PERMISSION[side]

    @require_POST
    @member_page(permission=permission)
    def open_view(request, number):
        company = request.user.membership.company
        order = get_object_or_404(Order, number=number, **{side: company})
        run_and_report(request, lambda: disputes.open_dispute(
            by=request.user, order_id=order.pk, kind=request.POST.get("kind", ""),
            claim=request.POST.get("claim", ""), claimed_amount=request.POST.get("claimed_amount", "").strip() or None,
            evidence=request.FILES.getlist("evidence")), _opened_message)
        return redirect(_order_page(side, order.number))

    @require_POST
    @member_page(permission=permission)
    def evidence_view(request, dispute_id):
        dispute = _party_dispute(request, dispute_id, side)
        run_and_report(request, lambda: disputes.add_evidence(by=request.user, dispute_id=dispute.pk,
                                                              upload=request.FILES.get("evidence"),
                                                              note=request.POST.get("note", "")),
                       _("证据已提交，对方和调解员可以查看。"))
        return redirect(_order_page(side, dispute.order.number))

    @require_POST
    @member_page(permission=permission)
    def withdraw_view(request, dispute_id):
        dispute = _party_dispute(request, dispute_id, side)
        run_and_report(request, lambda: disputes.withdraw_dispute(by=request.user, dispute_id=dispute.pk),
                       _("纠纷已撤回，订单恢复正常流程。"))
        return redirect(_order_page(side, dispute.order.number))

    return open_view, evidence_view, withdraw_view


def _party_dispute(request, dispute_id, side):
    company = request.user.membership.company
    return get_object_or_404(Dispute.objects.select_related("order"), pk=dispute_id, **{f"order__{side}": company})


@login_required
def evidence_file(request, evidence_id):
    """An evidence file, to the order's two parties and to staff only."""
    found = disputes.evidence_for(user=request.user, evidence_id=evidence_id)
    if found is None:
        raise Http404
    try:
        stored = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(stored, content_type=found.content_type, filename=found.original_name,
                        as_attachment=request.GET.get("download") == "1")


buyer_open, buyer_evidence, buyer_withdraw = _party_views(BUYER)
seller_open, seller_evidence, seller_withdraw = _party_views(SELLER)


# --- the back office ----------------------------------------------------------------------------

@staff_required(*STAFF_ROLES)
def queue(request):
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    return render(request, "backoffice/orders/disputes.html", {
        "disputes": disputes.mediation_queue(status=status, kind=kind)[:200], "status": status, "kind": kind,
        "statuses": Dispute.Status.choices, "kinds": Dispute.Kind.choices,
    })


@staff_required(*STAFF_ROLES)
def detail(request, dispute_id):
    dispute = get_object_or_404(Dispute.objects.select_related(
        "order", "order__buyer", "order__seller", "opened_by", "mediator", "decided_by"), pk=dispute_id)
    order = dispute.order
    if dispute.status in (Dispute.Status.OPEN, Dispute.Status.MEDIATION, Dispute.Status.ARBITRATION):
        facts = disputes.facts_for_display(disputes.storable_facts(
            disputes.dispute_facts(order=order, dispute=dispute)))
    else:
        facts = disputes.facts_for_display(dispute.facts or {})
    return render(request, "backoffice/orders/disputes_detail.html", {
        "dispute": dispute, "order": order, "facts": facts,
        "evidence": dispute.evidence.select_related("uploaded_by"),
        "lines": order.lines.all(), "payments": order.payments.all(),
        "shipments": order.shipments.prefetch_related("events"), "refunds": order.refunds.all(),
        "order_messages": order.messages.select_related("author"),
        "history": disputes.dispute_history(dispute),
        "mediation_form": MediationForm(), "referral_form": ReferralForm(), "note_form": NoteForm(),
        "may_mediate": has_staff_role(request.user, StaffRole.CUSTOMER_SERVICE),
        "other_disputes": disputes.disputes_of_order(order).exclude(pk=dispute.pk),
    })


def _back(dispute_id):
    return redirect("backoffice-orders:dispute", dispute_id)


@require_POST
@staff_required(StaffRole.CUSTOMER_SERVICE)
def assign(request, dispute_id):
    run_and_report(request, lambda: disputes.assign_mediator(by=request.user, dispute_id=dispute_id),
                   _("您已受理该纠纷，双方已收到通知。"))
    return _back(dispute_id)


@require_POST
@staff_required(*STAFF_ROLES)
def mediate(request, dispute_id):
    form = MediationForm(request.POST)
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        messages.error(request, f"{form.fields[name].label}：{errors[0]}" if name in form.fields else errors[0])
        return _back(dispute_id)
    data = form.cleaned_data
    run_and_report(request, lambda: disputes.mediate(by=request.user, dispute_id=dispute_id, outcome=data["outcome"],
                                                     refund_amount=data["refund_amount"],
                                                     explanation=data["explanation"]),
                   lambda dispute: _("已裁决：%(decision)s") % {"decision": dispute.decision})
    return _back(dispute_id)


@require_POST
@staff_required(*STAFF_ROLES)
def refer(request, dispute_id):
    run_and_report(request, lambda: disputes.refer_to_arbitration(by=request.user, dispute_id=dispute_id,
                                                                  note=request.POST.get("note", "")),
                   _("纠纷已移交仲裁，可下载仲裁材料。"))
    return _back(dispute_id)


@require_POST
@staff_required(*STAFF_ROLES)
def note(request, dispute_id):
    run_and_report(request, lambda: disputes.add_mediation_note(by=request.user, dispute_id=dispute_id,
                                                                body=request.POST.get("body", "")),
                   _("调解记录已保存。"))
    return _back(dispute_id)


@staff_required(*STAFF_ROLES)
def dossier(request, dispute_id):
    try:
        pdf = disputes.dispute_dossier(by=request.user, dispute_id=dispute_id)
    except BusinessRuleError as error:
        messages.error(request, error.message)
        return _back(dispute_id)
    dispute = Dispute.objects.select_related("order").get(pk=dispute_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="dispute-{dispute.pk}-{dispute.order.number}.pdf"')
    return response


member_urlpatterns = [
    path("<str:number>/disputes/open/", buyer_open, name="dispute-open"),
    path("disputes/<int:dispute_id>/evidence/", buyer_evidence, name="dispute-evidence"),
    path("disputes/<int:dispute_id>/withdraw/", buyer_withdraw, name="dispute-withdraw"),
    path("disputes/evidence/<int:evidence_id>/", evidence_file, name="dispute-evidence-file"),
]
merchant_urlpatterns = [
    path("<str:number>/disputes/open/", seller_open, name="dispute-open"),
    path("disputes/<int:dispute_id>/evidence/", seller_evidence, name="dispute-evidence"),
    path("disputes/<int:dispute_id>/withdraw/", seller_withdraw, name="dispute-withdraw"),
    path("disputes/evidence/<int:evidence_id>/", evidence_file, name="dispute-evidence-file"),
]
backoffice_urlpatterns = [
    path("disputes/queue/", queue, name="disputes"),
    path("disputes/<int:dispute_id>/", detail, name="dispute"),
    path("disputes/<int:dispute_id>/assign/", assign, name="dispute-assign"),
    path("disputes/<int:dispute_id>/mediate/", mediate, name="dispute-mediate"),
    path("disputes/<int:dispute_id>/refer/", refer, name="dispute-refer"),
    path("disputes/<int:dispute_id>/note/", note, name="dispute-note"),
    path("disputes/<int:dispute_id>/dossier.pdf", dossier, name="dispute-dossier"),
    path("disputes/evidence/<int:evidence_id>/", evidence_file, name="dispute-evidence-file"),
]


def register():
    """Back-office work queues of this part (called from OrdersConfig.ready)."""
    register_queue(key="order-disputes", label=gettext_lazy("待调解的纠纷"), url_name="backoffice-orders:disputes",
                   count=disputes.mediation_queue_count, roles=(StaffRole.CUSTOMER_SERVICE,))
