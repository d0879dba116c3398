"""`manage.py match_barter BOOK.json OUT.json`: the barter match of a book kept in a JSON file, for
staff what-if runs and for checking the engine (barter/matching.py).

BOOK.json:
    {"companies": [{"id", "cash_limit"}],
     "haves": [{"id", "company", "category", "quantity", "unit_value"}],
     "wants": [{"id", "company", "category", "budget", "max_unit_value"}]}
Ids, companies and categories are strings or integers, taken verbatim. Money (CNY) is a string of
digits with at most two decimals ("1200", "1200.5", "1200.50"), a quantity one with at most three;
JSON numbers are refused, as floats are never money. Other fields are ignored.

OUT.json:
    {"transfers": [{"have", "want", "value", "quantity"}],
     "cash": [{"company", "amount"}],
     "deals": [{"id", "transfers", "companies", "cash"}],
     "total_value"}
Transfers are grouped by deal, each deal's in the order of its cycle; a have→want pair two deals
share appears in both. A deal lists the indexes of its transfers, its companies and the cash each
of them receives in it (negative: pays); `cash` is the same summed over deals, for companies that
pay or receive any. Money has two decimals. A transfer's quantity is its value at the have's unit
value to the thousandth, never more in all than the have's quantity (barter/matching.py says how).

Bad input ends the run with exit status 2 and the reason, naming the record, on stderr; a match
that fails the engine's own checks (a bug) ends it with status 1. Either way nothing is written:
OUT goes to a temporary file beside it, renamed into place when complete. stdout gets one JSON
line: counts, the total value, the companies in the largest deal and the seconds the run took.
No database is touched.
"""

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext
from numpy.dtypes import StringDType

from barter import matching

MONEY = re.compile(r"([0-9]{1,13})(?:\.([0-9]{1,2}))?")
QUANTITY = re.compile(r"([0-9]{1,10})(?:\.([0-9]{1,3}))?")
NEGATIVE = re.compile(r"-[0-9]+(?:\.[0-9]+)?")
DECIMALS = {MONEY: 2, QUANTITY: 3}
LISTS = ("companies", "haves", "wants")
MAX_HAVE_VALUE_FEN = 10**15  # ¥10,000,000,000,000.00: the engine's sums stay far inside int64


class BadBook(Exception):
    """The book cannot be matched; the message names the record and says why (translated)."""


@dataclass(frozen=True)
class ReadBook:
    """The engine's book and the ids to write its answer back with."""

    book: matching.Book
    company_ids: list
    have_ids: list
    want_ids: list


class Command(BaseCommand):
    help = "Find the barter match moving the most goods value in BOOK.json; write it, split into deals, to OUT.json."
    requires_system_checks = []  # files in, files out: no database, nothing for checks to find

    def add_arguments(self, parser):
        parser.add_argument("book_json", metavar="BOOK.json", help="companies, haves and wants")
        parser.add_argument("out_json", metavar="OUT.json", help="written with transfers, cash and deals")

    def handle(self, *args, book_json, out_json, **options):
        started = time.perf_counter()
        try:
            read = read_book(Path(book_json))
        except BadBook as bad:
            raise CommandError(str(bad), returncode=2) from None
        try:
            result = matching.match(read.book)
        except matching.MatchInvariantError as error:
            raise CommandError(gettext("撮合结果未通过校验，未写出结果文件：%(error)s") % {"error": error}) from error
        write_json(Path(out_json), match_json(read, result))
        summary = {
            "listings": len(read.have_ids) + len(read.want_ids),
            "companies": len(read.company_ids),
            "transfers": len(result.transfer_value),
            "deals": result.deals,
            "total_value": money(result.total_value),
            "largest_deal_companies": int(np.bincount(result.deal_members(read.book)[0]).max(initial=0)),
            "seconds": round(time.perf_counter() - started, 3),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))


# --- reading ---------------------------------------------------------------------------------

