"""Bulk import of listings from Excel (.xlsx) or CSV, and export in the same layout.

An import is all or nothing: every row is validated first (with `services.check_listing`,
the rules the listing form and the API use) and only when no row has a problem are the
listings created, in one transaction. Either way the seller gets an `ImportJob` whose report
names each bad row (spreadsheet row number, the header row being row 1), the column and why.

The file type is decided by content, not by name: an .xlsx is a zip archive, anything else
must be text (UTF-8 with or without BOM, or GB18030/GBK as Chinese Excel saves CSV).
An export can be edited and imported into another account; its ID and status columns are
ignored on import.
"""

import codecs
import csv
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import openpyxl
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from catalog import selectors, services
from catalog.models import Category, ImportJob, Product
from core import audit
from core.errors import BusinessRuleError
from core.models import Region

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024  # an .xlsx that unpacks beyond this is refused (zip bombs)
MAX_REPORTED_ERRORS = 1000
MAX_PRICE = Decimal("1e14")  # MoneyField: 16 digits, 2 after the point
MAX_QUANTITY = Decimal("1e11")  # QUANTITY: 14 digits, 3 after the point

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the file's header; the format is fixed, so it is not translated
    required: bool
    help: str


COLUMNS = [
    Column("seller_sku", "商家编码", False, gettext_lazy("您自己的商品编码，每个商品唯一，最多 40 个字符。")),
    Column("title", "标题", True, gettext_lazy("商品标题，最多 120 个字。")),
    Column("category", "类目", True, gettext_lazy("最末级类目的名称或标识，如“白卡纸”或 ivory-board。")),
    Column("unit", "单位", True, gettext_lazy("吨、件、令、卷、箱、张、千克、套之一。")),
    Column("price", "单价", True, gettext_lazy("每单位的价格（元），大于 0。")),
    Column("min_order_quantity", "起订量", False, gettext_lazy("不填为 1。")),
    Column("warehouse_region", "仓库城市", False, gettext_lazy("仓库所在城市，如“潍坊”；重名时写“山东省 潍坊”。")),
    Column("description", "描述", False, gettext_lazy("商品描述。")),
    Column("attributes", "属性", False, gettext_lazy("“属性名=值”，多个用分号分隔，如：克重=250; 等级=A级。")),
    Column("tiers", "阶梯价", False,
           gettext_lazy("“起始数量:单价”，多档用分号分隔，数量越大单价越低，如：30:4750; 100:4650。")),
    Column("stock", "在库数量", False, gettext_lazy("可选：导入时记一笔入库。")),
]
EXPORT_ONLY = [Column("id", "商品ID", False, ""), Column("status", "状态", False, "")]
_BY_KEY = {column.key: column for column in COLUMNS + EXPORT_ONLY}
_IGNORED_ON_IMPORT = {column.key for column in EXPORT_ONLY}

EXAMPLE_ROW = {
    "seller_sku": "BK-250-A", "title": "250g 白卡纸 FBB 单面涂布", "category": "白卡纸", "unit": "吨",
    "price": "4850.00", "min_order_quantity": "10", "warehouse_region": "潍坊",
    "description": "单面涂布，适用于烟包、药盒。", "attributes": "克重=250; 等级=A级",
    "tiers": "30:4750; 100:4650", "stock": "120",
}

