"""VAT invoices and order documents over the API.

The buyer lists and requests 增值税专用发票 for its orders (`finance` or `purchasing` scope) and
downloads issued invoice files; either party downloads the order's PDF documents (purchase
contract, order confirmation, delivery note). Another company's order is a 404. Thin: parse, one
service or selector, render.
"""

from django.http import FileResponse, Http404, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response

from core.api.permissions import IsCompanyMember, caller_company, caller_may
from core.api.views import ApiView
from core.errors import NotFound
from orders import documents, invoices
from orders.invoice_views import content_disposition
from orders.models import InvoiceRequest, Order


class HasInvoiceScope(permissions.BasePermission):
    """Invoices are the buyer's finance or purchasing business, for reads and writes alike."""

    message = gettext_lazy("您的账号或 API 密钥没有“财务与发票”或“采购与订单”权限。")

    def has_permission(self, request, view):
        return any(caller_may(request, permission) for permission in invoices.BUYER_PERMISSIONS)


class InvoiceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.CharField(source="order.number")
    status = serializers.ChoiceField(choices=InvoiceRequest.Status.choices,
                                     help_text="requested (waiting for platform finance), issued or rejected.")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    title = serializers.CharField()
    tax_number = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    bank_name = serializers.CharField()
    bank_account = serializers.CharField()
    requested_at = serializers.DateTimeField()
    invoice_number = serializers.CharField(help_text="8 digits (paper special invoice) or 20 (数电票); empty "
                                                     "until issued.")
    issued_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    file_url = serializers.SerializerMethodField(help_text="The issued invoice's file; null until issued.")

    def get_file_url(self, invoice) -> str | None:
        if not invoice.invoice_file:
            return None
        return self.context["request"].build_absolute_uri(reverse("api-invoice-file", args=[invoice.pk]))


def _order_for_caller(request, number, *, buyer_only):
    company = caller_company(request)
    order = Order.objects.select_related("buyer", "seller").filter(number=number).first()
    if order is None or company is None or (
            order.buyer_id != company.pk and (buyer_only or order.seller_id != company.pk)):
        raise NotFound(_("未找到该订单。"))
    return order


class OrderInvoicesView(ApiView):
    """The order's invoice requests, newest first (GET); request a 增值税专用发票 (POST) once the order
    is paid: the buyer must be a general taxpayer, one open or issued request per order, amount at
    most what was paid less refunds (default: all of it). The buyer company's key only."""

    permission_classes = [IsCompanyMember, HasInvoiceScope]

    class RequestInput(serializers.Serializer):
        title = serializers.CharField(max_length=100, help_text="发票抬头, usually the company name.")
        tax_number = serializers.CharField(max_length=30, help_text="纳税人识别号: 15–20 digits or capital letters.")
        address = serializers.CharField(max_length=200, help_text="Registered address.")
        phone = serializers.CharField(max_length=30, help_text="Registered phone.")
        bank_name = serializers.CharField(max_length=100)
        bank_account = serializers.CharField(max_length=40, help_text="Digits only.")
        amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True,
                                          help_text="Defaults to the amount paid less refunds.")

    @extend_schema(responses=InvoiceOutput(many=True))
    def get(self, request, number):
        order = _order_for_caller(request, number, buyer_only=True)
        return Response(InvoiceOutput(invoices.invoices_of(order), many=True, context={"request": request}).data)

    @extend_schema(request=RequestInput, responses={201: InvoiceOutput})
    def post(self, request, number):
        order = _order_for_caller(request, number, buyer_only=True)
        payload = self.RequestInput(data=request.data)
        payload.is_valid(raise_exception=True)
        invoice = invoices.request_invoice(by=request.user, order_id=order.pk, **payload.validated_data)
        return Response(InvoiceOutput(invoice, context={"request": request}).data, status=status.HTTP_201_CREATED)


class InvoiceFileView(ApiView):
    """The issued invoice's file (PDF, JPEG or PNG), for the order's buyer or seller."""

    permission_classes = [IsCompanyMember, HasInvoiceScope]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, invoice_id):
        company = caller_company(request)
        invoice = invoices.invoices_for_company(company=company).select_related("order").filter(pk=invoice_id).first()
        if invoice is None or not invoice.invoice_file:
            raise NotFound(_("未找到该发票文件。"))
        try:
            stored = invoice.invoice_file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(stored, filename=f"invoice-{invoice.invoice_number}", as_attachment=True)


class OrderDocumentView(ApiView):
    """An order document as PDF for either party: `contract` (from placement), `confirmation` (once
    paid), `delivery_note` (once shipped). 422 when the document does not exist yet; 503 when the
    server has no Chinese font to render it."""

    permission_classes = [IsCompanyMember]

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(documents.DocumentKind.ALL))],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                   422: OpenApiResponse(description="Not available yet."),
                   503: OpenApiResponse(description="No CJK font installed on the server.")},
    )
    def get(self, request, number, kind):
        if kind not in documents.DocumentKind.ALL:
            raise NotFound(_("没有这种单据。"))
        order = _order_for_caller(request, number, buyer_only=False)
        response = HttpResponse(documents.order_document_pdf(order, kind), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition(*documents.document_filename(order, kind))
        return response


urlpatterns = [
    path("orders/<str:number>/invoices/", OrderInvoicesView.as_view(), name="api-order-invoices"),
    path("invoices/<int:invoice_id>/file", InvoiceFileView.as_view(), name="api-invoice-file"),
    path("orders/<str:number>/documents/<str:kind>.pdf", OrderDocumentView.as_view(), name="api-order-document"),
]
