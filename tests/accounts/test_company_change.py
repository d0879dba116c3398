import pytest

from accounts import rules, services
from accounts.models import Company, CompanyDocument
from core.errors import BusinessRuleError, Conflict, NotAllowed
from tests import factories

pytestmark = pytest.mark.django_db


def request_change(company, **changes):
    return services.request_company_change(
        user=factories.main_user_of(company), changes=changes or {"name": "新名称纸业集团有限公司"},
        documents={CompanyDocument.Kind.BUSINESS_LICENCE: [factories.upload()]},
    )


def test_change_under_review_stops_new_orders_and_pages_say_why(client, buyer):
    request_change(buyer)
    buyer.refresh_from_db()
    assert buyer.status == Company.Status.CHANGE_PENDING
    for activity in (rules.Activity.PLACE_ORDERS, rules.Activity.ACCEPT_ORDERS):
        with pytest.raises(NotAllowed):
            rules.ensure_company_may(buyer, activity)
    rules.ensure_company_may(buyer, rules.Activity.LIST_PRODUCTS)
    client.force_login(factories.main_user_of(buyer))
    assert "变更正在审核中" in client.get("/member/").content.decode()


def test_approved_change_updates_the_company_but_not_past_orders(buyer, seller):
    old_name = buyer.name
    order = factories.order(buyer=buyer, seller=seller)
    application = request_change(buyer, name="上海新东方包装集团有限公司")
    services.review_application(application_id=application.pk, reviewer=factories.staff_user("reviewer"),
                                approve=True)
    buyer.refresh_from_db()
    assert (buyer.name, buyer.status) == ("上海新东方包装集团有限公司", Company.Status.VERIFIED)
    order.refresh_from_db()
    assert order.buyer_snapshot["name"] == old_name


def test_rejected_change_keeps_the_old_details(buyer):
    old_name = buyer.name
    application = request_change(buyer)
    services.review_application(application_id=application.pk, reviewer=factories.staff_user("reviewer"),
                                approve=False, reason="执照与名称不符")
    buyer.refresh_from_db()
    assert (buyer.name, buyer.status) == (old_name, Company.Status.VERIFIED)


def test_one_change_at_a_time_and_only_with_a_new_licence(buyer):
    with pytest.raises(BusinessRuleError):
        services.request_company_change(user=factories.main_user_of(buyer), changes={"name": "x"}, documents={})
    request_change(buyer)
    with pytest.raises(Conflict):
        request_change(buyer)


def test_unverified_company_cannot_trade_at_all():
    application = factories.applied_company()
    for activity in rules.ALLOWED:
        with pytest.raises(NotAllowed) as refusal:
            rules.ensure_company_may(application.company, activity)
        assert "审核中" in str(refusal.value.message)
    with pytest.raises(NotAllowed):
        rules.ensure_company_may(None, rules.Activity.PLACE_ORDERS)