_BINARY_SIGNATURES = (b"%PDF", b"MZ", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf",
                      b"\x1f\x8b", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # old .xls, and Excel files saved with a password
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(Exception):
    """The file as a whole cannot be read; `message` says why in the seller's words."""

    def __init__(self, message, *, row=None, column=""):
        self.message, self.row, self.column = message, row, column
        super().__init__(message)


# --- reading the file ---------------------------------------------------------------------------

def _normalise_header(text):
    """"单价(元)*" -> "单价"; "Seller_SKU" -> "seller_sku"."""
    return re.sub(r"\s|[*＊]|[（(].*?[)）]", "", text).lower()


_HEADER_KEYS = {
    **{column.key: column.key for column in COLUMNS + EXPORT_ONLY},
    **{_normalise_header(column.header): column.key for column in COLUMNS + EXPORT_ONLY},
}


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _sniff(content):
    """'xlsx' or 'csv' by the bytes themselves; anything else is refused."""
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if content.startswith(_OLE_SIGNATURE):
        raise ImportFileError(_("不支持旧版 .xls 或设置了密码的 Excel 文件，请在 Excel 中另存为 .xlsx 或 CSV 后上传。"))
    is_utf16 = content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if content.startswith(_BINARY_SIGNATURES) or (not is_utf16 and b"\x00" in content[:65536]):
        raise ImportFileError(_("文件不是 Excel（.xlsx）或 CSV 表格，请用商品导入模板填写后上传。"))
    return "csv"


def _decode(content):
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK, which Chinese Excel writes
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL_CHARACTERS.search(text):
            break
        return text
    raise ImportFileError(_("无法读取文件的文字：请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel（.xlsx）文件。"))


def _csv_rows(content):
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            yield number, [cell.strip() for cell in row]
    except csv.Error as error:
        raise ImportFileError(_("CSV 文件格式有误：%(error)s") % {"error": error}) from None


# What openpyxl raises on a zip that is not a workbook (.docx, .zip) or on damaged XML
# (xml.etree's ParseError is a SyntaxError).
_WORKBOOK_ERRORS = (InvalidFileException, zipfile.BadZipFile, KeyError, IndexError, ValueError, TypeError,
                    AttributeError, SyntaxError, OSError)


def _xlsx_rows(content):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportFileError(_("无法读取该 Excel 文件，文件可能已损坏。请在 Excel 中另存为 .xlsx 后重试。")) from None
    if unpacked > MAX_UNZIPPED_BYTES:
        raise ImportFileError(_("该 Excel 文件解压后过大，请删除多余的工作表或格式后重试。"))
    unreadable = ImportFileError(_("无法读取该 Excel 文件，文件可能已损坏或不是 .xlsx 表格。"))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except _WORKBOOK_ERRORS:
        raise unreadable from None
    try:
        # Read-only mode parses the sheet while iterating, so a damaged sheet fails here.
        for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in row]
    except _WORKBOOK_ERRORS:
        raise unreadable from None
    finally:
        workbook.close()


