import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Company
from catalog import imports
from catalog.models import CategoryAttribute, ImportJob, Product, StockMovement
from core.errors import NotAllowed
from core.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = ["商家编码", "标题", "类目", "单位", "单价", "起订量", "仓库城市", "描述", "属性", "阶梯价", "在库数量"]
GOOD_ROW = ["BK-250", "250g 白卡纸 A级", "白卡纸", "吨", "4850.00", "10", "潍坊市", "单面涂布，烟包用",
            "克重=250; 等级=A级", "30:4750; 100:4650", "120"]
OTHER_ROW = ["NP-45", "45g 新闻纸 卷筒", "newsprint", "ton", "4,300", "", "山东省 潍坊", "", "", "", ""]


@pytest.fixture(autouse=True)
def categories(db):
    """包装纸板 › 白卡纸 (克重 is a number attribute) and 文化用纸 › 新闻纸."""
    board = factories.category(slug="packaging-board", name="包装纸板")
    ivory = factories.category(slug="ivory-board", name="白卡纸", parent=board)
    CategoryAttribute.objects.create(category=ivory, name="克重", kind=CategoryAttribute.Kind.NUMBER, unit="g/㎡")
    culture = factories.category(slug="culture-paper", name="文化用纸")
    factories.category(slug="newsprint", name="新闻纸", parent=culture)
    return ivory


def csv_upload(rows, *, header=HEADER, name="商品.csv", encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows, *, header=HEADER, name="商品.xlsx"):
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=imports.XLSX_CONTENT_TYPE)


def row_with(**changes):
    row = list(GOOD_ROW)
    for header, value in changes.items():
        row[HEADER.index(header)] = value
    return row


def import_as(user, upload, **kwargs):
    return imports.import_listings(by=user, upload=upload, **kwargs)


def problems(job):
    return [(error["row"], error["column"]) for error in job.errors]


# --- good files ---------------------------------------------------------------------------------

def test_good_csv_creates_every_listing_as_a_draft(seller):
    job = import_as(factories.main_user_of(seller), csv_upload([GOOD_ROW, OTHER_ROW]))

    assert (job.status, job.row_count, job.created_count, job.errors) == (ImportJob.Status.SUCCEEDED, 2, 2, [])
    board = seller.products.get(seller_sku="BK-250")
    assert (board.title, board.category.slug, board.unit, board.price, board.min_order_quantity) == (
        "250g 白卡纸 A级", "ivory-board", "ton", Decimal("4850.00"), Decimal("10"))
    assert board.status == Product.Status.DRAFT
    assert board.attributes == {"克重": 250, "等级": "A级"}
    assert [(t.min_quantity, t.unit_price) for t in board.price_tiers.all()] == [
        (Decimal("30"), Decimal("4750.00")), (Decimal("100"), Decimal("4650.00"))]
    assert board.warehouse_region.name == "潍坊"
    assert board.stock_on_hand == Decimal("120")
    assert board.stock_movements.get().kind == StockMovement.Kind.STOCK_IN
    newsprint = seller.products.get(seller_sku="NP-45")
    assert (newsprint.price, newsprint.min_order_quantity, newsprint.stock_on_hand) == (
        Decimal("4300.00"), Decimal("1"), Decimal("0"))
    assert AuditEvent.objects.filter(action="product.import", subject_id=str(job.pk)).exists()


def test_good_xlsx_import_can_submit_every_listing_for_review(seller):
    rows = [row_with(**{"单价": 4850.5, "起订量": 10, "在库数量": None}), OTHER_ROW]
    job = import_as(factories.main_user_of(seller), xlsx_upload(rows), submit=True)

    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert set(seller.products.values_list("status", flat=True)) == {Product.Status.PENDING_REVIEW}
    assert seller.products.get(seller_sku="BK-250").price == Decimal("4850.50")


def test_english_column_keys_and_any_column_order_are_accepted(seller):
    upload = csv_upload([["99", "测试白卡", "ivory-board", "件"]], header=["price", "title", "category", "unit"])
    job = import_as(factories.main_user_of(seller), upload)
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert seller.products.get().unit == Product.Unit.PIECE


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_chinese_csv_encodings_are_accepted(seller, encoding):
    job = import_as(factories.main_user_of(seller), csv_upload([GOOD_ROW], encoding=encoding))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert seller.products.get().title == "250g 白卡纸 A级"


@pytest.mark.parametrize(("written", "province", "city"), [
    ("潍坊", "山东省", "潍坊"), ("潍坊市", "山东省", "潍坊"), ("山东省 潍坊", "山东省", "潍坊"),
    ("山东 潍坊市", "山东省", "潍坊"), ("山东省潍坊市", "山东省", "潍坊"), ("北京", "北京市", "北京市"),
    ("北京市", "北京市", "北京市"), ("吉林", "吉林省", "吉林市"),
])
def test_the_warehouse_city_may_be_written_the_usual_ways(seller, written, province, city):
    job = import_as(factories.main_user_of(seller), csv_upload([row_with(**{"仓库城市": written})]))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    region = seller.products.get().warehouse_region
    assert (region.province.name, region.name) == (province, city)


