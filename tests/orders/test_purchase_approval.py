"""A sub-account's order above its purchase approval limit waits for the main account."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import StockReservation
from core.errors import BusinessRuleError, Conflict, NotAllowed
from core.models import Notification
from orders import selectors, services
from orders.models import Order
from tests import factories
from tests.orders.buying_helpers import place, stocked, sub_with_limit

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(seller):
    return stocked(seller, "100", price="1000.00")


def test_order_above_the_limit_waits_and_stock_stays_reserved(buyer, seller, product):
    clerk = sub_with_limit(buyer, "5000")
    order = place(clerk, product, "6")
    assert order.status == Order.Status.AWAITING_APPROVAL and order.payment_due_at is None
    assert order.lines.get().reservation.status == StockReservation.Status.ACTIVE
    main = factories.main_user_of(buyer)
    assert Notification.objects.filter(recipient=main, kind="order.approval").exists()
    assert not Notification.objects.filter(recipient=factories.main_user_of(seller), kind="order.placed").exists()
    assert list(selectors.awaiting_approval(company=buyer)) == [order]


def test_orders_within_the_limit_or_without_a_limit_go_straight_to_payment(buyer, product):
    assert place(sub_with_limit(buyer, "6000"), product, "6").status == Order.Status.PENDING_PAYMENT
    assert place(sub_with_limit(buyer, None), product, "60").status == Order.Status.PENDING_PAYMENT
    assert place(factories.main_user_of(buyer), product, "30").status == Order.Status.PENDING_PAYMENT


def test_seller_does_not_see_an_order_awaiting_approval(client, buyer, seller, product):
    order = place(sub_with_limit(buyer, "100"), product, "1")
    assert not selectors.orders_for_company(company=seller, side="seller").filter(pk=order.pk).exists()
    assert not selectors.orders_for_company(company=seller).filter(pk=order.pk).exists()
    client.force_login(factories.main_user_of(seller))
    assert client.get(reverse("merchant-orders:detail", args=[order.number])).status_code == 404
    assert order.number not in client.get(reverse("merchant-orders:list")).content.decode()
    with pytest.raises(Exception, match="未找到该订单"):
        services.post_order_message(by=factories.main_user_of(seller), order_id=order.pk, body="你好")


def test_main_account_approves(buyer, seller, product, django_capture_on_commit_callbacks):
    clerk = sub_with_limit(buyer, "100")
    with django_capture_on_commit_callbacks(execute=True):
        order = place(clerk, product, "1")
    assert not Notification.objects.filter(recipient=factories.main_user_of(seller), kind="order.placed").exists()
    main = factories.main_user_of(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.approve_order(by=main, order_id=order.pk)
    assert approved.status == Order.Status.PENDING_PAYMENT and approved.approved_by == main
    assert approved.payment_due_at is not None
    assert Notification.objects.filter(recipient=factories.main_user_of(seller), kind="order.placed").exists()
    assert Notification.objects.filter(recipient=clerk, kind="order.approval").exists()
    with pytest.raises(Conflict):
        services.approve_order(by=main, order_id=order.pk)


def test_main_account_rejects_with_a_reason_and_stock_is_released(buyer, product):
    order = place(sub_with_limit(buyer, "100"), product, "4")
    main = factories.main_user_of(buyer)
    with pytest.raises(BusinessRuleError, match="请填写原因"):
        services.reject_order(by=main, order_id=order.pk, reason="  ")
    rejected = services.reject_order(by=main, order_id=order.pk, reason="超出本月预算")
    assert rejected.status == Order.Status.CANCELLED and "超出本月预算" in rejected.cancel_reason
    product.refresh_from_db()
    assert product.stock_reserved == 0


def test_only_the_buyers_main_account_decides(buyer, seller, product):
    clerk = sub_with_limit(buyer, "100")
    order = place(clerk, product, "1")
    with pytest.raises(NotAllowed):
        services.approve_order(by=clerk, order_id=order.pk)
    with pytest.raises(Exception, match="未找到该订单"):
        services.approve_order(by=factories.main_user_of(seller), order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_APPROVAL


def test_limit_is_set_on_the_sub_account_page_and_approval_happens_on_the_member_page(client, buyer, product):
    main = factories.main_user_of(buyer)
    clerk = factories.sub_account(buyer, ["purchasing"])
    client.force_login(main)
    page = client.get(reverse("member:sub-account", args=[clerk.membership.pk]))
    assert reverse("member-orders:buying-approval-limit", args=[clerk.membership.pk]) in page.content.decode()
    bad = client.post(reverse("member-orders:buying-approval-limit", args=[clerk.membership.pk]),
                      {"purchase_approval_limit": "-5"}, follow=True)
    assert "请填写有效的金额" in bad.content.decode()
    response = client.post(reverse("member-orders:buying-approval-limit", args=[clerk.membership.pk]),
                           {"purchase_approval_limit": "2000"})
    assert response.status_code == 302
    clerk.membership.refresh_from_db()
    assert clerk.membership.purchase_approval_limit == Decimal("2000.00")

    order = place(clerk, product, "3")
    assert order.status == Order.Status.AWAITING_APPROVAL
    listing = client.get(reverse("member-orders:approvals")).content.decode()
    assert order.number in listing and clerk.display_name in listing
    client.post(reverse("member-orders:buying-approve", args=[order.number]))
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT

    second = place(clerk, product, "3")
    client.post(reverse("member-orders:buying-reject", args=[second.number]), {"reason": "重复采购"})
    second.refresh_from_db()
    assert second.status == Order.Status.CANCELLED


def test_sub_account_cannot_open_the_approval_page(client, buyer):
    clerk = factories.sub_account(buyer, ["purchasing"])
    client.force_login(clerk)
    assert client.get(reverse("member-orders:approvals")).status_code == 403