def _read_upload(upload):
    """The uploaded file's bytes (at most MAX_BYTES) or an ImportFileError."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImportFileError(_("文件不能超过 %(limit)s MB（该文件 %(size).1f MB），请分成几个文件上传。") % {
            "limit": MAX_BYTES // (1024 * 1024), "size": size / 1024 / 1024})
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ImportFileError(_("文件不能超过 %(limit)s MB，请分成几个文件上传。") % {
            "limit": MAX_BYTES // (1024 * 1024)})
    if not content.strip():
        raise ImportFileError(_("文件是空的。"))
    return content


@dataclass
class Sheet:
    header_row: int
    headers: dict  # key -> the header as written in the file
    rows: list  # [(row number, {key: text})]


def read_sheet(content) -> Sheet:
    """The header and the non-empty data rows of an .xlsx or CSV file."""
    rows = _xlsx_rows(content) if _sniff(content) == "xlsx" else _csv_rows(content)
    header_row, positions, headers, data, blank_run = None, {}, {}, [], 0
    for number, cells in rows:
        if not any(cells):
            blank_run += 1
            if header_row is not None and blank_run > 1000:  # a formatted but empty sheet tail
                break
            continue
        blank_run = 0
        if header_row is None:
            header_row = number
            positions, headers = _map_headers(number, cells)
            continue
        if len(data) == MAX_ROWS:
            raise ImportFileError(_("一次最多导入 %(limit)s 行商品，请分成几个文件上传。") % {"limit": MAX_ROWS})
        data.append((number, {key: cells[index] if index < len(cells) else "" for index, key in positions.items()}))
    if header_row is None or not data:
        raise ImportFileError(_("文件中没有商品数据：第一行应为列名，从第二行起每行一个商品。"))
    return Sheet(header_row=header_row, headers=headers, rows=data)


def _map_headers(row_number, cells):
    positions, headers, problems = {}, {}, []
    for index, cell in enumerate(cells):
        if not cell:
            continue
        key = _HEADER_KEYS.get(_normalise_header(cell))
        if key is None:
            problems.append((cell, _("无法识别的列“%(header)s”。可用的列：%(columns)s。") % {
                "header": cell, "columns": "、".join(column.header for column in COLUMNS)}))
        elif key in headers:
            problems.append((cell, _("“%(header)s”列出现了两次。") % {"header": cell}))
        elif key not in _IGNORED_ON_IMPORT:
            positions[index], headers[key] = key, cell
    for column in COLUMNS:
        if column.required and column.key not in headers:
            problems.append((column.header, _("缺少“%(header)s”列。") % {"header": column.header}))
    if problems:
        raise _HeaderProblems(row_number, problems)
    return positions, headers


class _HeaderProblems(ImportFileError):
    def __init__(self, row, problems):
        self.problems = problems
        super().__init__(problems[0][1], row=row, column=problems[0][0])


# --- understanding the cells --------------------------------------------------------------------

class _CategoryIndex:
    """Active categories by slug and by name, to read a category cell and to write one back."""

    def __init__(self):
        # With the children loaded, check_listing's leaf test costs no query per row.
        categories = list(Category.objects.filter(is_active=True).select_related("parent")
                          .prefetch_related("children"))
        self.by_slug = {category.slug.lower(): category for category in categories}
        self.by_name = defaultdict(list)
        for category in categories:
            self.by_name[category.name].append(category)

    def find(self, text):
        """(category or None, problem or None). A name, a slug, or "parent/child" when names repeat."""
        found = self.by_slug.get(text.lower())
        if found is not None:
            return found, None
        parts = [part.strip() for part in re.split(r"[/>›＞／]", text) if part.strip()]
        candidates = self.by_name.get(parts[-1], []) if parts else []
        if len(parts) > 1:
            candidates = [c for c in candidates if c.parent is not None and c.parent.name == parts[-2]]
        if len(candidates) == 1:
            return candidates[0], None
        if not candidates:
            return None, _("无法识别的类目“%(text)s”，请填写平台类目的名称（如“白卡纸”）或标识。") % {"text": text}
        return None, _("有多个名为“%(text)s”的类目，请写成“上级类目/类目”或填写类目标识。") % {"text": text}

    def label(self, category):
        """How an export names a category so that it imports back to the same one."""
        return category.name if len(self.by_name.get(category.name, [])) == 1 else category.slug


class _Lookups:
    """Categories, cities, units and the seller's SKUs, loaded once per import."""

    def __init__(self, seller):
        self.categories = _CategoryIndex()
        self.cities = list(Region.objects.filter(level=Region.Level.CITY).select_related("province"))
        self.cities_by_name = defaultdict(list)
        for region in self.cities:
            self.cities_by_name[region.name].append(region)
        self._cities_seen = {}
        with translation.override("zh-hans"):
            self.units = {str(label): value for value, label in Product.Unit.choices}
        self.units.update({str(label): value for value, label in Product.Unit.choices})  # the page's language
        self.units.update({value: value for value in Product.Unit.values})
        self.units.update({"公斤": Product.Unit.KILOGRAM, "t": Product.Unit.TON})
        self.skus_in_use = set(Product.objects.filter(seller=seller).exclude(seller_sku="")
                               .values_list("seller_sku", flat=True))

    def unit(self, text):
        return self.units.get(text) or self.units.get(text.lower())

    def city(self, text):
        """(city region or None, problem or None) for "潍坊", "潍坊市", "山东省 潍坊", "山东潍坊市"…"""
        text = re.sub(r"\s+", " ", text.strip())
        if text not in self._cities_seen:  # a file names the same few warehouses over and over
            self._cities_seen[text] = self._find_city(text)
        return self._cities_seen[text]

    def _find_city(self, text):
        if " " in text:
            province, city = text.split(" ", 1)
            matches = [r for r in self._cities_named(city) if _province_matches(r.province, province)]
        else:
            matches = self._cities_named(text)
            if not matches:
                matches = [r for r in self.cities for prefix in _province_names(r.province)
                           if text.startswith(prefix) and _city_matches(r, text[len(prefix):])]
        matches = list({region.pk: region for region in matches}.values())
        if len(matches) == 1:
            return matches[0], None
        if not matches:
            return None, _("无法识别的仓库城市“%(text)s”，请填写城市名称，如“潍坊”或“山东省 潍坊”。") % {"text": text}
        return None, _("有多个名为“%(text)s”的城市，请在前面加上省份，如“山东省 潍坊”。") % {"text": text}

    def _cities_named(self, text):
        names = {text, text.removesuffix("市"), text + "市"} if text else set()
        return [region for name in names for region in self.cities_by_name.get(name, [])]


def _province_names(province):
    short = re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", province.name)
    return [province.name, short] if short and short != province.name else [province.name]


def _province_matches(province, text):
    return text in _province_names(province)


