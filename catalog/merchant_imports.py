"""Merchant back end: bulk import of listings (upload, report, history), the import template and
the export. Thin: the work is in catalog.imports."""

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from accounts import rules
from accounts.access import member_page
from accounts.rules import Activity
from catalog import imports
from catalog.models import Product
from core.errors import BusinessRuleError
from core.permissions import CompanyPermission


class ImportForm(forms.Form):
    file = forms.FileField(label=_("商品文件"),
                           help_text=_("Excel（.xlsx）或 CSV，不超过 5 MB、2000 行。"),
                           widget=forms.FileInput(attrs={"accept": ".xlsx,.csv"}))
    submit = forms.BooleanField(label=_("导入后直接提交审核"), required=False,
                                help_text=_("不勾选则保存为草稿，可逐个检查后再提交。"))


def _download(content, file_name, content_type):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@member_page(permission=CompanyPermission.PRODUCTS)
def import_listings(request):
    """Upload a file; the import runs at once and the seller lands on its report."""
    company = request.user.membership.company
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_listings(by=request.user, upload=form.cleaned_data["file"],
                                          submit=form.cleaned_data["submit"])
        except BusinessRuleError as error:
            form.add_error(None, error.message)
        else:
            return redirect("merchant:import-job", job_id=job.pk)  # the report says how it went
    return render(request, "merchant/import_listings.html", {
        "company": company, "form": form, "columns": imports.COLUMNS,
        "may_import": rules.company_may(company, Activity.LIST_PRODUCTS),
        "refusal": rules.refusal_reason(company),
        "jobs": Paginator(imports.import_jobs_of(company), 20).get_page(request.GET.get("page")),
        "statuses": Product.Status.choices, "limits": {"size": imports.MAX_BYTES // (1024 * 1024),
                                                       "rows": imports.MAX_ROWS},
    })


@member_page(permission=CompanyPermission.PRODUCTS)
def import_job(request, job_id):
    """An import's report: each bad row, the column and why."""
    job = imports.import_job_of(request.user.membership.company, job_id)
    if job is None:
        raise Http404
    return render(request, "merchant/import_job.html", {"job": job})


@member_page(permission=CompanyPermission.PRODUCTS)
def import_template(request):
    return _download(*imports.import_template())


@member_page(permission=CompanyPermission.PRODUCTS)
def export_listings(request):
    """`?format=xlsx|csv`, optionally `status=` (repeatable) to narrow to those statuses."""
    file_format = request.GET.get("format", "xlsx")
    if file_format not in ("xlsx", "csv"):
        raise Http404
    statuses = [status for status in request.GET.getlist("status") if status in Product.Status.values]
    return _download(*imports.export_listings(company=request.user.membership.company, statuses=statuses,
                                              file_format=file_format))
