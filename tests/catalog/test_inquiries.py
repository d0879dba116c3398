"""Inquiries (询价) through the pages: a buyer asks from a product, the seller's staff answer from
the merchant back end, each side is told, and nobody else sees the thread."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import services
from catalog.models import Inquiry, InquiryMessage, Product
from core.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def ask(client, product, body="请问 250g 白卡纸 20 吨的价格和交期？", quantity="20"):
    return client.post(reverse("member:inquiry-start", args=[product.pk]), {"body": body, "quantity": quantity})


def shown_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def product(seller):
    return factories.product(seller=seller, title="250g 白卡纸 品牌A")


@pytest.fixture
def buyer_user(buyer):
    return factories.main_user_of(buyer)


@pytest.fixture
def inquiry(product, buyer_user):
    return services.start_inquiry(by=buyer_user, product_id=product.pk, body="有现货吗？", quantity="5")


def test_buyer_asks_seller_answers_and_buyer_reads_the_answer(product, buyer, buyer_user, seller):
    buyer_client = signed_in(buyer_user)
    response = ask(buyer_client, product)
    inquiry = Inquiry.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("member:inquiry", args=[inquiry.pk])
    assert (inquiry.seller, inquiry.buyer, inquiry.buyer_company, inquiry.quantity) == (seller, buyer_user, buyer, 20)
    assert inquiry.seller_unread and not inquiry.buyer_unread

    seller_main = factories.main_user_of(seller)
    told = Notification.objects.get(recipient=seller_main, kind="inquiry.new")
    assert told.link == reverse("merchant:inquiry", args=[inquiry.pk])

    seller_client = signed_in(seller_main)
    listing = seller_client.get(reverse("merchant:inquiries"), {"show": "unread"})
    assert [row.pk for row in listing.context["page"]] == [inquiry.pk]
    assert "is-unread" in listing.content.decode() and buyer.name in listing.content.decode()

    thread = seller_client.get(reverse("merchant:inquiry", args=[inquiry.pk]))
    page = thread.content.decode()
    assert "请问 250g 白卡纸 20 吨的价格和交期？" in page and buyer.name in page and "250g 白卡纸 品牌A" in page
    inquiry.refresh_from_db()
    assert not inquiry.seller_unread
    assert list(seller_client.get(reverse("merchant:inquiries"), {"show": "unread"}).context["page"]) == []

    answered = seller_client.post(reverse("merchant:inquiry", args=[inquiry.pk]),
                                  {"body": "有现货，4750 元/吨，三天发货。"})
    reply = InquiryMessage.objects.get(inquiry=inquiry, from_seller=True)
    assert answered["Location"] == f"{reverse('merchant:inquiry', args=[inquiry.pk])}#message-{reply.pk}"
    assert reply.author == seller_main

    told = Notification.objects.get(recipient=buyer_user, kind="inquiry.reply")
    assert told.link == reverse("member:inquiry", args=[inquiry.pk]) and "有现货" in told.body
    mine = buyer_client.get(reverse("member:inquiries"))
    assert [row.pk for row in mine.context["page"]] == [inquiry.pk] and "新回复" in mine.content.decode()
    page = buyer_client.get(reverse("member:inquiry", args=[inquiry.pk])).content.decode()
    assert "有现货，4750 元/吨，三天发货。" in page and seller.name in page
    assert seller_main.display_name not in page  # the buyer sees the seller company, not its staff
    inquiry.refresh_from_db()
    assert not inquiry.buyer_unread


def test_sub_account_with_messaging_is_told_and_answers(product, seller, buyer_user):
    clerk = factories.sub_account(seller, ["messaging"])
    inquiry = services.start_inquiry(by=buyer_user, product_id=product.pk, body="有现货吗？")
    assert Notification.objects.filter(recipient=clerk, kind="inquiry.new").exists()
    client = signed_in(clerk)
    listing = client.get(reverse("merchant:inquiries"))
    assert [(row.pk, row.seller_unread) for row in listing.context["page"]] == [(inquiry.pk, True)]
    client.post(reverse("merchant:inquiry", args=[inquiry.pk]), {"body": "您好，可以安排。"})
    assert InquiryMessage.objects.filter(inquiry=inquiry, author=clerk, from_seller=True).exists()
    assert Notification.objects.filter(recipient=buyer_user, kind="inquiry.reply").exists()


def test_sub_account_with_products_permission_may_answer(inquiry, seller):
    client = signed_in(factories.sub_account(seller, ["products"]))
    assert client.get(reverse("merchant:inquiry", args=[inquiry.pk])).status_code == 200


def test_sub_account_without_messaging_or_products_is_refused(inquiry, seller):
    client = signed_in(factories.sub_account(seller, ["finance", "fulfilment"]))
    listing = client.get(reverse("merchant:inquiries"))
    assert listing.status_code == 403 and "消息沟通" in listing.content.decode()
    assert client.get(reverse("merchant:inquiry", args=[inquiry.pk])).status_code == 403
    assert client.post(reverse("merchant:inquiry", args=[inquiry.pk]), {"body": "越权回复"}).status_code == 403
    assert client.post(reverse("merchant:inquiry-close", args=[inquiry.pk])).status_code == 403
    assert inquiry.messages.count() == 1
    assert Inquiry.objects.get().status == Inquiry.Status.OPEN


def test_another_company_cannot_see_or_touch_the_thread(inquiry, buyer):
    stranger = signed_in(factories.main_user_of(factories.company(name="浙江旁观纸业有限公司")))
    assert list(stranger.get(reverse("merchant:inquiries")).context["page"]) == []
    assert list(stranger.get(reverse("member:inquiries")).context["page"]) == []
    for name in ("merchant:inquiry", "member:inquiry"):
        assert stranger.get(reverse(name, args=[inquiry.pk])).status_code == 404
        assert stranger.post(reverse(name, args=[inquiry.pk]), {"body": "看看"}).status_code == 404
    for name in ("merchant:inquiry-close", "member:inquiry-close"):
        assert stranger.post(reverse(name, args=[inquiry.pk])).status_code == 404
    # A colleague of the buyer neither: the thread is the asker's.
    colleague = signed_in(factories.sub_account(buyer, ["purchasing", "messaging"]))
    assert colleague.get(reverse("member:inquiry", args=[inquiry.pk])).status_code == 404
    assert inquiry.messages.count() == 1 and Inquiry.objects.get().status == Inquiry.Status.OPEN


def test_the_buyer_cannot_open_the_sellers_side(inquiry, buyer_user):
    client = signed_in(buyer_user)
    assert client.get(reverse("merchant:inquiry", args=[inquiry.pk])).status_code == 404


def test_asking_about_ones_own_product_is_refused(product, seller):
    for user in (factories.main_user_of(seller), factories.sub_account(seller, ["purchasing"])):
        response = ask(signed_in(user), product)
        assert response["Location"] == reverse("storefront:product", args=[product.pk])
        assert shown_messages(response) == ["不能向自己的企业询价。"]
    assert not Inquiry.objects.exists()


def test_empty_message_is_refused_and_nothing_saved(product, buyer_user, seller):
    client = signed_in(buyer_user)
    response = ask(client, product, body="   ")
    assert response["Location"] == reverse("storefront:product", args=[product.pk])
    assert shown_messages(response) == ["请填写消息内容。"]
    assert not Inquiry.objects.exists() and not InquiryMessage.objects.exists()
    assert not Notification.objects.filter(kind="inquiry.new").exists()

    inquiry = services.start_inquiry(by=buyer_user, product_id=product.pk, body="有现货吗？")
    seller_client = signed_in(factories.main_user_of(seller))
    response = seller_client.post(reverse("merchant:inquiry", args=[inquiry.pk]), {"body": " \n "})
    assert response.status_code == 200 and "请填写消息内容。" in response.content.decode()
    assert inquiry.messages.count() == 1


def test_a_bad_quantity_is_refused_with_a_message(product, buyer_user):
    for quantity, said in (("-3", "数量必须大于 0。"), ("很多", "意向数量：输入一个数字。")):
        response = ask(signed_in(buyer_user), product, quantity=quantity)
        assert response["Location"] == reverse("storefront:product", args=[product.pk])
        assert said in shown_messages(response)[0]
    assert not Inquiry.objects.exists()


def test_quantity_is_optional(product, buyer_user):
    ask(signed_in(buyer_user), product, quantity="")
    assert Inquiry.objects.get().quantity is None


def test_closed_inquiry_refuses_replies(inquiry, buyer_user, seller):
    buyer_client = signed_in(buyer_user)
    closed = buyer_client.post(reverse("member:inquiry-close", args=[inquiry.pk]))
    assert closed["Location"] == reverse("member:inquiry", args=[inquiry.pk])
    assert Inquiry.objects.get().status == Inquiry.Status.CLOSED

    seller_client = signed_in(factories.main_user_of(seller))
    page = seller_client.get(reverse("merchant:inquiry", args=[inquiry.pk])).content.decode()
    assert "该询价已关闭，不能再回复。" in page and 'id="inquiry-reply"' not in page
    response = seller_client.post(reverse("merchant:inquiry", args=[inquiry.pk]), {"body": "还在吗？"})
    assert response.status_code == 200 and "该询价已关闭。" in response.content.decode()
    assert buyer_client.post(reverse("member:inquiry", args=[inquiry.pk]), {"body": "再问一下"}).status_code == 200
    assert inquiry.messages.count() == 1
    assert list(seller_client.get(reverse("merchant:inquiries"), {"show": "closed"}).context["page"]) == [inquiry]
    assert list(seller_client.get(reverse("merchant:inquiries"), {"show": "open"}).context["page"]) == []


def test_the_seller_may_close_too(inquiry, seller):
    client = signed_in(factories.main_user_of(seller))
    client.post(reverse("merchant:inquiry-close", args=[inquiry.pk]))
    assert Inquiry.objects.get().status == Inquiry.Status.CLOSED


def test_signed_out_visitor_is_sent_to_sign_in_and_back_to_the_product(product):
    response = ask(Client(), product)
    assert response.status_code == 302
    assert f"next={reverse('storefront:product', args=[product.pk])}" in response["Location"]
    assert not Inquiry.objects.exists()


def test_unpublished_product_cannot_be_asked_about(seller, buyer_user):
    draft = factories.product(seller=seller, status=Product.Status.DRAFT)
    assert ask(signed_in(buyer_user), draft).status_code == 404
    assert not Inquiry.objects.exists()


def test_an_individual_member_asks_and_the_seller_sees_their_name(product, seller):
    person = factories.UserFactory(full_name="王小明")
    ask(signed_in(person), product)
    inquiry = Inquiry.objects.get()
    assert inquiry.buyer_company is None
    page = signed_in(factories.main_user_of(seller)).get(reverse("merchant:inquiries")).content.decode()
    assert "王小明" in page and "个人会员" in page
    assert signed_in(person).get(reverse("member:inquiry", args=[inquiry.pk])).status_code == 200


def test_htmx_reply_swaps_the_thread_in_place(inquiry, seller):
    client = signed_in(factories.main_user_of(seller))
    response = client.post(reverse("merchant:inquiry", args=[inquiry.pk]), {"body": "可以，4750 元/吨。"},
                           HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="inquiry-thread"')
    assert "可以，4750 元/吨。" in body and "<html" not in body
    empty = client.post(reverse("merchant:inquiry", args=[inquiry.pk]), {"body": ""}, HTTP_HX_REQUEST="true")
    assert "请填写消息内容。" in empty.content.decode()
    assert inquiry.messages.count() == 2


def test_list_queries_do_not_grow_with_the_page(seller, product):
    from django.core.cache import cache

    from core.selectors import unread_key

    def queries(client, url):
        cache.delete_many([unread_key(user.pk) for user in (factories.main_user_of(seller), asker)])  # same start
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    seller_client = signed_in(factories.main_user_of(seller))
    asker = factories.main_user_of(factories.company(name="江苏询价包装有限公司"))
    asker_client = signed_in(asker)
    services.start_inquiry(by=asker, product_id=product.pk, body="第一条")
    few = queries(seller_client, reverse("merchant:inquiries")), queries(asker_client, reverse("member:inquiries"))
    for index in range(6):
        services.start_inquiry(by=asker, product_id=product.pk, body=f"第 {index} 条")
    many = queries(seller_client, reverse("merchant:inquiries")), queries(asker_client, reverse("member:inquiries"))
    assert many == few


def test_the_product_page_form_asks_and_shows_a_refusal(product, buyer_user):
    client = signed_in(buyer_user)
    page = client.get(reverse("storefront:product", args=[product.pk])).content.decode()
    assert f'action="{reverse("member:inquiry-start", args=[product.pk])}"' in page
    refused = client.post(reverse("member:inquiry-start", args=[product.pk]), {"body": " ", "quantity": ""},
                          follow=True)
    assert refused.redirect_chain[-1][0] == reverse("storefront:product", args=[product.pk])
    assert "请填写消息内容。" in refused.content.decode()
    sent = client.post(reverse("member:inquiry-start", args=[product.pk]), {"body": "你好", "quantity": "3"},
                       follow=True)
    assert "询价已发送给卖家" in sent.content.decode() and "你好" in sent.content.decode()