def _city_matches(region, text):
    return bool(text) and region.name in (text, text.removesuffix("市"), text + "市")


def _number(text, *, limit):
    """Decimal for "4850", "4,850.00", "¥4850元"; None when it is not a number or too large."""
    cleaned = re.sub(r"[,，\s]", "", text).lstrip("¥￥").removesuffix("元")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= limit:
        return None
    return number


def _text(value):
    """Undo the apostrophe an export puts before text a spreadsheet would run as a formula."""
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
        return value[1:]
    return value


def _split_items(text):
    return [item.strip() for item in re.split(r"[;；\n]+", text) if item.strip()]


def _attributes(text):
    """{"克重": "250", "等级": "A级"} from "克重=250; 等级=A级", or a problem."""
    attributes = {}
    for item in _split_items(text):
        match = re.match(r"^([^=＝:：]+)[=＝:：](.*)$", item)
        if match is None or not match.group(1).strip():
            return None, _("属性“%(item)s”应写成“属性名=值”，多个用分号分隔，如：克重=250; 等级=A级。") % {"item": item}
        name = match.group(1).strip()
        if name in attributes:
            return None, _("属性“%(name)s”写了两次。") % {"name": name}
        attributes[name] = match.group(2).strip()
    return attributes, None


def _tiers(text):
    """[(quantity, price)] from "30:4750; 100:4650", or a problem."""
    tiers = []
    text = re.sub(r"\s*([:：=＝])\s*", r"\1", text)
    for item in re.split(r"[;；\s]+", text):
        if not item:
            continue
        match = re.match(r"^([^:：=＝]+)[:：=＝]([^:：=＝]+)$", item)
        quantity = _number(match.group(1), limit=MAX_QUANTITY) if match else None
        price = _number(match.group(2), limit=MAX_PRICE) if match else None
        if quantity is None or price is None:
            return None, _("阶梯价“%(item)s”有误：应写成“起始数量:单价”，多档用分号分隔，如：30:4750; 100:4650。") % {
                "item": item}
        tiers.append((quantity, price))
    return tiers, None


@dataclass
class _Row:
    number: int
    data: services.ListingData
    stock: Decimal | None


def _check_row(number, cells, lookups, first_row_of_sku):
    """(a _Row, or None) and the row's problems as {column key: message}."""
    problems = {}
    value = {key: _text(cells.get(key, "")) for key in _BY_KEY}

    sku = value["seller_sku"]
    if len(sku) > 40:
        problems["seller_sku"] = _("商家编码不能超过 40 个字符。")
    elif sku and sku in first_row_of_sku:
        problems["seller_sku"] = _("商家编码“%(sku)s”与第 %(row)s 行重复。") % {
            "sku": sku, "row": first_row_of_sku[sku]}
    elif sku and sku in lookups.skus_in_use:
        problems["seller_sku"] = _("商家编码“%(sku)s”已被您的另一个商品使用。") % {"sku": sku}
    if sku:
        first_row_of_sku.setdefault(sku, number)

    category = None
    if not value["category"]:
        problems["category"] = _("请填写类目。")
    else:
        category, problem = lookups.categories.find(value["category"])
        if problem:
            problems["category"] = problem

    unit = lookups.unit(value["unit"])
    if not value["unit"]:
        problems["unit"] = _("请填写单位，如：吨。")
    elif unit is None:
        problems["unit"] = _("无法识别的单位“%(unit)s”，可用：%(units)s。") % {
            "unit": value["unit"], "units": "、".join(str(label) for label in Product.Unit.labels)}

    numbers = {}
    for key, limit in (("price", MAX_PRICE), ("min_order_quantity", MAX_QUANTITY), ("stock", MAX_QUANTITY)):
        if not value[key]:
            numbers[key] = None
            continue
        numbers[key] = _number(value[key], limit=limit)
        if numbers[key] is None:
            problems[key] = _("“%(value)s”不是有效的数字。") % {"value": value[key]}
    if numbers["stock"] is not None and numbers["stock"] < 0:
        problems["stock"] = _("在库数量不能为负数。")

    region = None
    if value["warehouse_region"]:
        region, problem = lookups.city(value["warehouse_region"])
        if problem:
            problems["warehouse_region"] = problem

    attributes, problem = _attributes(value["attributes"])
    if problem:
        problems["attributes"] = problem
    tiers, problem = _tiers(value["tiers"])
    if problem:
        problems["tiers"] = problem

    data = services.ListingData(
        title=value["title"], category=category, price=numbers["price"], unit=unit or Product.Unit.TON,
        min_order_quantity=numbers["min_order_quantity"] or Decimal("1"), description=value["description"],
        attributes=attributes or {}, warehouse_region=region, seller_sku=sku, tiers=tiers or [],
    )
    data, listing_errors = services.check_listing(data)
    for field, message in listing_errors.items():  # ListingData's fields are named like the columns' keys
        key = "attributes" if field.startswith("attributes.") else field
        if key not in problems:
            problems[key] = message
    if problems:
        return None, problems
    return _Row(number=number, data=data, stock=numbers["stock"] or None), {}


