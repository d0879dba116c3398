"""Payment pages: the buyer records a transfer from the order page (member centre); finance
confirms or rejects recorded transfers in the back office (待确认的转账). Thin: forms parse,
`orders.payments` decides."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import member_page
from core.backoffice import register_queue
from core.errors import BusinessRuleError, Conflict
from core.permissions import StaffRole, staff_required
from core.selectors import audit_events_for
from orders import payments, selectors
from orders.models import Payment

SLIP_VIEWERS = (StaffRole.FINANCE, StaffRole.CUSTOMER_SERVICE, StaffRole.LEGAL)


class TransferForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("转账金额（元）"), max_digits=16, decimal_places=2,
                                min_value=Decimal("0.01"))
    payer_name = forms.CharField(label=gettext_lazy("付款户名"), max_length=100,
                                 help_text=gettext_lazy("须与贵司认证的企业名称一致，否则财务需人工核实。"))
    payer_account = forms.CharField(label=gettext_lazy("付款账号"), max_length=40, required=False)
    bank_reference = forms.CharField(label=gettext_lazy("银行流水号"), max_length=40)
    # An <input type="date"> takes only ISO dates: Chinese formats ("2026/03/01") would show it empty.
    transferred_on = forms.DateField(label=gettext_lazy("转账日期"),
                                     widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    slip = forms.FileField(label=gettext_lazy("转账凭证"), required=False,
                           help_text=gettext_lazy("银行回单，PDF、JPEG 或 PNG，不超过 10 MB。"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))

    @classmethod
    def for_order(cls, order):
        return cls(initial={"amount": payments.recordable(order), "payer_name": order.buyer.name,
                            "transferred_on": timezone.localdate()}, auto_id="transfer_%s")


class ConfirmForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("财务备注"), max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    acknowledge_mismatch = forms.BooleanField(
        label=gettext_lazy("我已核实：付款户名与买家认证名称不一致，但款项确为该订单的货款"), required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("拒绝原因"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("例如：未查到该流水号的入账。买家会收到此原因。"))


def first_error(form):
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}：{errors[0]}" if label else errors[0]
    return ""


# --- member centre (buyer) -----------------------------------------------------------------------

@require_POST
@member_page()
def record_transfer(request, number):
    """The buyer's transfer form on the order page posts here; back to the order page either way."""
    order = get_object_or_404(selectors.orders_for_company(company=request.user.membership.company, side="buyer"),
                              number=number)
    form = TransferForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        data = form.cleaned_data
        try:
            payment = payments.record_transfer(by=request.user, order_id=order.pk, amount=data["amount"],
                                               payer_name=data["payer_name"], payer_account=data["payer_account"],
                                               bank_reference=data["bank_reference"],
                                               transferred_on=data["transferred_on"], slip=data["slip"])
        except BusinessRuleError as error:
            messages.error(request, error.message)
        else:
            if payment.payer_name_matches:
                messages.success(request, _("转账已登记，平台财务核实到账后将确认。"))
            else:
                messages.warning(request, _(
                    "转账已登记。付款户名与贵司认证名称不一致，财务需人工核实，确认可能需要更长时间。"))
    return redirect("member-orders:detail", order.number)


def _slip_response(payment, request):
    if not payment.slip:
        raise Http404
    try:
        stored = payment.slip.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(stored, filename=payment.slip_name or "slip", as_attachment=request.GET.get("download") == "1")


@member_page()
def buyer_slip(request, payment_id):
    """A transfer slip, to the buying company's members who may see its transfers."""
    payment = payments.payment_for_buyer(user=request.user, payment_id=payment_id)
    if payment is None:
        raise Http404
    return _slip_response(payment, request)


# --- back office (finance) -----------------------------------------------------------------------

