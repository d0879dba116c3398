"""Disputes through the pages: the parties' panel on the order page, evidence downloads for the
parties and staff only, and the mediators' queue and case page in the back office."""

from decimal import Decimal

import pytest

from core.permissions import StaffRole
from orders import disputes
from orders.models import Dispute, Order, Refund
from tests import factories
from tests.orders.dispute_helpers import paid_order, png, shipped_order

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(factories.main_user_of(buyer))
    return client


@pytest.fixture
def mediator_client(client):
    mediator = factories.staff_user(StaffRole.CUSTOMER_SERVICE, full_name="调解员王芳")
    client.force_login(mediator)
    client.mediator = mediator
    return client


def open_quality(order):
    return disputes.open_dispute(by=factories.main_user_of(order.buyer), order_id=order.pk, kind="quality",
                                 claim="纸张有明显色差。", evidence=[png("色差照片.png")])


def test_the_buyer_opens_a_dispute_from_the_order_page_and_a_rule_decides_it(buyer_client, buyer, seller):
    order = paid_order(buyer=buyer, seller=seller, paid_days_ago=9)
    page = buyer_client.get(f"/member/orders/{order.number}/")
    assert page.status_code == 200 and "发起交易纠纷" in page.content.decode()

    response = buyer_client.post(f"/member/orders/{order.number}/disputes/open/", {
        "kind": "not_shipped", "claim": "付款 9 天未发货", "claimed_amount": "",
        "evidence": [png("聊天记录.png")]}, follow=True)

    assert response.status_code == 200
    body = response.content.decode()
    assert "规则 R1（付款后未发货）" in body and "聊天记录.png" in body
    dispute = Dispute.objects.get()
    assert (dispute.outcome, dispute.evidence.count()) == ("full_refund", 1)
    assert Order.objects.get(pk=order.pk).status == S.REFUND_REQUESTED


def test_a_refused_opening_shows_the_reason_on_the_order_page(buyer_client, buyer, seller):
    order = paid_order(buyer=buyer, seller=seller)
    response = buyer_client.post(f"/member/orders/{order.number}/disputes/open/", {
        "kind": "quality", "claim": "色差", "claimed_amount": "99999"}, follow=True)
    assert "要求退款金额不能超过可退金额 ¥12,345.00" in response.content.decode()
    assert not Dispute.objects.exists()


def test_another_companys_order_page_actions_are_404(buyer_client, seller):
    other_buyer = factories.company(name="别家包装有限公司")
    order = paid_order(buyer=other_buyer, seller=seller)
    response = buyer_client.post(f"/member/orders/{order.number}/disputes/open/", {"kind": "quality", "claim": "x"})
    assert response.status_code == 404


def test_the_seller_adds_evidence_from_the_merchant_page(client, buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1)
    dispute = open_quality(order)
    client.force_login(factories.main_user_of(seller))
    response = client.post(f"/merchant/orders/disputes/{dispute.pk}/evidence/",
                           {"evidence": png("出厂检验单.png"), "note": "出厂检验合格"})
    assert response.status_code == 302
    assert dispute.evidence.filter(from_seller=True, original_name="出厂检验单.png").exists()
    refused = client.post(f"/merchant/orders/disputes/{dispute.pk}/evidence/",
                          {"evidence": factories.upload(name="a.png", content=b"text")}, follow=True)
    assert "不是 PDF、JPEG 或 PNG" in refused.content.decode()