def test_excel_unicode_text_is_accepted(seller):
    text = "\t".join(HEADER) + "\r\n" + "\t".join(GOOD_ROW) + "\r\n"
    job = import_as(factories.main_user_of(seller), SimpleUploadedFile("商品.txt", text.encode("utf-16")))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors


def test_a_sub_account_with_product_rights_may_import(seller):
    employee = factories.sub_account(seller, ["products"])
    job = import_as(employee, csv_upload([GOOD_ROW]))
    assert job.status == ImportJob.Status.SUCCEEDED and job.created_by == employee


# --- bad rows: nothing goes in --------------------------------------------------------------------

@pytest.mark.parametrize("bad_position", [0, 1, 2])
def test_one_bad_row_anywhere_means_no_listing_is_created(seller, bad_position):
    rows = [row_with(**{"商家编码": f"SKU-{n}"}) for n in range(3)]
    rows[bad_position] = row_with(**{"商家编码": "BAD", "单价": "四千八"})
    job = import_as(factories.main_user_of(seller), csv_upload(rows))

    assert not seller.products.exists()
    assert not StockMovement.objects.exists()
    assert (job.status, job.row_count, job.created_count) == (ImportJob.Status.FAILED, 3, 0)
    assert job.errors == [{"row": bad_position + 2, "column": "单价", "message": "“四千八”不是有效的数字。"}]
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED  # the report is saved


@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"标题": ""}, "标题", "标题"),
    ({"类目": "铜版纸"}, "类目", "无法识别的类目"),
    ({"类目": "包装纸板"}, "类目", "最末级类目"),
    ({"单位": "吨吨"}, "单位", "无法识别的单位"),
    ({"单位": ""}, "单位", "请填写单位"),
    ({"单价": "0"}, "单价", "大于 0"),
    ({"单价": "1e20"}, "单价", "不是有效的数字"),
    ({"起订量": "十"}, "起订量", "不是有效的数字"),
    ({"仓库城市": "火星"}, "仓库城市", "无法识别的仓库城市"),
    ({"属性": "克重250"}, "属性", "属性名=值"),
    ({"属性": "克重=很厚"}, "属性", "应为数字"),
    ({"阶梯价": "30-4750"}, "阶梯价", "起始数量:单价"),
    ({"阶梯价": "30:4900"}, "阶梯价", "阶梯价应越低"),
    ({"阶梯价": "5:4700"}, "阶梯价", "大于起订量"),
    ({"在库数量": "-3"}, "在库数量", "负数"),
    ({"商家编码": "X" * 41}, "商家编码", "40 个字符"),
])
def test_the_report_names_the_row_the_column_and_why(seller, changes, column, reason):
    job = import_as(factories.main_user_of(seller), csv_upload([GOOD_ROW, row_with(**{"商家编码": "B2", **changes})]))

    assert job.status == ImportJob.Status.FAILED and not seller.products.exists()
    [error] = job.errors
    assert (error["row"], error["column"]) == (3, column)
    assert reason in error["message"]


def test_seller_sku_repeated_in_the_file_or_already_used_is_refused(seller):
    factories.product(seller=seller, seller_sku="OLD-1")
    rows = [row_with(**{"商家编码": "A"}), row_with(**{"商家编码": "OLD-1"}), row_with(**{"商家编码": "A"})]
    job = import_as(factories.main_user_of(seller), csv_upload(rows))

    assert problems(job) == [(3, "商家编码"), (4, "商家编码")]
    assert "已被您的另一个商品使用" in job.errors[0]["message"]
    assert "与第 2 行重复" in job.errors[1]["message"]
    assert seller.products.count() == 1


def test_every_problem_of_every_row_is_reported_in_order(seller):
    rows = [row_with(**{"商家编码": "1", "单价": "x", "单位": "?"}), row_with(**{"商家编码": "2"}),
            row_with(**{"商家编码": "3", "类目": "?"})]
    job = import_as(factories.main_user_of(seller), csv_upload(rows))
    assert problems(job) == [(2, "单位"), (2, "单价"), (4, "类目")]


def test_blank_lines_keep_the_spreadsheet_row_numbers(seller):
    rows = [GOOD_ROW, [], row_with(**{"商家编码": "2", "标题": ""})]
    job = import_as(factories.main_user_of(seller), csv_upload(rows))
    assert problems(job) == [(4, "标题")]
    assert job.row_count == 2