def _report(sheet, row_problems):
    """Errors as the job keeps them: [{"row", "column", "message"}], in row and column order."""
    order = {column.key: index for index, column in enumerate(COLUMNS)}
    errors = []
    for number, problems in row_problems:
        for key in sorted(problems, key=lambda key: order.get(key, len(order))):
            header = sheet.headers.get(key) or getattr(_BY_KEY.get(key), "header", "")
            errors.append({"row": number, "column": header, "message": str(problems[key])})
    if len(errors) > MAX_REPORTED_ERRORS:
        hidden = len(errors) - MAX_REPORTED_ERRORS
        errors = errors[:MAX_REPORTED_ERRORS] + [{"row": None, "column": "", "message": _(
            "另有 %(count)s 处问题未列出，请先修改以上问题后重新导入。") % {"count": hidden}}]
    return errors


# --- the import ---------------------------------------------------------------------------------

class _CreateFailed(Exception):
    def __init__(self, row, message):
        self.row, self.message = row, message
        super().__init__(message)


@transaction.atomic
def import_listings(*, by, upload, submit=False) -> ImportJob:
    """Create every listing in the file, or none. Listings start as drafts, or pending review when
    `submit` is true. Refuses (NotAllowed) a member without product rights or a company that may
    not list products, before reading the file. Returns the job with its report, which is saved
    whether the import succeeded or not."""
    seller = services._seller_membership(by).company
    file_name = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    row_count, created, errors = 0, [], []
    try:
        sheet = read_sheet(_read_upload(upload))
    except _HeaderProblems as error:
        errors = [{"row": error.row, "column": column, "message": str(message)} for column, message in error.problems]
    except ImportFileError as error:
        errors = [{"row": error.row, "column": error.column, "message": str(error.message)}]
    else:
        row_count = len(sheet.rows)
        rows, row_problems = _check_rows(sheet, seller)
        if row_problems:
            errors = _report(sheet, row_problems)
        else:
            try:
                with transaction.atomic():  # a savepoint: a late failure takes every listing back out
                    created = _create_listings(rows, seller=seller, by=by, submit=submit, file_name=file_name)
            except _CreateFailed as failure:
                created, errors = [], [{"row": failure.row, "column": "", "message": str(failure.message)}]
    job = ImportJob.objects.create(
        seller=seller, created_by=by, file_name=file_name, row_count=row_count, created_count=len(created),
        status=ImportJob.Status.FAILED if errors else ImportJob.Status.SUCCEEDED, errors=errors,
    )
    audit.record(actor=by, action="product.import", subject=job, company=seller,
                 after=f"{job.status}: {job.created_count}/{job.row_count}")
    return job


def _check_rows(sheet, seller):
    lookups, first_row_of_sku = _Lookups(seller), {}
    rows, row_problems = [], []
    for number, cells in sheet.rows:
        row, problems = _check_row(number, cells, lookups, first_row_of_sku)
        if problems:
            row_problems.append((number, problems))
        else:
            rows.append(row)
    return rows, row_problems


def _create_listings(rows, *, seller, by, submit, file_name):
    reason = _("批量导入（%(file)s）") % {"file": file_name}
    try:
        return services.create_listings_in_bulk(seller=seller, by=by, submit=submit, stock_reason=reason,
                                                listings=[(row.data, row.stock) for row in rows])
    except BusinessRuleError as error:
        raise _CreateFailed(None, error.message) from None
    except IntegrityError:
        raise _CreateFailed(None, _(
            "保存时数据被同时修改（如商家编码刚被另一个商品占用），本次未导入任何商品，请重新导入。")) from None
    except DataError:
        raise _CreateFailed(None, _("有数值超出范围，本次未导入任何商品。")) from None


