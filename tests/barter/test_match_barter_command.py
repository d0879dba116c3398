"""`manage.py match_barter BOOK.json OUT.json`: the match written as transfers, cash and deals with
a JSON summary line; bad input refused with exit status 2, the reason naming the record, and no OUT.

No django_db mark: pytest-django refuses database access here, so these tests also prove the
command never touches the database."""

import copy
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from barter import matching

ROOT = Path(__file__).resolve().parents[2]

# A ring: 甲 gives paper to 乙, 乙 pulp to 丙, 丙 board to 甲; ¥5,000 goes round, no cash.
RING = {
    "companies": [{"id": "甲", "cash_limit": "0.00"}, {"id": "乙", "cash_limit": "0"},
                  {"id": 3, "cash_limit": "100.00"}],
    "haves": [
        {"id": "h1", "company": "甲", "category": "瓦楞原纸", "quantity": "10.000", "unit_value": "500.00"},
        {"id": "h2", "company": "乙", "category": "木浆", "quantity": "20", "unit_value": "400.00"},
        {"id": "h3", "company": 3, "category": "白卡纸", "quantity": "5.5", "unit_value": "2000"},
    ],
    "wants": [
        {"id": "w1", "company": "乙", "category": "瓦楞原纸", "budget": "10000.00", "max_unit_value": "600.00"},
        {"id": "w2", "company": 3, "category": "木浆", "budget": "10000.00", "max_unit_value": "400.00"},
        {"id": "w3", "company": "甲", "category": "白卡纸", "budget": "5000.00", "max_unit_value": "2000.00"},
    ],
}


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """The command caches nothing: override the suite-wide catalogue cache bump so these tests
    need neither the database nor Redis."""


def write_book(tmp_path, book):
    path = tmp_path / "BOOK.json"
    path.write_text(book if isinstance(book, str) else json.dumps(book, ensure_ascii=False), encoding="utf-8")
    return path


def run(tmp_path, book):
    """Run the command; return (OUT content, stdout)."""
    out_path, stdout = tmp_path / "OUT.json", StringIO()
    call_command("match_barter", str(write_book(tmp_path, book)), str(out_path), stdout=stdout, stderr=StringIO())
    return json.loads(out_path.read_text(encoding="utf-8")), stdout.getvalue()


def refused(tmp_path, book) -> str:
    """Run the command on a bad book; check exit status 2 and that nothing was written beside
    BOOK.json (no OUT, no temporary file); return the reason."""
    book_path = write_book(tmp_path, book)
    with pytest.raises(CommandError) as raised:
        call_command("match_barter", str(book_path), str(tmp_path / "OUT.json"), stdout=StringIO(), stderr=StringIO())
    assert raised.value.returncode == 2
    assert [path.name for path in tmp_path.iterdir()] == ["BOOK.json"]
    return str(raised.value)


def changed(**changes):
    """RING with records changed: changes maps paths like haves__0__unit_value to new values
    (None removes the field)."""
    book = copy.deepcopy(RING)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = book
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            del target[last if not last.isdigit() else int(last)]
        else:
            target[int(last) if last.isdigit() else last] = value
    return book


def test_a_ring_is_written_as_three_transfers_in_one_deal_with_a_summary_line(tmp_path):
    out, stdout = run(tmp_path, RING)
    assert sorted(out["transfers"], key=lambda transfer: transfer["have"]) == [
        {"have": "h1", "want": "w1", "value": "5000.00", "quantity": "10.000"},
        {"have": "h2", "want": "w2", "value": "5000.00", "quantity": "12.500"},
        {"have": "h3", "want": "w3", "value": "5000.00", "quantity": "2.500"},
    ]
    assert out["cash"] == []
    assert out["total_value"] == "15000.00"
    [deal] = out["deals"]
    assert deal["id"] == 1
    assert sorted(deal["transfers"]) == [0, 1, 2]
    assert sorted(deal["companies"], key=str) == [3, "乙", "甲"]  # ids come back as they were given
    assert deal["cash"] == []
    lines = stdout.splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary.pop("seconds") >= 0
    assert summary == {"listings": 6, "companies": 3, "transfers": 3, "deals": 1, "total_value": "15000.00",
                       "largest_deal_companies": 3}


def test_cash_is_written_for_who_pays_and_who_receives_overall_and_per_deal(tmp_path):
    # 甲 takes only ¥4,900 of board, so ¥4,900 goes round the ring; 丙 (cash limit ¥100) takes
    # ¥100 more pulp from 乙 and pays for it.
    out, _ = run(tmp_path, changed(companies__1__cash_limit="500.00", wants__2__budget="4900.00"))
    assert out["total_value"] == "14800.00"  # ¥4,900 + ¥5,000 + ¥4,900
    assert sorted(out["cash"], key=lambda cash: str(cash["company"])) == [
        {"company": 3, "amount": "-100.00"}, {"company": "乙", "amount": "100.00"}]
    per_deal = {}
    for deal in out["deals"]:
        for entry in deal["cash"]:
            assert entry["company"] in deal["companies"]
            per_deal[entry["company"]] = per_deal.get(entry["company"], 0) + float(entry["amount"])
    assert per_deal == {3: -100.0, "乙": 100.0}


