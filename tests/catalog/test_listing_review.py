"""A seller's listing goes through content review; edits to a live listing wait in a revision."""

from decimal import Decimal

import pytest

from catalog import services
from catalog.models import Product, ProductRevision
from catalog.services import ListingData
from catalog.states import TRANSITIONS, product_transition
from core.errors import BusinessRuleError, InvalidTransition, NotAllowed
from core.models import Notification
from core.permissions import StaffRole
from tests import factories
from tests.factories import PASSWORD, Company, staff_user

pytestmark = pytest.mark.django_db
S = Product.Status


def listing(**overrides):
    data = {"title": "鲁丰 250g 白卡纸 FBB", "category": factories.category(), "price": Decimal("4850.00"),
            "min_order_quantity": Decimal("10"), "attributes": {"克重": "250"}, "tiers": [("30", "4750.00")]}
    data.update(overrides)
    return ListingData(**data)


@pytest.fixture
def seller():
    return factories.company()


@pytest.fixture
def reviewer():
    return staff_user(StaffRole.REVIEWER)


def test_draft_is_reviewed_then_published(seller, reviewer):
    main = factories.main_user_of(seller)
    product = services.create_listing(by=main, data=listing(), submit=True)
    assert product.status == S.PENDING_REVIEW

    services.review_listing(reviewer=reviewer, product_id=product.pk, approve=True)

    product.refresh_from_db()
    assert product.status == S.PUBLISHED and product.published_at
    assert Notification.objects.filter(recipient=main, kind="product.review").exists()


def test_rejection_needs_a_reason_the_seller_sees(seller, reviewer, client):
    product = services.create_listing(by=factories.main_user_of(seller), data=listing(), submit=True)
    with pytest.raises(BusinessRuleError):
        services.review_listing(reviewer=reviewer, product_id=product.pk, approve=False, reason=" ")

    services.review_listing(reviewer=reviewer, product_id=product.pk, approve=False, reason="标题含有夸大用语")

    client.login(email=factories.main_user_of(seller).email, password=PASSWORD)
    assert "标题含有夸大用语" in client.get(f"/merchant/products/{product.pk}/").content.decode()


def test_unverified_seller_cannot_list(reviewer):
    applying = factories.company(status=Company.Status.APPLYING)
    with pytest.raises(NotAllowed, match="企业认证正在审核中"):
        services.create_listing(by=factories.main_user_of(applying), data=listing())


def test_sub_account_without_product_rights_is_refused(seller, client):
    buyer_clerk = factories.sub_account(seller, permissions=["purchasing"])
    with pytest.raises(NotAllowed):
        services.create_listing(by=buyer_clerk, data=listing())
    client.login(email=buyer_clerk.email, password=PASSWORD)
    assert client.get("/merchant/products/new/").status_code == 403


def test_non_reviewer_staff_cannot_publish(seller):
    product = services.create_listing(by=factories.main_user_of(seller), data=listing(), submit=True)
    with pytest.raises(NotAllowed):
        services.review_listing(reviewer=staff_user(StaffRole.FINANCE), product_id=product.pk, approve=True)


def test_edit_of_published_text_waits_for_review_while_old_text_stays(seller, reviewer, client):
    main = factories.main_user_of(seller)
    product = services.create_listing(by=main, data=listing(), submit=True)
    services.review_listing(reviewer=reviewer, product_id=product.pk, approve=True)

    services.update_listing(by=main, product_id=product.pk, data=listing(title="鲁丰 250g 白卡纸 新版", price="4700.00",
                                                                    tiers=[("30", "4600.00")]))

    product.refresh_from_db()
    assert product.title == "鲁丰 250g 白卡纸 FBB" and product.price == Decimal("4700.00")
    page = client.get(f"/p/{product.pk}/").content.decode()
    assert "鲁丰 250g 白卡纸 FBB" in page and "新版" not in page
    revision = ProductRevision.objects.get(product=product, status="pending")

    services.review_revision(reviewer=reviewer, revision_id=revision.pk, approve=True)

    product.refresh_from_db()
    assert product.title == "鲁丰 250g 白卡纸 新版" and product.status == S.PUBLISHED


def test_rejected_revision_leaves_the_listing_as_it_was(seller, reviewer):
    main = factories.main_user_of(seller)
    product = services.create_listing(by=main, data=listing(), submit=True)
    services.review_listing(reviewer=reviewer, product_id=product.pk, approve=True)
    services.update_listing(by=main, product_id=product.pk, data=listing(title="全网最低价白卡纸"))
    revision = ProductRevision.objects.get(product=product, status="pending")

    services.review_revision(reviewer=reviewer, revision_id=revision.pk, approve=False, reason="含有绝对化用语")

    product.refresh_from_db()
    assert product.title == "鲁丰 250g 白卡纸 FBB"


@pytest.mark.parametrize("data, field", [
    ({"title": ""}, "title"), ({"price": "0"}, "price"), ({"price": "abc"}, "price"),
    ({"min_order_quantity": "-1"}, "min_order_quantity"), ({"tiers": [("30", "4900.00")]}, "tiers"),
    ({"tiers": [("5", "4700.00")]}, "tiers"),
])
def test_bad_listing_data_is_refused_with_the_field_named(seller, data, field):
    with pytest.raises(BusinessRuleError) as refusal:
        services.create_listing(by=factories.main_user_of(seller), data=listing(**data))
    assert field in refusal.value.details
    assert not Product.objects.filter(seller=seller).exists()


def test_another_company_cannot_edit_my_listing(seller):
    product = services.create_listing(by=factories.main_user_of(seller), data=listing())
    other = factories.company()
    with pytest.raises(BusinessRuleError):
        services.update_listing(by=factories.main_user_of(other), product_id=product.pk, data=listing(title="x"))


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_the_table_moves_a_listing(seller, current, target):
    product = factories.product(seller=seller, status=current)
    if target in TRANSITIONS[current]:
        assert product_transition(product_id=product.pk, to=target, actor=None).status == target
    else:
        with pytest.raises(InvalidTransition):
            product_transition(product_id=product.pk, to=target, actor=None)
