"""VAT invoice and order document pages.

The buyer requests a 增值税专用发票 from the order page (member centre); finance issues or returns
it in the back office (待开发票). Buyer, seller and staff download the invoice file and the order's
PDF documents (contract, confirmation, delivery note). Thin: forms parse, `orders.invoices` and
`orders.documents` decide.
"""

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import member_page
from core.backoffice import register_queue
from core.errors import BusinessRuleError
from core.permissions import StaffRole, staff_required
from core.selectors import audit_events_for
from orders import documents, invoices
from orders.models import InvoiceRequest, Order

DETAIL_URL = {"buyer": "member-orders:detail", "seller": "merchant-orders:detail", "staff": "backoffice-orders:detail"}


class InvoiceRequestForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("发票抬头"), max_length=100)
    tax_number = forms.CharField(label=gettext_lazy("纳税人识别号"), max_length=30,
                                 help_text=gettext_lazy("15–20 位数字或大写字母，通常为统一社会信用代码。"))
    address = forms.CharField(label=gettext_lazy("注册地址"), max_length=200)
    phone = forms.CharField(label=gettext_lazy("注册电话"), max_length=30)
    bank_name = forms.CharField(label=gettext_lazy("开户银行"), max_length=100)
    bank_account = forms.CharField(label=gettext_lazy("银行账号"), max_length=40)
    amount = forms.DecimalField(label=gettext_lazy("开票金额（元）"), max_digits=16, decimal_places=2, required=False,
                                help_text=gettext_lazy("留空则按已付金额减去退款开具。"))

    @classmethod
    def for_order(cls, order, data=None):
        initial = invoices.invoice_details_from_company(order.buyer)
        initial["amount"] = invoices.invoiceable_amount(order)
        return cls(data, initial=initial, auto_id="invoice_%s")


class IssueInvoiceForm(forms.Form):
    invoice_number = forms.CharField(label=gettext_lazy("发票号码"), max_length=30,
                                     help_text=gettext_lazy("增值税专用发票 8 位数字；数电票 20 位数字。"))
    invoice_file = forms.FileField(label=gettext_lazy("发票文件"),
                                   help_text=gettext_lazy("PDF、JPEG 或 PNG，不超过 10 MB。"),
                                   widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))


class RejectInvoiceForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("退回原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("例如：纳税人识别号与发票抬头不符。买家会收到此原因。"))


def _apply_error(form, error):
    """Put a service's refusal on the form: on each field it names, else on the whole form."""
    named = False
    for field, message in (error.details or {}).items():
        if field in form.fields:
            form.add_error(field, message)
            named = True
    if not named:
        form.add_error(None, error.message)


# --- member centre (buyer) -----------------------------------------------------------------------

@member_page()
def request_invoice(request, number):
    """The request form (prefilled from the company's tax details). The order page's panel posts
    here; success goes back to the order page, a refusal shows this page with the reasons."""
    membership = request.user.membership
    order = get_object_or_404(Order.objects.select_related("buyer", "seller"), number=number,
                              buyer_id=membership.company_id)
    form = InvoiceRequestForm.for_order(order, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invoice = invoices.request_invoice(by=request.user, order_id=order.pk, **form.cleaned_data)
            except BusinessRuleError as error:
                _apply_error(form, error)
            else:
                messages.success(request, _("发票申请已提交（%(amount)s 元），平台财务开具后会通知您。") % {
                    "amount": invoice.amount})
                return redirect("member-orders:detail", order.number)
        status = 422
    refusal = invoices.invoice_refusal(order)
    if not invoices.member_may_handle_invoices(membership):
        refusal = _("您的账号没有“财务与发票”或“采购与订单”权限，请联系企业主账号开通。")
    return render(request, "orders/invoice_request.html", {
        "order": order, "form": form, "refusal": refusal, "invoices": invoices.invoices_of(order),
    }, status=status)


def _invoice_file_response(invoice, request):
    if not invoice.invoice_file:
        raise Http404
    try:
        stored = invoice.invoice_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    suffix = invoice.invoice_file.name.rsplit(".", 1)[-1].lower() if "." in invoice.invoice_file.name else "pdf"
    return FileResponse(stored, filename=f"发票-{invoice.invoice_number}.{suffix}",
                        as_attachment=request.GET.get("download") == "1")


def _viewer_invoice(request, invoice_id):
    invoice = invoices.invoice_for_viewer(user=request.user, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    return _invoice_file_response(invoice, request)


@member_page()
def invoice_file(request, invoice_id):
    """The issued invoice, to members of the order's buyer or seller."""
    return _viewer_invoice(request, invoice_id)


def content_disposition(filename, ascii_fallback, *, attachment=True):
    """A header browsers read in any language: ASCII name plus the UTF-8 one (RFC 5987/6266)."""
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename)}"


def document_response(request, order, kind, *, side):
    """The PDF, or back to the order page with the reason (not available yet, no Chinese font)."""
    try:
        data = documents.order_document_pdf(order, kind)
    except BusinessRuleError as error:
        messages.error(request, error.message)
        return redirect(DETAIL_URL[side], order.number)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(*documents.document_filename(order, kind),
                                                          attachment=request.GET.get("download") == "1")
    return response


def _party_order(request, number, *, side):
    if side == "staff":
        return get_object_or_404(Order.objects.select_related("buyer", "seller"), number=number)
    company_id = request.user.membership.company_id
    party = {"buyer": Q(buyer_id=company_id), "seller": Q(seller_id=company_id)}[side]
    return get_object_or_404(Order.objects.select_related("buyer", "seller").filter(party), number=number)


def _document_view(side):
    def view(request, number, kind):
        if kind not in documents.DocumentKind.ALL:
            raise Http404
        return document_response(request, _party_order(request, number, side=side), kind, side=side)

    view.__name__ = f"{side}_document"
    view.__doc__ = f"An order document as PDF for the {side} side (other companies' orders: 404)."
    return view


buyer_document = member_page()(_document_view("buyer"))
seller_document = member_page()(_document_view("seller"))
staff_document = staff_required()(_document_view("staff"))


# --- back office (finance) -----------------------------------------------------------------------

@staff_required(StaffRole.FINANCE)
def queue(request):
    """Invoice requests to issue, oldest first; other statuses and a search to look things up."""
    status = request.GET.get("status", InvoiceRequest.Status.REQUESTED)
    text = request.GET.get("q", "").strip()
    found = InvoiceRequest.objects.select_related("order", "order__buyer", "order__seller", "requested_by")
    if status in InvoiceRequest.Status.values:
        found = found.filter(status=status)
    if text:
        found = found.filter(Q(order__number__icontains=text) | Q(invoice_number__icontains=text)
                             | Q(title__icontains=text) | Q(tax_number__icontains=text))
    ordering = ["requested_at", "id"] if status == InvoiceRequest.Status.REQUESTED else ["-requested_at", "-id"]
    return render(request, "backoffice/orders/invoices.html", {
        "page": Paginator(found.order_by(*ordering), 30).get_page(request.GET.get("page")),
        "status": status, "q": text, "statuses": InvoiceRequest.Status.choices,
        "waiting": invoices.invoice_queue().count(),
    })


@staff_required(StaffRole.FINANCE)
def detail(request, invoice_id):
    invoice = get_object_or_404(InvoiceRequest.objects.select_related(
        "order", "order__buyer", "order__seller", "requested_by", "issued_by"), pk=invoice_id)
    return _detail_page(request, invoice, IssueInvoiceForm(auto_id="issue_%s"), RejectInvoiceForm(auto_id="reject_%s"))


def _detail_page(request, invoice, issue_form, reject_form, status=200):
    order = invoice.order
    return render(request, "backoffice/orders/invoices_detail.html", {
        "invoice": invoice, "order": order, "issue_form": issue_form, "reject_form": reject_form,
        "buyer": order.buyer, "others": invoices.invoices_of(order).exclude(pk=invoice.pk),
        "history": audit_events_for(order)[:50],
    }, status=status)


@require_POST
@staff_required(StaffRole.FINANCE)
def issue(request, invoice_id):
    invoice = get_object_or_404(InvoiceRequest.objects.select_related("order"), pk=invoice_id)
    form = IssueInvoiceForm(request.POST, request.FILES, auto_id="issue_%s")
    if form.is_valid():
        try:
            invoices.issue_invoice(by=request.user, invoice_id=invoice.pk, **form.cleaned_data)
        except BusinessRuleError as error:
            _apply_error(form, error)
        else:
            messages.success(request, _("发票已登记，买家会收到通知。"))
            return redirect("backoffice-orders:invoices")
    invoice.refresh_from_db()
    return _detail_page(request, invoice, form, RejectInvoiceForm(auto_id="reject_%s"), status=422)


@require_POST
@staff_required(StaffRole.FINANCE)
def reject(request, invoice_id):
    invoice = get_object_or_404(InvoiceRequest.objects.select_related("order"), pk=invoice_id)
    form = RejectInvoiceForm(request.POST, auto_id="reject_%s")
    if form.is_valid():
        try:
            invoices.reject_invoice_request(by=request.user, invoice_id=invoice.pk, reason=form.cleaned_data["reason"])
        except BusinessRuleError as error:
            _apply_error(form, error)
        else:
            messages.success(request, _("已退回该发票申请，买家会收到退回原因。"))
            return redirect("backoffice-orders:invoices")
    invoice.refresh_from_db()
    return _detail_page(request, invoice, IssueInvoiceForm(auto_id="issue_%s"), form, status=422)


@staff_required()
def staff_invoice_file(request, invoice_id):
    return _invoice_file_response(get_object_or_404(InvoiceRequest, pk=invoice_id), request)


member_urlpatterns = [
    path("<str:number>/invoices/request/", request_invoice, name="invoice-request"),
    path("invoices/<int:invoice_id>/file/", invoice_file, name="invoice-file"),
    path("<str:number>/documents/<str:kind>.pdf", buyer_document, name="document"),
]
merchant_urlpatterns = [
    path("invoices/<int:invoice_id>/file/", invoice_file, name="invoice-file"),
    path("<str:number>/documents/<str:kind>.pdf", seller_document, name="document"),
]
backoffice_urlpatterns = [
    path("invoices/queue/", queue, name="invoices"),
    path("invoices/<int:invoice_id>/", detail, name="invoice"),
    path("invoices/<int:invoice_id>/issue/", issue, name="invoice-issue"),
    path("invoices/<int:invoice_id>/reject/", reject, name="invoice-reject"),
    path("invoices/<int:invoice_id>/file/", staff_invoice_file, name="invoice-file"),
    path("<str:number>/documents/<str:kind>.pdf", staff_document, name="document"),
]


def register():
    """Back-office work queues of this part (called from OrdersConfig.ready)."""
    register_queue(key="orders.invoices", label=gettext_lazy("待开发票"), url_name="backoffice-orders:invoices",
                   count=lambda: invoices.invoice_queue().count(), roles=(StaffRole.FINANCE,))