@staff_required(StaffRole.FINANCE)
def queue(request):
    """Transfers to confirm, oldest first; other statuses and a search for looking things up."""
    status = request.GET.get("status", Payment.Status.RECORDED)
    text = request.GET.get("q", "").strip()
    mismatch = request.GET.get("mismatch") == "1"
    found = Payment.objects.select_related("order", "order__buyer", "order__seller", "recorded_by")
    if status in Payment.Status.values:
        found = found.filter(status=status)
    if text:
        found = found.filter(Q(order__number__icontains=text) | Q(bank_reference__icontains=text)
                             | Q(payer_name__icontains=text) | Q(order__buyer__name__icontains=text))
    if mismatch:
        found = found.filter(payer_name_matches=False)
    ordering = ["recorded_at", "id"] if status == Payment.Status.RECORDED else ["-recorded_at", "-id"]
    return render(request, "backoffice/orders/payments.html", {
        "page": Paginator(found.order_by(*ordering), 30).get_page(request.GET.get("page")),
        "status": status, "q": text, "mismatch": mismatch, "statuses": Payment.Status.choices,
        "waiting": payments.payment_queue().count(),
    })


@staff_required(StaffRole.FINANCE)
def detail(request, payment_id):
    payment = get_object_or_404(Payment.objects.select_related("order", "order__buyer", "order__seller",
                                                               "recorded_by", "decided_by"), pk=payment_id)
    confirm_form, reject_form = ConfirmForm(), RejectForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                confirm_form = ConfirmForm(request.POST)
                if confirm_form.is_valid():
                    payments.confirm_payment(by=request.user, payment_id=payment.pk, **confirm_form.cleaned_data)
                    messages.success(request, _("已确认到账。"))
                    return redirect("backoffice-orders:payments")
            elif action == "reject":
                reject_form = RejectForm(request.POST)
                if reject_form.is_valid():
                    payments.reject_payment(by=request.user, payment_id=payment.pk,
                                            reason=reject_form.cleaned_data["reason"])
                    messages.success(request, _("已拒绝该转账，买家会收到通知。"))
                    return redirect("backoffice-orders:payments")
        except Conflict as error:  # decided meanwhile (a second click, a colleague): show where it stands
            messages.error(request, error.message)
            return redirect("backoffice-orders:payment", payment.pk)
        except BusinessRuleError as error:
            form = confirm_form if action == "confirm" else reject_form
            field = next((name for name in (error.details or {}) if name in form.fields), None)
            form.add_error(field, error.message)
    order = payment.order
    return render(request, "backoffice/orders/payments_detail.html", {
        "payment": payment, "order": order, "confirm_form": confirm_form, "reject_form": reject_form,
        "others": payments.payments_of(order).exclude(pk=payment.pk),
        "outstanding": payments.outstanding(order),
        "same_reference": Payment.objects.filter(bank_reference=payment.bank_reference).exclude(
            pk=payment.pk).select_related("order"),
        "history": audit_events_for(payment)[:50],
    })


@staff_required(*SLIP_VIEWERS)
def staff_slip(request, payment_id):
    return _slip_response(get_object_or_404(Payment, pk=payment_id), request)


member_urlpatterns = [
    path("<str:number>/payments/record/", record_transfer, name="payment-record"),
    path("payments/<int:payment_id>/slip/", buyer_slip, name="payment-slip"),
]
merchant_urlpatterns = []
# Two segments: a one-segment path would be taken for an order number by the order page's "<number>/".
backoffice_urlpatterns = [
    path("finance/transfers/", queue, name="payments"),
    path("finance/transfers/<int:payment_id>/", detail, name="payment"),
    path("finance/transfers/<int:payment_id>/slip/", staff_slip, name="payment-slip"),
]


def register():
    """Back-office work queues of this part (called from OrdersConfig.ready)."""
    register_queue(key="orders.payments", label=gettext_lazy("待确认的转账"), url_name="backoffice-orders:payments",
                   count=lambda: payments.payment_queue().count(), roles=(StaffRole.FINANCE,))
