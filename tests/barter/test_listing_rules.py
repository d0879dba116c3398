"""Listings: who may post them and what the book refuses."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from barter import services
from barter.models import Listing
from core.errors import BusinessRuleError, Conflict, NotAllowed
from core.permissions import CompanyPermission
from tests import factories
from tests.barter.barter_helpers import barter_company, category, have, want, window

pytestmark = pytest.mark.django_db


def test_have_and_want_go_into_the_book():
    _company, user = barter_company("易货甲有限公司")
    paper = category("bt-paper", "文化纸")
    pulp = category("bt-pulp", "木浆")
    offered = have(user, paper, "12.5", "4800")
    wanted = want(user, pulp, "50000", "5200", quantity="8")
    assert offered.status == wanted.status == Listing.Status.ACTIVE
    assert offered.offered_value == Decimal("60000.000")
    assert wanted.title == "木浆"


def test_want_refused_in_a_category_the_company_offers():
    _company, user = barter_company("易货甲有限公司")
    paper = category("bt-paper", "文化纸")
    have(user, paper, "10", "1000")
    with pytest.raises(BusinessRuleError) as refusal:
        want(user, paper, "5000", "1000")
    assert refusal.value.code == "category_conflict"
    assert "不能在同一类目求购" in str(refusal.value.message)


def test_have_refused_in_a_category_the_company_wants():
    _company, user = barter_company("易货甲有限公司")
    paper = category("bt-paper", "文化纸")
    want(user, paper, "5000", "1000")
    with pytest.raises(BusinessRuleError) as refusal:
        have(user, paper, "10", "1000")
    assert refusal.value.code == "category_conflict"


def test_catalogue_have_takes_product_details_and_is_capped_by_stock():
    company, user = barter_company("易货甲有限公司")
    product = factories.stock(factories.product(seller=company, title="250g 白卡纸"), "20")
    with pytest.raises(BusinessRuleError) as refusal:
        services.create_have(by=user, product_id=product.pk, quantity="20.001", unit_value="4000", **window())
    assert refusal.value.code == "insufficient_stock"
    listing = services.create_have(by=user, product_id=product.pk, quantity="20", unit_value="4000", **window())
    assert (listing.title, listing.category_id, listing.unit) == ("250g 白卡纸", product.category_id, "吨")


def test_catalogue_have_refused_for_another_companys_product():
    _company, user = barter_company("易货甲有限公司")
    other, _other_user = barter_company("易货乙有限公司")
    product = factories.stock(factories.product(seller=other), "20")
    with pytest.raises(BusinessRuleError) as refusal:
        services.create_have(by=user, product_id=product.pk, quantity="1", unit_value="4000", **window())
    assert refusal.value.code == "invalid_product"


def test_window_end_before_start_refused():
    _company, user = barter_company("易货甲有限公司")
    today = timezone.localdate()
    with pytest.raises(BusinessRuleError) as refusal:
        services.create_want(by=user, category_id=category("bt-pulp", "木浆").pk, budget="100", max_unit_value="10",
                             available_from=today + timedelta(days=5), available_until=today + timedelta(days=1))
    assert refusal.value.code == "window_reversed"
    assert refusal.value.details["available_until"]


@pytest.mark.parametrize("field,value,code", [("quantity", "0", "invalid_quantity"),
                                              ("quantity", "abc", "invalid_quantity"),
                                              ("unit_value", "-1", "invalid_amount"),
                                              ("unit_value", "1.005", "invalid_amount")])
def test_bad_numbers_refused(field, value, code):
    _company, user = barter_company("易货甲有限公司")
    values = {"quantity": "1", "unit_value": "100", field: value}
    with pytest.raises(BusinessRuleError) as refusal:
        have(user, category("bt-paper", "文化纸"), values["quantity"], values["unit_value"])
    assert refusal.value.code == code


def test_sub_account_without_barter_permission_refused():
    company, _user = barter_company("易货甲有限公司")
    clerk = factories.sub_account(company, [CompanyPermission.PURCHASING])
    with pytest.raises(NotAllowed) as refusal:
        have(clerk, category("bt-paper", "文化纸"), "1", "100")
    assert refusal.value.code == "missing_permission"
    trader = factories.sub_account(company, [CompanyPermission.BARTER])
    assert have(trader, category("bt-paper", "文化纸"), "1", "100").company == company


def test_unverified_company_refused():
    company = factories.company(name="待认证纸业有限公司", verified=False)
    with pytest.raises(NotAllowed) as refusal:
        have(factories.main_user_of(company), category("bt-paper", "文化纸"), "1", "100")
    assert refusal.value.code.startswith("company_")


def test_withdraw_and_expiry():
    _company, user = barter_company("易货甲有限公司")
    listing = have(user, category("bt-paper", "文化纸"), "1", "100")
    withdrawn = services.withdraw_listing(by=user, listing_id=listing.pk)
    assert withdrawn.status == Listing.Status.WITHDRAWN
    with pytest.raises(Conflict):
        services.withdraw_listing(by=user, listing_id=listing.pk)
    other = have(user, category("bt-board", "箱板纸"), "1", "100")
    later = other.available_until + timedelta(days=1)
    assert services.expire_listings(today=later) == 1
    assert services.expire_listings(today=later) == 0
    other.refresh_from_db()
    assert other.status == Listing.Status.EXPIRED


def test_cash_limit_refuses_negative():
    _company, user = barter_company("易货甲有限公司")
    with pytest.raises(BusinessRuleError):
        services.set_cash_limit(by=user, cash_limit="-5")
    assert services.set_cash_limit(by=user, cash_limit="8000").cash_limit == Decimal("8000.00")
