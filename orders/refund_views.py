"""Refund pages: the buyer requests, withdraws and sends the return from the order page; the
seller approves, rejects and confirms the return from its order page; finance records the refund
transfer in the back office (待退款). Thin: forms parse, `orders.refunds` decides."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import member_page
from core.backoffice import register_queue
from core.errors import BusinessRuleError
from core.flash import run_and_report
from core.inputs import parse_id
from core.permissions import CompanyPermission, StaffRole, has_staff_role, staff_required
from core.selectors import audit_events_for
from orders import refunds, selectors
from orders.models import Refund, Shipment
from orders.payment_views import first_error


class RefundRequestForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("退款原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(label=gettext_lazy("退款金额（元）"), max_digits=16, decimal_places=2, required=False,
                                min_value=Decimal("0.01"), help_text=gettext_lazy("不填则退还全部已付金额。"))


class ReturnShipmentForm(forms.Form):
    carrier = forms.ChoiceField(label=gettext_lazy("承运商"), choices=Shipment.Carrier.choices)
    carrier_name = forms.CharField(label=gettext_lazy("承运商名称"), max_length=60, required=False,
                                   help_text=gettext_lazy("选择“其他物流”时填写，例如德邦物流。"))
    waybill_number = forms.CharField(label=gettext_lazy("退货运单号"), max_length=40)


class RefundRejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("拒绝理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("买家会看到此理由，并可据此发起交易纠纷。"))


class PayoutForm(forms.Form):
    payout_reference = forms.CharField(label=gettext_lazy("退款转账流水号"), max_length=40)


def _buyer_refund(request, refund_id):
    return get_object_or_404(Refund.objects.select_related("order"), pk=refund_id,
                             order__buyer=request.user.membership.company)


def _seller_refund(request, refund_id):
    return get_object_or_404(Refund.objects.select_related("order"), pk=refund_id,
                             order__seller=request.user.membership.company)


# --- member centre (buyer) -----------------------------------------------------------------------

buyer_page = member_page(permission=CompanyPermission.PURCHASING)
seller_page = member_page(permission=CompanyPermission.FULFILMENT)


@require_POST
@buyer_page
def request_refund(request, number):
    order = get_object_or_404(selectors.orders_for_company(company=request.user.membership.company, side="buyer"),
                              number=number)
    form = RefundRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        run_and_report(request, lambda: refunds.request_refund(by=request.user, order_id=order.pk, **form.cleaned_data),
                       _("退款申请已提交，卖家会尽快处理。"))
    return redirect("member-orders:detail", order.number)


@require_POST
@buyer_page
def ship_return(request, refund_id):
    refund = _buyer_refund(request, refund_id)
    form = ReturnShipmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        run_and_report(request, lambda: refunds.ship_return(by=request.user, refund_id=refund.pk, **form.cleaned_data),
                       _("退货运单已提交，卖家收到货物后将确认退货。"))
    return redirect("member-orders:detail", refund.order.number)


@require_POST
@buyer_page
def withdraw(request, refund_id):
    refund = _buyer_refund(request, refund_id)
    run_and_report(request, lambda: refunds.withdraw_refund(by=request.user, refund_id=refund.pk),
                   _("退款申请已撤销。"))
    return redirect("member-orders:detail", refund.order.number)


# --- merchant back end (seller) ------------------------------------------------------------------

@require_POST
@seller_page
def approve(request, refund_id):
    refund = _seller_refund(request, refund_id)
    run_and_report(request, lambda: refunds.approve_refund(by=request.user, refund_id=refund.pk), _("已同意退款。"))
    return redirect("merchant-orders:detail", refund.order.number)


@require_POST
@seller_page
def reject(request, refund_id):
    refund = _seller_refund(request, refund_id)
    form = RefundRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        run_and_report(request, lambda: refunds.reject_refund(by=request.user, refund_id=refund.pk,
                                                              reason=form.cleaned_data["reason"]),
                       _("已拒绝退款申请，买家会收到通知。"))
    return redirect("merchant-orders:detail", refund.order.number)


@require_POST
@seller_page
def confirm_return(request, refund_id):
    """Quantities come as `line_<id>` fields (what actually came back); absent means the whole order."""
    refund = _seller_refund(request, refund_id)
    quantities = {parse_id(name[5:]): value for name, value in request.POST.items()
                  if name.startswith("line_") and parse_id(name[5:]) is not None}
    run_and_report(request, lambda: refunds.confirm_return(by=request.user, refund_id=refund.pk,
                                                           quantities=quantities or None),
                   _("已确认收到退货，货物已入库；平台财务将退款给买家。"))
    return redirect("merchant-orders:detail", refund.order.number)


# --- back office (finance) -----------------------------------------------------------------------

@staff_required(StaffRole.FINANCE)
def queue(request):
    """Refunds waiting for finance's transfer, oldest first; other statuses for looking things up."""
    status = request.GET.get("status", Refund.Status.AWAITING_PAYOUT)
    text = request.GET.get("q", "").strip()
    found = Refund.objects.select_related("order", "order__buyer", "order__seller", "requested_by")
    if status in Refund.Status.values:
        found = found.filter(status=status)
    if text:
        found = found.filter(Q(order__number__icontains=text) | Q(order__buyer__name__icontains=text)
                             | Q(order__seller__name__icontains=text) | Q(payout_reference__icontains=text))
    ordering = ["requested_at", "id"] if status == Refund.Status.AWAITING_PAYOUT else ["-requested_at", "-id"]
    return render(request, "backoffice/orders/refunds.html", {
        "page": Paginator(found.order_by(*ordering), 30).get_page(request.GET.get("page")),
        "status": status, "q": text, "statuses": Refund.Status.choices,
        "waiting": refunds.payout_queue().count(),
    })


