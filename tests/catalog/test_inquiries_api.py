"""Inquiries over the API: a buyer's key asks, the seller's key answers; writes need the messaging
scope; other people's threads are a 404."""

import pytest
from rest_framework.test import APIClient

from catalog import services
from catalog.models import Inquiry, InquiryMessage
from core import apikeys
from core.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def api_for(user, company, scopes=("messaging",)):
    _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="erp", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def product(seller):
    return factories.product(seller=seller, title="157g 铜版纸")


@pytest.fixture
def buyer_api(buyer):
    return api_for(factories.main_user_of(buyer), buyer)


@pytest.fixture
def seller_api(seller):
    return api_for(factories.main_user_of(seller), seller)


@pytest.fixture
def inquiry(product, buyer):
    return services.start_inquiry(by=factories.main_user_of(buyer), product_id=product.pk, body="有现货吗？")


def test_buyer_asks_seller_answers_over_the_api(product, buyer, seller, buyer_api, seller_api):
    started = buyer_api.post("/api/v1/inquiries/", {"product": product.pk, "body": "100 吨什么价？",
                                                    "quantity": "100"}, format="json")
    assert started.status_code == 201, started.json()
    body = started.json()
    inquiry_id = body["id"]
    assert (body["role"], body["status"], body["quantity"], body["buyer_company"]["name"]) == (
        "buyer", "open", "100.000", buyer.name)
    assert [m["body"] for m in body["messages"]] == ["100 吨什么价？"]

    listed = seller_api.get("/api/v1/inquiries/", {"role": "seller", "unread": "true"}).json()["results"]
    assert [(row["id"], row["role"], row["unread"], row["last_message"]) for row in listed] == [
        (inquiry_id, "seller", True, "100 吨什么价？")]

    replied = seller_api.post(f"/api/v1/inquiries/{inquiry_id}/messages/", {"body": "4750 元/吨"}, format="json")
    assert replied.status_code == 201 and replied.json()["from_seller"] is True
    assert replied.json()["author"] == factories.main_user_of(seller).display_name
    assert Notification.objects.filter(recipient=factories.main_user_of(buyer), kind="inquiry.reply").exists()

    thread = buyer_api.get(f"/api/v1/inquiries/{inquiry_id}/").json()
    assert thread["unread"] is True
    assert [(m["from_seller"], m["author"], m["body"]) for m in thread["messages"]][-1] == (True, None, "4750 元/吨")
    read = buyer_api.post(f"/api/v1/inquiries/{inquiry_id}/read/")
    assert read.status_code == 200 and read.json()["unread"] is False

    closed = buyer_api.post(f"/api/v1/inquiries/{inquiry_id}/close/")
    assert closed.json()["status"] == "closed"


def test_writes_need_the_messaging_scope(product, buyer, inquiry):
    read_only = api_for(factories.main_user_of(buyer), buyer, scopes=["purchasing"])
    assert [row["id"] for row in read_only.get("/api/v1/inquiries/").json()["results"]] == [inquiry.pk]
    refused = read_only.post("/api/v1/inquiries/", {"product": product.pk, "body": "问一下"}, format="json")
    assert refused.status_code == 403
    messages_url = f"/api/v1/inquiries/{inquiry.pk}/messages/"
    assert read_only.post(messages_url, {"body": "再问"}, format="json").status_code == 403
    assert read_only.post(f"/api/v1/inquiries/{inquiry.pk}/close/").status_code == 403
    assert Inquiry.objects.count() == 1 and InquiryMessage.objects.count() == 1


def test_other_companies_threads_are_404(inquiry):
    other = factories.company(name="浙江旁观纸业有限公司")
    stranger = api_for(factories.main_user_of(other), other)
    assert stranger.get("/api/v1/inquiries/").json()["results"] == []
    assert stranger.get(f"/api/v1/inquiries/{inquiry.pk}/").status_code == 404
    messages_url = f"/api/v1/inquiries/{inquiry.pk}/messages/"
    assert stranger.post(messages_url, {"body": "看看"}, format="json").status_code == 404
    assert stranger.post(f"/api/v1/inquiries/{inquiry.pk}/close/").status_code == 404
    assert stranger.post(f"/api/v1/inquiries/{inquiry.pk}/read/").status_code == 404
    assert InquiryMessage.objects.count() == 1 and Inquiry.objects.get().status == "open"


def test_seller_staff_without_messaging_or_products_do_not_see_the_companys_threads(inquiry, seller):
    clerk = factories.sub_account(seller, ["finance"])
    api = api_for(clerk, seller, scopes=["finance"])
    assert api.get("/api/v1/inquiries/").json()["results"] == []
    assert api.get(f"/api/v1/inquiries/{inquiry.pk}/").status_code == 404


def test_asking_about_ones_own_product_is_refused(product, seller_api):
    response = seller_api.post("/api/v1/inquiries/", {"product": product.pk, "body": "自己问自己"}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "own_product"
    assert not Inquiry.objects.exists()


def test_empty_message_is_refused_and_nothing_saved(product, buyer_api, seller_api, inquiry):
    response = buyer_api.post("/api/v1/inquiries/", {"product": product.pk, "body": "  "}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "empty_message"
    assert response.json()["error"]["details"] == {"body": "请填写消息内容。"}
    reply = seller_api.post(f"/api/v1/inquiries/{inquiry.pk}/messages/", {"body": ""}, format="json")
    assert reply.status_code == 422
    assert Inquiry.objects.count() == 1 and InquiryMessage.objects.count() == 1


def test_closed_inquiry_refuses_replies(inquiry, buyer_api, seller_api):
    assert buyer_api.post(f"/api/v1/inquiries/{inquiry.pk}/close/").status_code == 200
    response = seller_api.post(f"/api/v1/inquiries/{inquiry.pk}/messages/", {"body": "还在吗？"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "inquiry_closed"
    assert InquiryMessage.objects.count() == 1


def test_unpublished_product_is_404(seller, buyer_api):
    draft = factories.product(seller=seller, status="draft")
    response = buyer_api.post("/api/v1/inquiries/", {"product": draft.pk, "body": "有吗？"}, format="json")
    assert response.status_code == 404 and not Inquiry.objects.exists()


def test_starting_is_idempotent(product, buyer_api):
    payload = {"product": product.pk, "body": "20 吨报价？", "quantity": "20"}
    first = buyer_api.post("/api/v1/inquiries/", payload, format="json", HTTP_IDEMPOTENCY_KEY="ask-1")
    again = buyer_api.post("/api/v1/inquiries/", payload, format="json", HTTP_IDEMPOTENCY_KEY="ask-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Inquiry.objects.count() == 1


def test_schema_documents_the_inquiry_endpoints(client):
    schema = client.get("/api/v1/schema/").content.decode()
    for path in ("/api/v1/inquiries/", "/api/v1/inquiries/{inquiry_id}/", "/api/v1/inquiries/{inquiry_id}/messages/",
                 "/api/v1/inquiries/{inquiry_id}/close/"):
        assert path in schema
