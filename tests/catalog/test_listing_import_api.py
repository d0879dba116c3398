import io

import openpyxl
import pytest
from rest_framework.test import APIClient

from accounts.models import Company
from catalog.models import ImportJob, Product
from core import apikeys
from tests import factories
from tests.catalog.test_listing_import import GOOD_ROW, HEADER, csv_upload, row_with
from tests.catalog.test_listing_import import categories as categories  # the autouse fixture

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/seller/import-jobs/"
EXPORT = "/api/v1/seller/products/export/"


def api_for(user, company, scopes=("products",)):
    _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="erp", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_seller_key_imports_a_file_and_reads_the_job(seller):
    api = api_for(factories.main_user_of(seller), seller)
    created = api.post(JOBS, {"file": csv_upload([GOOD_ROW]), "submit": "true"}, format="multipart")

    assert created.status_code == 201, created.json()
    job = created.json()
    assert (job["status"], job["row_count"], job["created_count"], job["errors"]) == ("succeeded", 1, 1, [])
    assert seller.products.get().status == Product.Status.PENDING_REVIEW
    assert api.get(f"{JOBS}{job['id']}/").json()["file_name"] == "商品.csv"
    assert [row["id"] for row in api.get(JOBS).json()["results"]] == [job["id"]]


def test_a_bad_row_is_a_failed_job_with_the_report(seller):
    api = api_for(factories.main_user_of(seller), seller)
    upload = csv_upload([GOOD_ROW, row_with(**{"商家编码": "B2", "类目": "火星纸"})])
    response = api.post(JOBS, {"file": upload}, format="multipart")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed" and body["created_count"] == 0
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "类目")]
    assert not Product.objects.exists()


def test_missing_file_is_a_validation_error(seller):
    api = api_for(factories.main_user_of(seller), seller)
    response = api.post(JOBS, {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["details"]


def test_a_repeated_request_with_the_same_idempotency_key_imports_once(seller):
    api = api_for(factories.main_user_of(seller), seller)
    content = csv_upload([GOOD_ROW]).read()

    def post():
        return api.post(JOBS, {"file": io.BytesIO(content)}, format="multipart", HTTP_IDEMPOTENCY_KEY="import-1")

    first, second = post(), post()
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true" and second.json()["id"] == first.json()["id"]
    assert ImportJob.objects.count() == 1 and seller.products.count() == 1


def _multipart(boundary, content, name="商品.csv"):
    from django.test.client import encode_multipart

    return encode_multipart(boundary, {"file": _named(content, name)})


def _named(content, name):
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def test_a_retry_with_a_new_multipart_boundary_is_still_the_same_request(seller):
    api = api_for(factories.main_user_of(seller), seller)
    content = csv_upload([GOOD_ROW]).read()

    def post(boundary, payload):
        return api.generic("POST", JOBS, _multipart(boundary, payload), content_type=f"multipart/form-data; "
                           f"boundary={boundary}", HTTP_IDEMPOTENCY_KEY="import-2")

    first = post("first-boundary-1111", content)
    retried = post("retry-boundary-2222", content)
    assert first.status_code == retried.status_code == 201
    assert retried["Idempotent-Replayed"] == "true" and ImportJob.objects.count() == 1

    other_file = post("third-boundary-3333", csv_upload([row_with(**{"商家编码": "B9"})]).read())
    assert other_file.status_code == 422
    assert other_file.json()["error"]["code"] == "idempotency_key_reused"
    assert ImportJob.objects.count() == 1


def test_a_key_without_the_products_scope_is_refused(seller):
    api = api_for(factories.main_user_of(seller), seller, scopes=["purchasing"])
    assert api.post(JOBS, {"file": csv_upload([GOOD_ROW])}, format="multipart").status_code == 403
    assert api.get(JOBS).status_code == 403
    assert api.get(EXPORT).status_code == 403
    assert not ImportJob.objects.exists()


def test_a_sub_accounts_key_needs_the_sub_account_to_hold_product_rights(seller):
    clerk = factories.sub_account(seller, ["products", "purchasing"])
    api = api_for(clerk, seller)
    clerk.membership.permissions = ["purchasing"]
    clerk.membership.save(update_fields=["permissions"])
    assert api.get(JOBS).status_code == 403


def test_an_unverified_sellers_import_is_refused_with_the_reason():
    applying = factories.company(name="申请中纸业有限公司", status=Company.Status.APPLYING)
    api = api_for(factories.main_user_of(applying), applying)
    response = api.post(JOBS, {"file": csv_upload([GOOD_ROW])}, format="multipart")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "company_applying"
    assert not ImportJob.objects.exists()


def test_other_companies_jobs_are_404_and_not_listed(seller, buyer):
    theirs = api_for(factories.main_user_of(seller), seller).post(
        JOBS, {"file": csv_upload([GOOD_ROW])}, format="multipart").json()
    ours = api_for(factories.main_user_of(buyer), buyer)
    assert ours.get(f"{JOBS}{theirs['id']}/").status_code == 404
    assert ours.get(JOBS).json()["results"] == []


def test_export_over_the_api_in_both_formats(seller, buyer):
    factories.product(seller=seller, title="导出白卡", seller_sku="E1", status=Product.Status.DRAFT)
    factories.product(seller=buyer, title="别家的纸", seller_sku="X1")
    api = api_for(factories.main_user_of(seller), seller)

    csv_response = api.get(EXPORT, {"format": "csv"})
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8-sig")
    assert text.splitlines()[0].split(",")[:len(HEADER)] == HEADER
    assert "导出白卡" in text and "别家的纸" not in text

    xlsx_response = api.get(EXPORT)
    assert "attachment" in xlsx_response["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).worksheets[0].iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["导出白卡"]
    published_only = api.get(EXPORT, {"status": "published"}).content
    assert openpyxl.load_workbook(io.BytesIO(published_only)).worksheets[0].max_row == 1  # the header alone


def test_export_refuses_an_unknown_format_or_status(seller):
    api = api_for(factories.main_user_of(seller), seller)
    response = api.get(EXPORT, {"format": "pdf"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert api.get(EXPORT, {"status": "sold"}).status_code == 400


def test_schema_documents_the_import_endpoints(client):
    schema = client.get("/api/v1/schema/").content.decode()
    for path in (JOBS, "/api/v1/seller/import-jobs/{id}/", EXPORT):
        assert path in schema
    assert "multipart/form-data" in schema
