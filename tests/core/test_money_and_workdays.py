from datetime import date
from decimal import Decimal

import pytest

from core.money import format_cny, from_fen, to_fen, to_money
from core.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(("value", "expected"), [
    ("1.005", "1.01"), ("2.675", "2.68"), ("-1.005", "-1.01"), (3, "3.00"), (Decimal("0.004"), "0.00"),
])
def test_money_rounds_half_up_to_fen(value, expected):
    assert to_money(value) == Decimal(expected)


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        to_money(0.1)


def test_fen_round_trip_and_format():
    assert to_fen("1234.56") == 123456
    assert from_fen(123456) == Decimal("1234.56")
    assert format_cny(Decimal("1234567.8")) == "¥1,234,567.80"


def test_national_day_holidays_are_not_working_days():
    assert not is_working_day(date(2025, 10, 1))
    assert not is_working_day(date(2025, 10, 8))
    # 2025's National Day make-up workdays (调休): Sunday 28 September and Saturday 11 October.
    assert is_working_day(date(2025, 9, 28))
    assert is_working_day(date(2025, 10, 11))


def test_add_working_days_skips_the_golden_week():
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)  # Friday → make-up Sunday


def test_working_days_between_counts_only_working_days():
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 10)) == 2  # 9 and 10 October


def test_unannounced_year_falls_back_to_monday_to_friday():
    assert is_working_day(date(2040, 3, 5))  # a Monday
    assert not is_working_day(date(2040, 3, 4))  # a Sunday