def read_book(path: Path) -> ReadBook:
    """The book in a JSON file, checked field by field; raises BadBook naming a bad record.

    Each list is read a column at a time (comprehensions, not a call per field): a 200,000-listing
    book reads in about a second, most of it json.load.
    """
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise BadBook(gettext("无法读取订单簿文件 %(path)s：%(error)s")
                      % {"path": path, "error": error.strerror}) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BadBook(gettext("订单簿文件 %(path)s 不是有效的 JSON：%(error)s")
                      % {"path": path, "error": error}) from None
    if not isinstance(data, dict) or not all(isinstance(data.get(key), list) for key in LISTS):
        raise BadBook(gettext("订单簿必须是一个 JSON 对象，包含 companies、haves 和 wants 三个列表"))

    companies = _Records(data["companies"], gettext("公司 %(id)s"))
    haves = _Records(data["haves"], gettext("供货 %(id)s"))
    wants = _Records(data["wants"], gettext("求购 %(id)s"))
    company_ids = companies.ids()
    company_index = {company: index for index, company in enumerate(company_ids)}
    cash_limit = companies.amounts("cash_limit", MONEY)
    categories: dict = {}
    have_ids, have_company, have_category = haves.ids(), haves.companies(company_index), haves.categories(categories)
    quantity, unit_value = haves.amounts("quantity", QUANTITY), haves.amounts("unit_value", MONEY)
    want_ids, want_company, want_category = wants.ids(), wants.companies(company_index), wants.categories(categories)
    budget, max_unit_value = wants.amounts("budget", MONEY), wants.amounts("max_unit_value", MONEY)

    if (unit_value == 0).any():
        raise BadBook(gettext("%(record)s 的单价必须大于零") % {"record": haves.name(np.argmax(unit_value == 0))})
    too_large = quantity.astype(float) * unit_value / matching.QUANTITY_SCALE > MAX_HAVE_VALUE_FEN
    if too_large.any():
        raise BadBook(gettext("%(record)s 的货值（数量 × 单价）过大") % {"record": haves.name(np.argmax(too_large))})
    try:
        book = matching.Book(
            cash_limit=cash_limit,
            have_company=have_company, have_category=have_category, have_quantity=quantity, have_unit_value=unit_value,
            want_company=want_company, want_category=want_category, want_budget=budget,
            want_max_unit_value=max_unit_value,
        )
    except matching.BookTooLarge:
        raise BadBook(gettext("订单簿的金额合计过大，无法计算")) from None
    conflicts = matching.self_category_wants(book)
    if len(conflicts):
        want = int(conflicts[0])
        raise BadBook(gettext("%(record)s：公司 %(company)s 在品类 %(category)s 中有供货，不能同时求购该品类") % {
            "record": wants.name(want), "company": _shown(wants.records[want]["company"]),
            "category": _shown(wants.records[want]["category"])})
    return ReadBook(book, company_ids, have_ids, want_ids)


class _Records:
    """One list of the book (companies, haves or wants), read a column at a time.

    Every reader raises BadBook naming the first record, in file order, whose field is bad.
    """

    def __init__(self, records: list, label: str):
        self.records, self.label = records, label
        if not all(type(record) is dict for record in records):
            index = next(i for i, record in enumerate(records) if type(record) is not dict)
            raise BadBook(gettext("%(record)s 不是 JSON 对象") % {"record": self.name(index)})

    def name(self, index) -> str:
        """How messages name a record: by its id, or by its place in the list when it has none."""
        record_id = self.records[index].get("id") if type(self.records[index]) is dict else None
        return self.label % {"id": _shown(record_id) if _is_key(record_id) else f"#{int(index) + 1}"}

    def column(self, field: str) -> list:
        try:
            return [record[field] for record in self.records]
        except KeyError:
            index = next(i for i, record in enumerate(self.records) if field not in record)
            raise BadBook(gettext("%(record)s 缺少字段 %(field)s")
                          % {"record": self.name(index), "field": field}) from None

    def keys(self, field: str) -> list:
        """A column of ids, company ids or categories: strings or integers, taken verbatim."""
        values = self.column(field)
        if not all(map(_is_key, values)):
            index = next(i for i, value in enumerate(values) if not _is_key(value))
            raise BadBook(gettext("%(record)s 的 %(field)s 必须是字符串或整数")
                          % {"record": self.name(index), "field": field})
        return values

    def ids(self) -> list:
        ids = self.keys("id")
        if len(set(ids)) < len(ids):
            seen = set()
            index = next(i for i, value in enumerate(ids) if value in seen or seen.add(value))
            raise BadBook(gettext("%(record)s 的编号重复") % {"record": self.name(index)})
        return ids

    def companies(self, company_index: dict) -> np.ndarray:
        """Company numbers; every company must be in the book's list of companies."""
        companies = self.keys("company")
        try:
            return np.array([company_index[company] for company in companies], dtype=np.int64)
        except KeyError:
            index = next(i for i, company in enumerate(companies) if company not in company_index)
            raise BadBook(gettext("%(record)s 引用了不存在的公司 %(company)s")
                          % {"record": self.name(index), "company": _shown(companies[index])}) from None

    def categories(self, categories: dict) -> np.ndarray:
        """Category numbers, shared by haves and wants, in order of first appearance."""
        return np.array([categories.setdefault(category, len(categories)) for category in self.keys("category")],
                        dtype=np.int64)

    def amounts(self, field: str, pattern: re.Pattern) -> np.ndarray:
        """Money in fen (MONEY) or quantities in thousandths (QUANTITY) from decimal strings."""
        texts = self.column(field)
        found = [pattern.fullmatch(text) if type(text) is str else None for text in texts]
        if None in found:
            index = found.index(None)
            text = texts[index]
            if type(text) is str and NEGATIVE.fullmatch(text):
                reason = gettext("%(record)s 的 %(field)s 不能为负数：%(value)s")
            elif pattern is MONEY:
                reason = gettext("%(record)s 的 %(field)s 不是金额（最多两位小数的数字字符串）：%(value)s")
            else:
                reason = gettext("%(record)s 的 %(field)s 不是数量（最多三位小数的数字字符串）：%(value)s")
            raise BadBook(reason % {"record": self.name(index), "field": field, "value": _shown(text)})
        decimals = DECIMALS[pattern]
        return np.array([int(whole + (fraction or "").ljust(decimals, "0")) for whole, fraction in
                         (match.groups() for match in found)], dtype=np.int64)


