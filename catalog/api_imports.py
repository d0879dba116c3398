"""Import jobs and the listing export over the API: a seller key with the `products` scope, scoped
to the key's company. Thin: the work is in catalog.imports."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from catalog import imports
from catalog.models import ImportJob, Product
from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiRetrieveView, ApiView
from core.permissions import CompanyPermission


class SellerScoped:
    """The caller acts for a company and holds `products` (a key: the scope, and its creator the right)."""

    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.PRODUCTS
    permission_for_reads = True


class ImportErrorOutput(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True,
                                   help_text="Spreadsheet row number (the header is row 1); null for the whole file.")
    column = serializers.CharField(help_text="The column's header as written in the file; empty for the whole row.")
    message = serializers.CharField()


class ImportJobOutput(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.display_name", allow_null=True, default=None)
    errors = ImportErrorOutput(many=True)

    class Meta:
        model = ImportJob
        fields = ["id", "file_name", "status", "row_count", "created_count", "errors", "created_by", "created_at"]


class ImportJobListView(SellerScoped, ApiListView):
    """The company's import jobs, newest first. POST a file (multipart, field `file`: .xlsx or CSV,
    at most 5 MB and 2,000 rows) to import listings: every row goes in, or none does. The job is
    created either way (201); its `status` says which, and `errors` names each bad row, the column
    and why. Listings are created as drafts, or submitted for review with `submit=true`. The
    columns are those of the import template (商家编码, 标题, 类目, 单位, 单价, 起订量, 仓库城市,
    描述, 属性, 阶梯价, 在库数量; the English keys seller_sku, title… work too)."""

    serializer_class = ImportJobOutput
    parser_classes = [MultiPartParser, FormParser]

    class ImportInput(serializers.Serializer):
        file = serializers.FileField(help_text="The listings: .xlsx, or CSV in UTF-8 or GBK.")
        submit = serializers.BooleanField(required=False, default=False,
                                          help_text="Submit the new listings for review instead of saving drafts.")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return imports.import_jobs_of(caller_company(self.request))

    @extend_schema(request={"multipart/form-data": ImportInput}, responses={201: ImportJobOutput})
    def post(self, request):
        payload = self.ImportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        job = imports.import_listings(by=request.user, upload=payload.validated_data["file"],
                                      submit=payload.validated_data["submit"])
        return Response(ImportJobOutput(job).data, status=status.HTTP_201_CREATED)


class ImportJobDetailView(SellerScoped, ApiRetrieveView):
    """One import job and its report. Other companies' jobs are 404."""

    serializer_class = ImportJobOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return imports.import_jobs_of(caller_company(self.request))


class _FormatIsTheFileType(DefaultContentNegotiation):
    """Here `?format=` names the export's file type, not a renderer: answer errors in JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ProductExportView(SellerScoped, ApiView):
    """The company's listings (all statuses, or those named in `status`) as a file in the import
    layout, plus ID and status columns that an import ignores: edit it and import it elsewhere."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FormatIsTheFileType

    class ExportQuery(serializers.Serializer):
        format = serializers.ChoiceField(choices=["xlsx", "csv"], default="xlsx")
        status = serializers.ListField(child=serializers.ChoiceField(choices=Product.Status.choices), required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["xlsx", "csv"], description="File type (default xlsx)."),
            OpenApiParameter("status", str, many=True, enum=Product.Status.values,
                             description="Only listings in these statuses (repeat the parameter)."),
        ],
        responses={
            (200, imports.XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="Excel workbook"),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV, UTF-8 with BOM"),
        },
    )
    def get(self, request):
        query = self.ExportQuery(data={"format": request.query_params.get("format", "xlsx"),
                                       "status": request.query_params.getlist("status")})
        query.is_valid(raise_exception=True)
        content, file_name, content_type = imports.export_listings(
            company=caller_company(request), statuses=query.validated_data.get("status"),
            file_format=query.validated_data["format"])
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{file_name}"'
        return response