def test_an_existing_out_file_is_left_alone_when_the_book_is_bad(tmp_path):
    out_path = tmp_path / "OUT.json"
    out_path.write_text("earlier", encoding="utf-8")
    book_path = write_book(tmp_path, changed(haves__0__company="无此公司"))
    with pytest.raises(CommandError):
        call_command("match_barter", str(book_path), str(out_path), stdout=StringIO(), stderr=StringIO())
    assert out_path.read_text(encoding="utf-8") == "earlier"


BAD_BOOKS = {
    "unknown company": (changed(haves__0__company="无此公司"), ['供货 "h1"', '不存在的公司 "无此公司"']),
    "want in a category the company offers": (
        changed(wants__2__category="瓦楞原纸"), ['求购 "w3"', '公司 "甲"', '品类 "瓦楞原纸"']),
    "money with three decimals": (changed(haves__1__unit_value="400.005"), ['供货 "h2"', "unit_value", "不是金额"]),
    "money as a JSON number": (changed(wants__0__budget=10000), ['求购 "w1"', "budget", "不是金额"]),
    "money in words": (changed(companies__0__cash_limit="一百"), ['公司 "甲"', "cash_limit", "不是金额"]),
    "quantity with four decimals": (changed(haves__2__quantity="5.0001"), ['供货 "h3"', "quantity", "不是数量"]),
    "negative cash limit": (changed(companies__1__cash_limit="-5.00"), ['公司 "乙"', "cash_limit", "不能为负数"]),
    "negative quantity": (changed(haves__0__quantity="-1.000"), ['供货 "h1"', "quantity", "不能为负数"]),
    "negative budget": (changed(wants__1__budget="-100"), ['求购 "w2"', "budget", "不能为负数"]),
    "duplicate have id": (changed(haves__1__id="h1"), ['供货 "h1"', "编号重复"]),
    "duplicate want id": (changed(wants__2__id="w1"), ['求购 "w1"', "编号重复"]),
    "duplicate company id": (changed(companies__2__id="甲"), ['公司 "甲"', "编号重复"]),
    "missing field": (changed(haves__1__unit_value=None), ['供货 "h2"', "缺少字段 unit_value"]),
    "missing id, named by position": (changed(wants__1__id=None), ["求购 #2", "缺少字段 id"]),
    "id neither text nor integer": (changed(haves__0__id=["h1"]), ["供货 #1", "id", "必须是字符串或整数"]),
    "unit value zero": (changed(haves__0__unit_value="0.00"), ['供货 "h1"', "单价必须大于零"]),
    "record not an object": (changed(wants__0="w1"), ["求购 #1", "不是 JSON 对象"]),
    "no list of wants": (changed(wants=None), ["companies、haves 和 wants"]),
    "not JSON": ('{"companies": [', ["不是有效的 JSON"]),
}


@pytest.mark.parametrize("case", BAD_BOOKS)
def test_a_bad_book_is_refused_with_exit_status_2_naming_the_record_and_nothing_written(tmp_path, case):
    book, expected = BAD_BOOKS[case]
    reason = refused(tmp_path, book)
    for part in expected:
        assert part in reason


def test_a_missing_book_file_is_refused_with_exit_status_2(tmp_path):
    with pytest.raises(CommandError) as raised:
        call_command("match_barter", str(tmp_path / "none.json"), str(tmp_path / "OUT.json"), stdout=StringIO())
    assert raised.value.returncode == 2
    assert "无法读取订单簿文件" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_an_out_file_that_cannot_be_written_is_refused_with_exit_status_2(tmp_path):
    book_path = write_book(tmp_path, RING)
    with pytest.raises(CommandError) as raised:
        call_command("match_barter", str(book_path), str(tmp_path / "no" / "OUT.json"), stdout=StringIO())
    assert raised.value.returncode == 2
    assert "无法写入结果文件" in str(raised.value)


def test_from_the_shell_a_bad_book_exits_2_with_the_reason_on_stderr(tmp_path):
    book_path, out_path = write_book(tmp_path, changed(haves__0__company="无此公司")), tmp_path / "OUT.json"
    completed = subprocess.run([sys.executable, "manage.py", "match_barter", str(book_path), str(out_path)],
                               cwd=ROOT, capture_output=True, text=True, check=False)
    assert completed.returncode == 2
    assert '供货 "h1" 引用了不存在的公司 "无此公司"' in completed.stderr
    assert completed.stdout == ""
    assert not out_path.exists()


def test_an_empty_book_writes_an_empty_match(tmp_path):
    out, stdout = run(tmp_path, {"companies": [], "haves": [], "wants": []})
    assert out == {"transfers": [], "cash": [], "deals": [], "total_value": "0.00"}
    assert json.loads(stdout)["deals"] == 0


def test_a_match_failing_the_engines_own_checks_exits_1_and_writes_nothing(tmp_path, monkeypatch):
    def broken_check(book, result):
        raise matching.MatchInvariantError("a want gets more than its budget")

    monkeypatch.setattr(matching, "check_match", broken_check)
    book_path = write_book(tmp_path, RING)
    with pytest.raises(CommandError) as raised:
        call_command("match_barter", str(book_path), str(tmp_path / "OUT.json"), stdout=StringIO())
    assert raised.value.returncode == 1
    assert "撮合结果未通过校验" in str(raised.value)
    assert [path.name for path in tmp_path.iterdir()] == ["BOOK.json"]
