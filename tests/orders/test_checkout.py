"""Checkout: one order per seller with snapshots, tier prices and reserved stock; every refusal."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Company
from catalog import selectors as catalog_selectors
from catalog.models import Product, StockReservation
from core.errors import BusinessRuleError, NotAllowed
from core.models import AuditEvent, Notification
from orders import services
from orders.models import CartItem, Order, OrderLine
from orders.selectors import order_settings
from tests import factories
from tests.orders.buying_helpers import place, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer_user(buyer):
    return factories.main_user_of(buyer)


def test_checkout_makes_one_order_per_seller_with_snapshots_prices_and_reservations(
        buyer, seller, buyer_user, django_capture_on_commit_callbacks):
    other_seller = factories.company(name="广东另一纸业有限公司", bank_name="中国工商银行广州分行",
                                     bank_account="3602000009100555666", tax_number="91440100MA59ABCD1X")
    tiered = stocked(seller, "100", price="5000.00", tiers=[("10", "4800.00"), ("50", "4600.00")],
                     seller_sku="BK-250", attributes={"克重": 250})
    plain = stocked(seller, "40", price="300.00", title="牛皮纸")
    elsewhere = stocked(other_seller, "20", price="1200.50", title="瓦楞纸")
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        orders = services.place_orders(by=buyer_user, buyer_note="请尽快发货",
                                       items=[(tiered.pk, "12"), (plain.pk, "3.5"), (elsewhere.pk, "2")])

    assert len(orders) == 2
    first = next(o for o in orders if o.seller_id == seller.pk)
    second = next(o for o in orders if o.seller_id == other_seller.pk)
    assert re.fullmatch(r"PO-\d{8}-\d{6}", first.number) and first.number != second.number
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", first.remittance_reference)
    assert first.remittance_reference != second.remittance_reference
    assert first.status == Order.Status.PENDING_PAYMENT and first.placed_by == buyer_user
    window = timedelta(hours=order_settings().payment_window_hours)
    assert before + window <= first.payment_due_at <= timezone.now() + window
    assert first.buyer_note == "请尽快发货"
    assert first.total == Decimal("12") * Decimal("4800.00") + Decimal("3.5") * Decimal("300.00")
    assert second.total == Decimal("2401.00")
    assert first.buyer_snapshot["name"] == buyer.name
    assert (first.buyer_snapshot["province"], first.buyer_snapshot["city"]) == ("浙江省", "杭州")
    assert first.seller_snapshot["unified_social_credit_code"] == seller.unified_social_credit_code
    assert second.seller_snapshot["bank_account"] == "3602000009100555666"
    assert second.seller_snapshot["tax_number"] == "91440100MA59ABCD1X"
    line = first.lines.get(product=tiered)
    assert (line.title, line.seller_sku, line.attributes, line.unit) == ("250g 白卡纸", "BK-250", {"克重": 250}, "吨")
    assert (line.quantity, line.list_price, line.unit_price, line.amount) == (
        Decimal("12"), Decimal("5000.00"), Decimal("4800.00"), Decimal("57600.00"))
    assert line.price_tiers == [{"min_quantity": "10.000", "unit_price": "4800.00"},
                                {"min_quantity": "50.000", "unit_price": "4600.00"}]
    assert line.reservation.status == StockReservation.Status.ACTIVE
    assert line.reservation.quantity == Decimal("12") and line.reservation.holder == buyer
    assert line.reservation.reference == first.number
    tiered.refresh_from_db()
    assert (tiered.stock_on_hand, tiered.stock_reserved) == (100, 12)
    assert AuditEvent.objects.filter(action="order.place", subject_id=str(first.pk)).exists()
    seller_main = factories.main_user_of(seller)
    assert Notification.objects.filter(recipient=seller_main, kind="order.placed").exists()


def test_checkout_from_the_cart_empties_the_ordered_items(buyer, seller, buyer_user):
    product = stocked(seller, "50")
    services.add_to_cart(by=buyer_user, product_id=product.pk, quantity="5")
    orders = services.place_orders(by=buyer_user)
    assert len(orders) == 1 and orders[0].lines.get().quantity == 5
    assert not CartItem.objects.filter(user=buyer_user).exists()


def test_empty_cart_is_refused(buyer_user):
    with pytest.raises(BusinessRuleError, match="购物车是空的"):
        services.place_orders(by=buyer_user)


def test_shortage_names_the_product_and_saves_nothing(buyer, seller, buyer_user):
    enough = stocked(seller, "50", title="充足商品")
    short = stocked(seller, "3", title="紧缺商品")
    services.add_to_cart(by=buyer_user, product_id=enough.pk, quantity="5")
    with pytest.raises(BusinessRuleError, match="“紧缺商品”库存不足：当前可用 3吨") as refused:
        services.place_orders(by=buyer_user, items=[(enough.pk, "5"), (short.pk, "4")])
    assert refused.value.code == "insufficient_stock"
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert not StockReservation.objects.exists()
    enough.refresh_from_db()
    assert enough.stock_reserved == 0
    assert CartItem.objects.filter(user=buyer_user).exists()


def test_duplicate_lines_are_merged(buyer, seller, buyer_user):
    product = stocked(seller, "50")
    order = services.place_orders(by=buyer_user, items=[(product.pk, "2"), (product.pk, "3")])[0]
    assert order.lines.get().quantity == 5


@pytest.mark.parametrize("status", [Company.Status.APPLYING, Company.Status.FROZEN, Company.Status.CHANGE_PENDING])
def test_buyer_company_that_may_not_order_is_refused(seller, status):
    company = factories.company(name="待审核采购有限公司")
    Company.objects.filter(pk=company.pk).update(status=status)
    user = factories.main_user_of(company)
    user.refresh_from_db()
    product = stocked(seller)
    with pytest.raises(NotAllowed):
        place(user, product, "1")
    assert not Order.objects.exists()


def test_seller_that_may_not_accept_orders_is_refused(buyer, seller, buyer_user):
    product = stocked(seller)
    Company.objects.filter(pk=seller.pk).update(status=Company.Status.FROZEN)
    with pytest.raises(BusinessRuleError, match="不能接单") as refused:
        place(buyer_user, product, "1")
    assert refused.value.code == "seller_cannot_accept"


def test_sub_account_without_purchasing_is_refused(buyer, seller):
    clerk = factories.sub_account(buyer, ["fulfilment"])
    with pytest.raises(NotAllowed, match="采购与订单"):
        place(clerk, stocked(seller), "1")


def test_sub_account_with_purchasing_may_order(buyer, seller):
    clerk = factories.sub_account(buyer, ["purchasing"])
    order = place(clerk, stocked(seller), "1")
    assert order.placed_by == clerk and order.status == Order.Status.PENDING_PAYMENT


def test_own_product_is_refused(buyer, buyer_user):
    product = stocked(buyer)
    with pytest.raises(BusinessRuleError, match="不能购买本企业的商品") as refused:
        place(buyer_user, product, "1")
    assert refused.value.code == "own_product"


def test_below_minimum_order_is_refused(buyer, seller, buyer_user):
    product = stocked(seller, moq="5")
    with pytest.raises(BusinessRuleError, match="起订量为 5吨") as refused:
        place(buyer_user, product, "4.999")
    assert refused.value.code == "below_min_order"


@pytest.mark.parametrize("status", [Product.Status.DRAFT, Product.Status.UNLISTED, Product.Status.PENDING_REVIEW])
def test_unpublished_product_is_refused(buyer, seller, buyer_user, status):
    product = stocked(seller)
    Product.objects.filter(pk=product.pk).update(status=status)
    with pytest.raises(BusinessRuleError, match="已下架") as refused:
        place(buyer_user, product, "1")
    assert refused.value.code == "product_unavailable"


def test_unknown_product_is_refused(buyer_user):
    with pytest.raises(BusinessRuleError, match="不存在或已下架"):
        services.place_orders(by=buyer_user, items=[(999999, "1")])


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "", "NaN", "1e30"])
def test_bad_quantity_is_refused(buyer, seller, buyer_user, quantity):
    product = stocked(seller)
    with pytest.raises(BusinessRuleError) as refused:
        place(buyer_user, product, quantity)
    assert refused.value.code == "invalid_quantity"
    assert not Order.objects.exists()


def test_individual_member_is_refused(seller):
    individual = factories.UserFactory()
    with pytest.raises(NotAllowed):
        place(individual, stocked(seller), "1")


def test_order_numbers_and_references_stay_unique_over_many_orders(buyer, seller, buyer_user):
    product = stocked(seller, "100")
    orders = [place(buyer_user, product, "1") for _ in range(30)]
    assert len({o.number for o in orders}) == 30 and len({o.remittance_reference for o in orders}) == 30
    assert catalog_selectors.ledger_totals(product.pk) == {"on_hand": Decimal("100"), "reserved": Decimal("30")}


def test_checkout_draws_again_when_a_remittance_reference_is_taken(buyer, seller, buyer_user, monkeypatch):
    product = stocked(seller, "10")
    taken = place(buyer_user, product, "1").remittance_reference
    draws = iter([taken, "NEWREF23"])
    monkeypatch.setattr(services, "new_remittance_reference", lambda: next(draws))

    [order] = services.place_orders(by=buyer_user, items=[(product.pk, "2")])

    assert order.remittance_reference == "NEWREF23"
    assert Order.objects.filter(buyer=buyer).count() == 2
    # The first run was undone whole: its stock reservation too.
    assert catalog_selectors.ledger_totals(product.pk) == {"on_hand": Decimal("10"), "reserved": Decimal("3")}
    assert StockReservation.objects.filter(product=product).count() == 2


def test_checkout_gives_up_when_every_remittance_reference_drawn_is_taken(buyer, seller, buyer_user, monkeypatch):
    product = stocked(seller, "10")
    taken = place(buyer_user, product, "1").remittance_reference
    monkeypatch.setattr(services, "new_remittance_reference", lambda: taken)

    with pytest.raises(BusinessRuleError) as refusal:
        services.place_orders(by=buyer_user, items=[(product.pk, "2")])

    assert refusal.value.code == "reference_clash"
    assert catalog_selectors.ledger_totals(product.pk) == {"on_hand": Decimal("10"), "reserved": Decimal("1")}
