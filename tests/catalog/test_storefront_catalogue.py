"""Storefront pages of the catalogue: product page, shop page, price visibility, images."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog import services
from catalog.models import ProductImage
from core.errors import BusinessRuleError
from core.permissions import StaffRole
from tests import factories
from tests.factories import PASSWORD, staff_user

pytestmark = pytest.mark.django_db


def png(size=(900, 600)):
    buffer = BytesIO()
    Image.new("RGB", size, (200, 180, 120)).save(buffer, format="PNG")
    return SimpleUploadedFile("board.png", buffer.getvalue(), content_type="image/png")


def test_product_page_shows_tiers_stock_seller_and_region(client):
    seller = factories.company()
    product = factories.stock(factories.product(seller=seller, title="鲁丰 250g 白卡纸"), "88")
    product.price_tiers.create(min_quantity=30, unit_price="4700.00")

    page = client.get(f"/p/{product.pk}/").content.decode()

    assert "¥4,700.00" in page and "88" in page and seller.name in page and f"/shop/{seller.pk}/" in page


def test_shop_page_lists_the_sellers_published_listings(client):
    seller = factories.company()
    factories.product(seller=seller, title="上架的白卡纸")
    factories.product(seller=seller, title="草稿的白卡纸", status="draft")
    page = client.get(f"/shop/{seller.pk}/").content.decode()
    assert "上架的白卡纸" in page and "草稿的白卡纸" not in page


def test_prices_only_for_verified_buyers_when_staff_say_so(client):
    product = factories.product(seller=factories.company(), price="4321.00")
    services.set_price_visibility(by=staff_user(StaffRole.ADMINISTRATOR), visibility="verified")

    assert "4,321.00" not in client.get(f"/p/{product.pk}/").content.decode()
    client.force_login(factories.main_user_of(factories.company()))
    assert "4,321.00" in client.get(f"/p/{product.pk}/").content.decode()


def test_image_is_re_encoded_with_a_thumbnail(client):
    seller = factories.company()
    product = factories.product(seller=seller, status="draft")
    image = services.add_image(by=factories.main_user_of(seller), product_id=product.pk, upload=png((3000, 2000)))
    assert image.width == 1600 and image.thumbnail.name.endswith(".jpg")


@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("board.png", b"MZ\x90\x00 not an image", content_type="image/png"),
    SimpleUploadedFile("board.jpg", b"", content_type="image/jpeg"),
    SimpleUploadedFile("board.pdf", b"%PDF-1.4 a document", content_type="application/pdf"),
])
def test_wrong_image_types_are_refused(upload):
    seller = factories.company()
    product = factories.product(seller=seller, status="draft")
    with pytest.raises(BusinessRuleError):
        services.add_image(by=factories.main_user_of(seller), product_id=product.pk, upload=upload)
    assert not ProductImage.objects.filter(product=product).exists()


def test_image_added_to_a_live_listing_waits_for_review(client):
    seller = factories.company()
    product = factories.product(seller=seller)
    services.add_image(by=factories.main_user_of(seller), product_id=product.pk, upload=png())
    assert ProductImage.objects.filter(product=product, revision__isnull=False).exists()
    assert "product-gallery" not in client.get(f"/p/{product.pk}/").content.decode()


def test_merchant_uploading_a_renamed_executable_sees_a_message(client):
    seller = factories.company()
    product = factories.product(seller=seller, status="draft")
    client.login(email=factories.main_user_of(seller).email, password=PASSWORD)
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03 executable", content_type="image/jpeg")
    page = client.post(f"/merchant/products/{product.pk}/images/", {"image": fake}, follow=True).content.decode()
    assert "不是可识别的图片" in page