# --- export and template ------------------------------------------------------------------------

def _plain(number):
    """Decimal("30.000") -> "30", Decimal("2.500") -> "2.5"."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _listing_cells(product, categories):
    return {
        "seller_sku": product.seller_sku, "title": product.title, "category": categories.label(product.category),
        "unit": product.get_unit_display(), "price": product.price,
        "min_order_quantity": Decimal(_plain(product.min_order_quantity)),
        "warehouse_region": str(product.warehouse_region or ""), "description": product.description,
        "attributes": "; ".join(f"{name}={value}" for name, value in product.attributes.items()),
        "tiers": "; ".join(f"{_plain(t.min_quantity)}:{t.unit_price}" for t in product.price_tiers.all()),
        "stock": Decimal(_plain(product.stock_on_hand)), "id": product.pk, "status": product.get_status_display(),
    }


def _csv_safe(value):
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _workbook(columns, records, *, title):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row_number, record in enumerate(records, start=2):
        for column_number, column in enumerate(columns, start=1):
            value = record.get(column.key, "")
            cell = sheet.cell(row=row_number, column=column_number, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            elif column.key == "price":
                cell.number_format = "0.00"
    widths = {"title": 36, "description": 40, "attributes": 30, "tiers": 22, "category": 14,
              "warehouse_region": 14, "seller_sku": 14}
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(column.key, 10)
    return workbook


def _xlsx_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_listings(*, company, statuses=None, file_format="xlsx") -> tuple[bytes, str, str]:
    """The company's listings in the import layout, plus ID and status columns (ignored on
    import): (content, file name, content type). `statuses` narrows to those statuses."""
    if file_format not in ("xlsx", "csv"):
        raise BusinessRuleError(_("导出格式只能是 xlsx 或 csv。"), code="invalid_format")
    products = selectors.products_of_seller(company, statuses=statuses or None).order_by("pk")
    categories = _CategoryIndex()
    columns = COLUMNS + EXPORT_ONLY
    with translation.override("zh-hans"):  # units and statuses in the file's language, whatever the page's
        records = [_listing_cells(product, categories) for product in products]
    file_name = f"listings-{timezone.localdate():%Y%m%d}.{file_format}"
    if file_format == "xlsx":
        return _xlsx_bytes(_workbook(columns, records, title="商品")), file_name, XLSX_CONTENT_TYPE
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    for record in records:
        writer.writerow([_csv_safe(record[column.key]) for column in columns])
    return buffer.getvalue().encode("utf-8-sig"), file_name, CSV_CONTENT_TYPE  # the BOM tells Excel it is UTF-8


def import_template() -> tuple[bytes, str, str]:
    """An .xlsx with the columns, one example row to overwrite, and a sheet explaining each column."""
    example = dict(EXAMPLE_ROW)
    leaves = Category.objects.filter(is_active=True, children__isnull=True)
    if not leaves.filter(name=example["category"]).exists():
        leaf = leaves.order_by("position", "pk").first()
        example["category"] = leaf.name if leaf is not None else example["category"]
    workbook = _workbook(COLUMNS, [example], title="商品")
    notes = workbook.create_sheet(_("填写说明"))
    notes.append([_("列名"), _("必填"), _("说明")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        notes.append([column.header, _("是") if column.required else _("否"), str(column.help)])
    notes.append([])
    for line in (
        _("第 2 行是示例，请改成您的商品或删除后再导入。"),
        _("从第 2 行起每行一个商品；列的顺序不限，列名也可以用英文键（如 price）。"),
        _("只要有一行有问题，整个文件都不会导入；导入报告会列出每个有问题的行和原因。"),
        _("导入的商品保存为草稿，可以在导入时选择直接提交审核。"),
        _("文件不超过 5 MB，每次最多 2000 行；支持 .xlsx 和 CSV（UTF-8 或 GBK 编码）。"),
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["C"].width = 70
    return _xlsx_bytes(workbook), "listing-import-template.xlsx", XLSX_CONTENT_TYPE


# --- reads for the pages and the API ------------------------------------------------------------

def import_jobs_of(company):
    """The company's import jobs, newest first."""
    return ImportJob.objects.filter(seller=company).select_related("created_by").order_by("-created_at", "-pk")


def import_job_of(company, job_id):
    """One of the company's import jobs, or None (another company's job is None too)."""
    return import_jobs_of(company).filter(pk=job_id).first()