@staff_required(StaffRole.FINANCE, StaffRole.CUSTOMER_SERVICE, StaffRole.LEGAL)
def detail(request, refund_id):
    refund = get_object_or_404(Refund.objects.select_related(
        "order", "order__buyer", "order__seller", "requested_by", "seller_decided_by", "paid_out_by",
        "return_shipment"), pk=refund_id)
    form = PayoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            refunds.record_refund_payout(by=request.user, refund_id=refund.pk, **form.cleaned_data)
        except BusinessRuleError as error:
            form.add_error("payout_reference" if "payout_reference" in (error.details or {}) else None,
                           error.message)
        else:
            messages.success(request, _("退款已登记，买卖双方会收到通知。"))
            return redirect("backoffice-orders:refunds")
    return render(request, "backoffice/orders/refunds_detail.html", {
        "refund": refund, "order": refund.order, "form": form,
        "may_pay_out": has_staff_role(request.user, StaffRole.FINANCE),
        "refundable": refunds.refundable_amount(refund.order),
        "payments": refund.order.payments.filter(status="confirmed").order_by("recorded_at"),
        "history": audit_events_for(refund)[:50],
    })


member_urlpatterns = [
    path("<str:number>/refunds/request/", request_refund, name="refund-request"),
    path("refunds/<int:refund_id>/return-shipment/", ship_return, name="refund-return-shipment"),
    path("refunds/<int:refund_id>/withdraw/", withdraw, name="refund-withdraw"),
]
merchant_urlpatterns = [
    path("refunds/<int:refund_id>/approve/", approve, name="refund-approve"),
    path("refunds/<int:refund_id>/reject/", reject, name="refund-reject"),
    path("refunds/<int:refund_id>/confirm-return/", confirm_return, name="refund-confirm-return"),
]
# Two segments: a one-segment path would be taken for an order number by the order page's "<number>/".
backoffice_urlpatterns = [
    path("finance/refunds/", queue, name="refunds"),
    path("finance/refunds/<int:refund_id>/", detail, name="refund"),
]


def register():
    """Back-office work queues of this part (called from OrdersConfig.ready)."""
    register_queue(key="orders.refunds", label=gettext_lazy("待退款"), url_name="backoffice-orders:refunds",
                   count=lambda: refunds.payout_queue().count(), roles=(StaffRole.FINANCE,))
