"""What people type is cleaned in one place: ids, filter dates and `next` links."""

from django.test import RequestFactory

from core.inputs import parse_id, parse_query_date, safe_next


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