def _is_key(value) -> bool:
    return type(value) is str or type(value) is int


def _shown(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- writing ---------------------------------------------------------------------------------

_TEXT = StringDType()
_CENTS = np.array([f".{cents:02d}" for cents in range(100)], dtype=_TEXT)
_THOUSANDTHS = np.array([f".{part:03d}" for part in range(1000)], dtype=_TEXT)


def money(fen) -> str:
    """Fen as CNY text with two decimals: -1234.50."""
    return money_texts(np.array([fen]))[0]


def money_texts(fen: np.ndarray) -> list[str]:
    """Fen as CNY texts with two decimals, exactly (integer division, no float), for whole columns."""
    size = np.abs(fen)
    text = np.strings.add((size // 100).astype(_TEXT), _CENTS[size % 100])
    return np.where(fen < 0, np.strings.add("-", text), text).tolist()


def quantity_texts(thousandths: np.ndarray) -> list[str]:
    """Thousandths as quantity texts with three decimals."""
    return np.strings.add((thousandths // 1000).astype(_TEXT), _THOUSANDTHS[thousandths % 1000]).tolist()


def match_json(read: ReadBook, result: matching.Match) -> dict:
    """OUT.json's content: transfers in deal order, company cash, and each deal's parts."""
    book = read.book
    company_ids = np.array(read.company_ids, dtype=object)
    transfers = [
        {"have": have, "want": want, "value": value, "quantity": amount}
        for have, want, value, amount in zip(
            np.array(read.have_ids, dtype=object)[result.transfer_have].tolist(),
            np.array(read.want_ids, dtype=object)[result.transfer_want].tolist(),
            money_texts(result.transfer_value), quantity_texts(result.transfer_quantity), strict=True)
    ]
    transfer_start = _starts(result.transfer_deal, result.deals)
    member_deal, member_company = result.deal_members(book)
    member_start, members = _starts(member_deal, result.deals), company_ids[member_company].tolist()
    settlement_start = _starts(result.settlement_deal, result.deals)
    settlements = [{"company": company, "amount": amount} for company, amount in zip(
        company_ids[result.settlement_company].tolist(), money_texts(result.settlement_amount), strict=True)]
    deals = [
        {"id": deal + 1,
         "transfers": list(range(transfer_start[deal], transfer_start[deal + 1])),
         "companies": members[member_start[deal]:member_start[deal + 1]],
         "cash": settlements[settlement_start[deal]:settlement_start[deal + 1]]}
        for deal in range(result.deals)
    ]
    paying = np.flatnonzero(result.cash)
    cash = [{"company": company, "amount": amount}
            for company, amount in zip(company_ids[paying].tolist(), money_texts(result.cash[paying]), strict=True)]
    return {"transfers": transfers, "cash": cash, "deals": deals, "total_value": money(result.total_value)}


def _starts(deal_of_row: np.ndarray, deals: int) -> list[int]:
    """Where each deal's rows start in rows sorted by deal, and where the last ends."""
    return np.searchsorted(deal_of_row, np.arange(deals + 1)).tolist()


def write_json(path: Path, content: dict) -> None:
    """Write through a temporary file beside `path`, renamed into place when complete: readers
    never see half a file, and a failed run leaves none."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise CommandError(gettext("无法写入结果文件 %(path)s：%(error)s") % {"path": path, "error": error.strerror},
                           returncode=2) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(content, ensure_ascii=False, separators=(",", ":")))  # dumps: the C encoder
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; OUT is an ordinary file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