def test_a_missing_required_column_is_reported_on_the_header_row(seller):
    header = [h for h in HEADER if h != "单价"]
    job = import_as(factories.main_user_of(seller), csv_upload([GOOD_ROW[:4] + GOOD_ROW[5:]], header=header))
    assert job.status == ImportJob.Status.FAILED
    assert problems(job) == [(1, "单价")] and "缺少" in job.errors[0]["message"]


def test_an_unknown_column_is_reported_rather_than_ignored(seller):
    job = import_as(factories.main_user_of(seller), csv_upload([[*GOOD_ROW, "x"]], header=[*HEADER, "阶梯价格"]))
    assert problems(job) == [(1, "阶梯价格")]


# --- refusals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [Company.Status.APPLYING, Company.Status.REJECTED, Company.Status.FROZEN])
def test_a_company_that_may_not_list_products_cannot_import(status):
    unverified = factories.company(name="未认证纸业有限公司", status=status)
    with pytest.raises(NotAllowed):
        import_as(factories.main_user_of(unverified), csv_upload([GOOD_ROW]))
    assert not ImportJob.objects.exists() and not Product.objects.exists()


def test_a_sub_account_without_product_rights_cannot_import(seller):
    clerk = factories.sub_account(seller, ["purchasing"])
    with pytest.raises(NotAllowed) as refusal:
        import_as(clerk, csv_upload([GOOD_ROW]))
    assert refusal.value.code == "missing_permission"
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(("content", "reason"), [
    (factories.PDF_BYTES, "不是 Excel"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "不是 Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, "旧版 .xls"),
    (b"PK\x03\x04" + b"\x00" * 200, "无法读取该 Excel 文件"),
    (b"\x00\x01\x02binary", "不是 Excel"),
    (b"", "文件是空的"),
])
def test_a_file_that_is_not_a_spreadsheet_is_refused_by_content(seller, content, reason):
    job = import_as(factories.main_user_of(seller), SimpleUploadedFile("商品.xlsx", content))
    assert job.status == ImportJob.Status.FAILED and not Product.objects.exists()
    [error] = job.errors
    assert error["row"] is None and reason in error["message"]


def test_a_zip_that_is_not_a_workbook_is_refused(seller):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    job = import_as(factories.main_user_of(seller), SimpleUploadedFile("商品.xlsx", buffer.getvalue()))
    assert "无法读取该 Excel 文件" in job.errors[0]["message"]


def test_an_oversized_file_is_refused_without_reading_it(seller):
    content = b"x" * (imports.MAX_BYTES + 1)
    job = import_as(factories.main_user_of(seller), SimpleUploadedFile("big.csv", content))
    assert job.status == ImportJob.Status.FAILED and "5 MB" in job.errors[0]["message"]


def test_more_than_2000_rows_are_refused(seller):
    rows = [row_with(**{"商家编码": f"S{n}"}) for n in range(imports.MAX_ROWS + 1)]
    job = import_as(factories.main_user_of(seller), csv_upload(rows))
    assert job.status == ImportJob.Status.FAILED and "2000" in job.errors[0]["message"]
    assert not Product.objects.exists()


# --- export and the template -----------------------------------------------------------------------

def read_xlsx(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def listing_fields(product):
    return (product.seller_sku, product.title, product.category_id, product.unit, product.price,
            product.min_order_quantity, product.warehouse_region_id, product.description, product.attributes,
            [(t.min_quantity, t.unit_price) for t in product.price_tiers.all()], product.stock_on_hand)


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_export_imports_into_another_account_unchanged(seller, buyer, file_format):
    tricky = row_with(**{"商家编码": "=1+1", "标题": "=HYPERLINK(\"x\")", "描述": "第一行\n第二行", "在库数量": "2.5"})
    first = import_as(factories.main_user_of(seller), csv_upload([GOOD_ROW, OTHER_ROW, tricky]))
    assert first.status == ImportJob.Status.SUCCEEDED, first.errors

    content, file_name, content_type = imports.export_listings(company=seller, file_format=file_format)
    assert file_name.endswith("." + file_format) and content_type.startswith(
        "text/csv" if file_format == "csv" else "application/vnd.openxmlformats")
    second = import_as(factories.main_user_of(buyer), SimpleUploadedFile(file_name, content))

    assert second.status == ImportJob.Status.SUCCEEDED, second.errors
    exported = {p.seller_sku: listing_fields(p) for p in seller.products.all()}
    imported = {p.seller_sku: listing_fields(p) for p in buyer.products.all()}
    assert imported == exported and len(imported) == 3


def test_export_has_id_and_status_columns_and_can_narrow_by_status(seller):
    draft = factories.product(seller=seller, title="草稿纸", status=Product.Status.DRAFT, seller_sku="D1")
    factories.product(seller=seller, title="上架纸", status=Product.Status.PUBLISHED, seller_sku="P1")
    content, _name, _type = imports.export_listings(company=seller, statuses=[Product.Status.DRAFT])
    rows = read_xlsx(content)
    assert rows[0] == HEADER + ["商品ID", "状态"]
    assert [(row[0], row[1], row[-2], row[-1]) for row in rows[1:]] == [("D1", "草稿纸", draft.pk, "草稿")]


def test_export_cells_are_text_not_formulas(seller):
    factories.product(seller=seller, title="=cmd|' /C calc'!A0", seller_sku="@SUM(A1)")
    xlsx, _name, _type = imports.export_listings(company=seller)
    cell = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[0]["B2"]
    assert (cell.value, cell.data_type) == ("=cmd|' /C calc'!A0", "s")
    text = imports.export_listings(company=seller, file_format="csv")[0].decode("utf-8-sig")
    assert "'=cmd" in text and "'@SUM(A1)" in text


def test_the_template_explains_the_columns_and_its_example_row_imports(seller):
    content, file_name, _type = imports.import_template()
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert [cell.value for cell in workbook.worksheets[0][1]] == HEADER
    assert workbook.worksheets[0].max_row == 2
    assert "克重=250" in str(list(workbook.worksheets[1].iter_rows(values_only=True)))
    job = import_as(factories.main_user_of(seller), SimpleUploadedFile(file_name, content))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors


# --- merchant pages -----------------------------------------------------------------------------

def test_seller_uploads_on_the_merchant_page_and_reads_the_report(client, seller):
    client.force_login(factories.main_user_of(seller))
    page = client.get("/merchant/import/")
    assert page.status_code == 200 and "商家编码" in page.content.decode()
    assert 'href="/merchant/import/"' in client.get("/merchant/").content.decode()  # in the merchant nav

    response = client.post("/merchant/import/", {"file": csv_upload([GOOD_ROW, row_with(**{"单位": "桶"})])})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/merchant/import/{job.pk}/"
    report = client.get(response["Location"]).content.decode()
    assert "第 3 行" in report and "无法识别的单位“桶”" in report
    assert "商品.csv" in client.get("/merchant/import/").content.decode()  # in the history


def test_merchant_page_import_with_submit(client, seller):
    client.force_login(factories.main_user_of(seller))
    client.post("/merchant/import/", {"file": xlsx_upload([GOOD_ROW]), "submit": "on"})
    assert seller.products.get().status == Product.Status.PENDING_REVIEW


def test_merchant_pages_refuse_a_sub_account_without_product_rights(client, seller):
    client.force_login(factories.sub_account(seller, ["purchasing"]))
    for url in ("/merchant/import/", "/merchant/import/template/", "/merchant/import/export/"):
        assert client.get(url).status_code == 403


def test_another_companys_import_report_is_404(client, seller, buyer):
    job = import_as(factories.main_user_of(seller), csv_upload([GOOD_ROW]))
    client.force_login(factories.main_user_of(buyer))
    assert client.get(f"/merchant/import/{job.pk}/").status_code == 404


def test_merchant_downloads_the_template_and_exports(client, seller):
    factories.product(seller=seller, title="导出纸", seller_sku="E1")
    client.force_login(factories.main_user_of(seller))
    template = client.get("/merchant/import/template/")
    assert template["Content-Type"] == imports.XLSX_CONTENT_TYPE and "attachment" in template["Content-Disposition"]
    exported = client.get("/merchant/import/export/", {"format": "csv", "status": "published"})
    assert exported["Content-Type"].startswith("text/csv")
    assert "导出纸" in exported.content.decode("utf-8-sig")
    assert read_xlsx(client.get("/merchant/import/export/").content)[1][1] == "导出纸"


def test_imported_listings_are_found_exactly_like_listings_saved_one_by_one(seller):
    """The bulk import writes the search text in one statement; it must be the vector a listing
    saved through the form gets."""
    from catalog.services import refresh_search_vector

    job = imports.import_listings(by=factories.main_user_of(seller), upload=csv_upload([GOOD_ROW, OTHER_ROW]))
    assert job.status == ImportJob.Status.SUCCEEDED
    for product in seller.products.all():
        imported = product.search_vector
        refresh_search_vector(product.pk)
        product.refresh_from_db()
        assert imported and imported == product.search_vector


def test_an_imports_query_count_does_not_grow_with_its_rows(seller):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count, prefix):
        rows = [row_with(**{"商家编码": f"{prefix}-{i}"}) for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            job = imports.import_listings(by=factories.main_user_of(seller), upload=csv_upload(rows), submit=True)
        assert job.created_count == count
        return len(captured)

    assert queries_for(3, "A") == queries_for(60, "B")
