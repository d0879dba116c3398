"""What people type is cleaned in one place: ids, amounts of money, filter dates and `next` links."""

from decimal import Decimal

import pytest
from django.test import RequestFactory

from core.errors import BusinessRuleError
from core.inputs import parse_id, parse_money, parse_query_date, safe_next


def test_only_plain_ascii_digits_are_ids():
    assert parse_id("12") == 12 and parse_id(7) == 7
    for bad in ("abc", "²", "١٢", "-1", "", None, "1e3", "9" * 30):
        assert parse_id(bad) is None


def test_filter_dates_outside_any_plausible_range_are_ignored():
    assert str(parse_query_date("2026-11-23")) == "2026-11-23"
    for bad in ("0001-01-01", "9999-12-31", "not-a-date", None):
        assert parse_query_date(bad) is None


def test_next_must_stay_on_this_site():
    factory = RequestFactory()
    assert safe_next(factory.post("/x/", {"next": "/member/"}), "/fallback/") == "/member/"
    for target in ("//evil.example/", "https://evil.example/", "javascript:alert(1)"):
        assert safe_next(factory.post("/x/", {"next": target}), "/fallback/") == "/fallback/"


@pytest.mark.parametrize(("typed", "amount"), [
    ("12,500.00", "12500.00"), ("12，500", "12500.00"), (" 1.5 ", "1.50"), ("1.230", "1.23"), (3, "3.00"),
    (12500.5, "12500.50"), (0.1, "0.10"), (Decimal("7.10"), "7.10"), ("-5", "-5.00"),
])
def test_amounts_are_read_the_same_way_in_every_app(typed, amount):
    assert parse_money(typed, "amount") == Decimal(amount)


@pytest.mark.parametrize(("typed", "message"), [
    ("1.234", "金额最多两位小数。"), (0.30000000000000004, "金额最多两位小数。"),
    ("abc", "请输入正确的金额，例如 12500.00。"), ("", "请输入正确的金额，例如 12500.00。"),
    (None, "请输入正确的金额，例如 12500.00。"), (True, "请输入正确的金额，例如 12500.00。"),
    ("NaN", "请输入正确的金额，例如 12500.00。"), ("1e100", "请输入正确的金额，例如 12500.00。"),
])
def test_an_amount_with_fractions_of_a_fen_or_no_number_is_refused_not_rounded(typed, message):
    with pytest.raises(BusinessRuleError) as refused:
        parse_money(typed, "amount")
    assert refused.value.code == "invalid_amount" and refused.value.details == {"amount": message}


def test_amount_refusals_name_the_field_the_caller_labels():
    with pytest.raises(BusinessRuleError) as refused:
        parse_money("1.005", "budget", label="预算")
    assert refused.value.details == {"budget": "预算最多两位小数。"}
