"""The cart: add from the product page, change, remove; grouped by seller with tier prices."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Company
from catalog.models import Product
from core.errors import BusinessRuleError, NotAllowed, NotFound
from orders import selectors, services
from orders.models import CartItem
from tests import factories
from tests.orders.buying_helpers import stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer_user(buyer):
    return factories.main_user_of(buyer)


def test_adding_twice_adds_up(buyer_user, seller):
    product = stocked(seller, moq="2")
    services.add_to_cart(by=buyer_user, product_id=product.pk, quantity="2")
    item = services.add_to_cart(by=buyer_user, product_id=product.pk, quantity="3")
    assert item.quantity == 5 and CartItem.objects.filter(user=buyer_user).count() == 1


def test_cart_refusals(buyer, buyer_user, seller):
    own = stocked(buyer)
    with pytest.raises(BusinessRuleError, match="不能购买本企业"):
        services.add_to_cart(by=buyer_user, product_id=own.pk, quantity="1")
    small = stocked(seller, moq="10")
    with pytest.raises(BusinessRuleError, match="起订量"):
        services.add_to_cart(by=buyer_user, product_id=small.pk, quantity="9")
    draft = stocked(seller)
    Product.objects.filter(pk=draft.pk).update(status=Product.Status.DRAFT)
    with pytest.raises(BusinessRuleError, match="已下架"):
        services.add_to_cart(by=buyer_user, product_id=draft.pk, quantity="1")
    with pytest.raises(NotFound):
        services.add_to_cart(by=buyer_user, product_id=987654, quantity="1")
    with pytest.raises(BusinessRuleError, match="数量必须大于 0"):
        services.add_to_cart(by=buyer_user, product_id=small.pk, quantity="-3")
    assert not CartItem.objects.exists()


def test_company_that_may_not_order_cannot_fill_a_cart(seller):
    company = factories.company(name="申请中纸业有限公司", verified=False)
    user = factories.main_user_of(company)
    with pytest.raises(NotAllowed):
        services.add_to_cart(by=user, product_id=stocked(seller).pk, quantity="1")


def test_change_quantity_and_remove(buyer_user, seller):
    product = stocked(seller, moq="2")
    item = services.add_to_cart(by=buyer_user, product_id=product.pk, quantity="2")
    services.update_cart_item(by=buyer_user, item_id=item.pk, quantity="7.5")
    item.refresh_from_db()
    assert item.quantity == Decimal("7.5")
    with pytest.raises(BusinessRuleError, match="起订量"):
        services.update_cart_item(by=buyer_user, item_id=item.pk, quantity="1")
    stranger = factories.main_user_of(factories.company(name="别家纸业有限公司"))
    with pytest.raises(NotFound):
        services.remove_cart_item(by=stranger, item_id=item.pk)
    services.remove_cart_item(by=buyer_user, item_id=item.pk)
    assert not CartItem.objects.exists()


def test_cart_groups_by_seller_with_tier_prices_and_availability(buyer_user, seller):
    other = factories.company(name="江苏第二纸业有限公司")
    tiered = stocked(seller, "100", price="5000.00", tiers=[("10", "4700.00")])
    scarce = stocked(seller, "2", price="100.00", title="稀缺纸")
    elsewhere = stocked(other, "10", price="10.00", title="别家纸")
    services.add_to_cart(by=buyer_user, product_id=tiered.pk, quantity="10")
    services.add_to_cart(by=buyer_user, product_id=scarce.pk, quantity="1")
    services.add_to_cart(by=buyer_user, product_id=elsewhere.pk, quantity="3")
    Product.objects.filter(pk=scarce.pk).update(stock_reserved=Decimal("2"))  # someone else holds it now
    Company.objects.filter(pk=other.pk).update(status=Company.Status.FROZEN)

    groups = selectors.cart_for(user=buyer_user)
    assert [group["seller"].pk for group in groups] == sorted([seller.pk, other.pk])
    mine = next(group for group in groups if group["seller"].pk == seller.pk)
    assert mine["subtotal"] == Decimal("47100.00")
    lines = {line["product"].pk: line for group in groups for line in group["items"]}
    assert lines[tiered.pk]["unit_price"] == Decimal("4700.00") and lines[tiered.pk]["problem"] == ""
    assert lines[scarce.pk]["problem"] == "stock"
    assert lines[elsewhere.pk]["problem"] == "seller"


def test_cart_pages_over_http(client, buyer_user, seller):
    product = stocked(seller, "100", price="5000.00", tiers=[("10", "4700.00")], moq="2")
    client.force_login(buyer_user)
    page = client.get(reverse("storefront:product", args=[product.pk]))
    assert reverse("cart:add", args=[product.pk]) in page.content.decode()

    refused = client.post(reverse("cart:add", args=[product.pk]), {"quantity": "1"}, follow=True)
    assert "起订量为 2吨" in refused.content.decode()
    response = client.post(reverse("cart:add", args=[product.pk]), {"quantity": "12"}, follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("cart:view")
    assert product.title in body and "¥4,700.00" in body and "¥56,400.00" in body and seller.name in body
    item = CartItem.objects.get(user=buyer_user)
    client.post(reverse("cart:update", args=[item.pk]), {"quantity": "3"})
    item.refresh_from_db()
    assert item.quantity == 3
    response = client.post(reverse("cart:checkout"), {"buyer_note": "周五前发货"}, follow=True)
    order = buyer_user.membership.company.purchases.get()
    assert response.redirect_chain[-1][0] == reverse("member-orders:detail", args=[order.number])
    assert order.total == Decimal("15000.00") and order.buyer_note == "周五前发货"
    client.post(reverse("cart:add", args=[product.pk]), {"quantity": "2"})
    client.post(reverse("cart:remove", args=[CartItem.objects.get().pk]))
    assert not CartItem.objects.exists()


def test_checkout_refusal_is_shown_on_the_cart_page(client, buyer_user, seller):
    product = stocked(seller, "5", title="限量白卡")
    client.force_login(buyer_user)
    client.post(reverse("cart:add", args=[product.pk]), {"quantity": "5"})
    Product.objects.filter(pk=product.pk).update(stock_reserved=Decimal("3"))
    response = client.post(reverse("cart:checkout"), follow=True)
    assert response.status_code == 200
    assert "“限量白卡”库存不足：当前可用 2吨" in response.content.decode()