def test_evidence_files_are_for_the_parties_and_staff_only(client, buyer, seller):
    order = shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1)
    evidence = open_quality(order).evidence.get()
    url = f"/member/orders/disputes/evidence/{evidence.pk}/"
    for user, expected in [
        (factories.main_user_of(buyer), 200), (factories.main_user_of(seller), 200),
        (factories.staff_user(StaffRole.CUSTOMER_SERVICE), 200),
        (factories.main_user_of(factories.company(name="无关纸业有限公司")), 404),
        (factories.sub_account(buyer, ["finance"]), 404),
    ]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == expected, user
        if expected == 200:
            assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_the_mediator_works_the_queue_and_decides_a_partial_refund(mediator_client, buyer, seller):
    older = open_quality(shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1, waybill="SF1"))
    newer = open_quality(shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1, waybill="SF2"))

    queue = mediator_client.get("/backoffice/orders/disputes/queue/")
    body = queue.content.decode()
    assert queue.status_code == 200 and body.index(older.order.number) < body.index(newer.order.number)

    case = mediator_client.get(f"/backoffice/orders/disputes/{older.pk}/")
    body = case.content.decode()
    assert "纸张有明显色差。" in body and "色差照片.png" in body and "SF1" in body and "受理此纠纷" in body

    mediator_client.post(f"/backoffice/orders/disputes/{older.pk}/assign/")
    assert Dispute.objects.get(pk=older.pk).mediator == mediator_client.mediator
    response = mediator_client.post(f"/backoffice/orders/disputes/{older.pk}/mediate/", {
        "outcome": "partial_refund", "refund_amount": "1500", "explanation": "色差属实，补偿 1500 元"}, follow=True)
    assert "已裁决" in response.content.decode()
    assert Refund.objects.get(order=older.order).amount == Decimal("1500.00")
    assert list(disputes.mediation_queue()) == [newer]


def test_a_mediation_form_without_an_outcome_says_so(mediator_client, buyer, seller):
    dispute = open_quality(shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1))
    response = mediator_client.post(f"/backoffice/orders/disputes/{dispute.pk}/mediate/",
                                    {"explanation": "x"}, follow=True)
    assert "裁决结果" in response.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).status == "open"


def test_referral_makes_the_dossier_downloadable(mediator_client, buyer, seller):
    dispute = open_quality(shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1))
    mediator_client.post(f"/backoffice/orders/disputes/{dispute.pk}/refer/", {"note": "调解未果"})
    assert Dispute.objects.get(pk=dispute.pk).status == "arbitration"
    response = mediator_client.get(f"/backoffice/orders/disputes/{dispute.pk}/dossier.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_back_office_is_for_customer_service_and_legal(client, buyer, seller):
    dispute = open_quality(shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1))
    client.force_login(factories.staff_user(StaffRole.FINANCE))
    assert client.get("/backoffice/orders/disputes/queue/").status_code == 403
    assert client.post(f"/backoffice/orders/disputes/{dispute.pk}/mediate/",
                       {"outcome": "no_refund", "explanation": "x"}).status_code == 403
    client.force_login(factories.staff_user(StaffRole.LEGAL))
    assert client.get(f"/backoffice/orders/disputes/{dispute.pk}/").status_code == 200
    assert client.post(f"/backoffice/orders/disputes/{dispute.pk}/assign/").status_code == 403


def test_the_queue_is_on_the_customer_service_dashboard(mediator_client, buyer, seller):
    open_quality(shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1))
    body = mediator_client.get("/backoffice/").content.decode()
    assert "待调解的纠纷" in body and "/backoffice/orders/disputes/queue/" in body


def test_staff_see_the_dispute_on_the_order_page_with_a_link_to_the_case(mediator_client, buyer, seller):
    dispute = open_quality(shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1))
    body = mediator_client.get(f"/backoffice/orders/{dispute.order.number}/").content.decode()
    assert "纸张有明显色差。" in body and f"/backoffice/orders/disputes/{dispute.pk}/" in body
    assert "发起交易纠纷" not in body


def test_the_seller_sees_the_buyers_dispute_and_may_not_withdraw_it(client, buyer, seller):
    dispute = open_quality(shipped_order(buyer=buyer, seller=seller, last_event_days_ago=1))
    client.force_login(factories.main_user_of(seller))
    body = client.get(f"/merchant/orders/{dispute.order.number}/").content.decode()
    assert "纸张有明显色差。" in body and f"/merchant/orders/disputes/{dispute.pk}/evidence/" in body
    assert "撤回纠纷" not in body
    client.force_login(factories.main_user_of(buyer))
    assert "撤回纠纷" in client.get(f"/member/orders/{dispute.order.number}/").content.decode()
