"""`manage.py clear_obligations IN.csv OUT.csv`: set-off per obligation in, JSON totals out, and
bad input refused line by line with exit status 2 and no OUT file.

No django_db mark: pytest-django refuses database access here, so these tests also prove the
command never touches the database."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
HEADER = "id,debtor,creditor,amount\n"


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """The command caches nothing: override the suite-wide catalogue cache bump so these tests
    need neither the database nor Redis."""


def write_input(tmp_path, content):
    in_csv = tmp_path / "IN.csv"
    in_csv.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return in_csv


def run(tmp_path, content):
    """Run the command on IN.csv holding `content`; return (OUT path, stdout, stderr)."""
    in_csv, out_csv = write_input(tmp_path, content), tmp_path / "OUT.csv"
    stdout, stderr = StringIO(), StringIO()
    call_command("clear_obligations", str(in_csv), str(out_csv), stdout=stdout, stderr=stderr)
    return out_csv, stdout.getvalue(), stderr.getvalue()


def refused(tmp_path, content):
    """Run the command on bad input; check exit status 2 and that nothing was written beside
    IN.csv (no OUT, no temporary file); return the stderr lines."""
    in_csv, stderr = write_input(tmp_path, content), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("clear_obligations", str(in_csv), str(tmp_path / "OUT.csv"), stdout=StringIO(), stderr=stderr)
    assert raised.value.returncode == 2
    assert [path.name for path in tmp_path.iterdir()] == ["IN.csv"]
    return stderr.getvalue().splitlines()


def test_good_book_writes_every_setoff_in_input_order_and_one_json_line(tmp_path):
    # The 2-cycle trap in yuan: the 3-cycle A->B->C->A is cleared, B->A stays.
    out_csv, stdout, stderr = run(tmp_path, HEADER + "o1,甲,乙,1000\no2,乙,甲,1000.00\no3,乙,丙,999.5\no4,丙,甲,1000\n")
    assert out_csv.read_text(encoding="utf-8") == "id,setoff\no1,1000.00\no2,0.50\no3,999.50\no4,999.50\n"
    assert stderr == ""
    lines = stdout.splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary.pop("seconds") >= 0
    assert summary == {
        "obligations": 4,
        "companies": 3,
        "total_debt": "3999.50",
        "cleared": "2999.50",
        "net_internal_debt": "1000.00",
    }


def test_ids_keep_their_text_and_extra_columns_are_ignored(tmp_path):
    content = 'note,id,debtor,creditor,amount\nx,"A,1",NA,null,5.5\ny,"say ""hi""",null,NA,5.50\n'
    out_csv, _stdout, _stderr = run(tmp_path, content)
    assert out_csv.read_text(encoding="utf-8") == 'id,setoff\n"A,1",5.50\n"say ""hi""",5.50\n'


def test_header_only_book_writes_an_empty_result(tmp_path):
    out_csv, stdout, _stderr = run(tmp_path, HEADER)
    assert out_csv.read_text(encoding="utf-8") == "id,setoff\n"
    assert json.loads(stdout)["cleared"] == "0.00"


def test_rerun_replaces_the_previous_out_file(tmp_path):
    (tmp_path / "OUT.csv").write_text("stale")
    out_csv, _stdout, _stderr = run(tmp_path, HEADER + "a,X,Y,1\nb,Y,X,2\n")
    assert out_csv.read_text(encoding="utf-8") == "id,setoff\na,1.00\nb,1.00\n"


@pytest.mark.parametrize(("content", "expected"), [
    ("id,debtor,amount\na,X,1\n", "line 1: 缺少列：creditor"),
    ("", "line 1: 缺少列：id, debtor, creditor, amount"),
    (HEADER + "a,X,Y,1\nb,X,Y,12.345\n", "line 3: 金额格式不正确，应为最多两位小数的数字"),
    (HEADER + "a,X,Y,1\nb,X,Y,1e3\n", "line 3: 金额格式不正确，应为最多两位小数的数字"),
    (HEADER + "a,X,Y,\n", "line 2: 金额格式不正确，应为最多两位小数的数字"),
    (HEADER + "a,X,Y,１２\n", "line 2: 金额格式不正确，应为最多两位小数的数字"),
    (HEADER + "a,X,Y,0.00\n", "line 2: 金额必须大于零"),
    (HEADER + "a,X,Y,-5\n", "line 2: 金额必须大于零"),
    (HEADER + "a,X,Y,100000000000000\n", "line 2: 金额过大，整数部分最多 14 位"),
    (HEADER + "a,X,Y,1\nb,Y,Y,1\n", "line 3: 债务人与债权人是同一家企业"),
    (HEADER + "a,X,Y,1\nb,Y,X,1\na,X,Y,2\n", "line 4: 编号重复，与第 2 行相同"),
    (HEADER + "a,X,Y,1\n,Y,X,1\n", "line 3: 编号为空"),
    (HEADER + "a,X,Y,1\n\nb,Y,X,1\n", "line 3: 编号为空"),  # a blank line counts as a line
    (HEADER + "a,,Y,1\n", "line 2: 债务人为空"),
    (HEADER + "a,X,,1\n", "line 2: 债权人为空"),
    (HEADER + "a,X,Y,1\nb,X,Y,1,extra\n", "line 3: 字段数与表头不一致"),
    (HEADER + "a,X,Y,1,000.00\n", "line 2: 字段数与表头不一致"),  # never read as 1 yuan
    (HEADER + 'a,X,Y,1\nb,"X,Y,1\nc,X,Y,1\n', "line 3: 引号未闭合"),
])
def test_bad_input_is_refused_with_its_line_and_reason(tmp_path, content, expected):
    assert expected in refused(tmp_path, content)


def test_every_bad_line_is_reported_not_only_the_first(tmp_path):
    assert refused(tmp_path, HEADER + "a,X,Y,1\nb,X,X,1\nc,X,Y,abc\nd,X,Y,2\n") == [
        "line 3: 债务人与债权人是同一家企业",
        "line 4: 金额格式不正确，应为最多两位小数的数字",
    ]


def test_bad_input_leaves_an_existing_out_file_alone(tmp_path):
    (tmp_path / "OUT.csv").write_text("previous run")
    with pytest.raises(CommandError):
        run(tmp_path, HEADER + "a,X,Y,-1\n")
    assert (tmp_path / "OUT.csv").read_text() == "previous run"


def test_text_that_is_not_utf8_is_refused_at_its_line(tmp_path):
    content = (HEADER + "a,X,Y,1\n").encode() + "b,甲,乙,1\n".encode("gbk")
    assert "line 3: 不是 UTF-8 编码的文本" in refused(tmp_path, content)


def test_missing_input_file_is_refused_with_status_2(tmp_path):
    with pytest.raises(CommandError) as raised:
        call_command("clear_obligations", str(tmp_path / "nowhere.csv"), str(tmp_path / "OUT.csv"),
                     stdout=StringIO(), stderr=StringIO())
    assert raised.value.returncode == 2
    assert not (tmp_path / "OUT.csv").exists()


def test_manage_py_exits_with_status_2_on_bad_input(tmp_path):
    in_csv, out_csv = tmp_path / "IN.csv", tmp_path / "OUT.csv"
    in_csv.write_text(HEADER + "a,X,Y,1\nb,X,Y,1.234\n", encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, "manage.py", "clear_obligations", str(in_csv), str(out_csv)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert finished.returncode == 2
    assert "line 3: 金额格式不正确，应为最多两位小数的数字" in finished.stderr.splitlines()
    assert finished.stdout == ""
    assert not out_csv.exists()
