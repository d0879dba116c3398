"""Factories for tests: they build through the same services the platform uses."""

import hashlib
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts import services as account_services
from accounts.models import Company, User
from accounts.validators import CREDIT_CODE_CHARSET, credit_code_check_char
from catalog.models import Category, Product
from core.models import Region
from orders.models import Order, OrderLine
from orders.services import company_snapshot

PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    full_name = factory.Sequence(lambda n: f"用户{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return account_services.create_user(password=PASSWORD, email_verified=True, **kwargs)


def staff_user(role, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


def credit_code(seed):
    """A valid unified social credit code (GB 32100 check character) derived from `seed`."""
    digest = hashlib.sha256(str(seed).encode()).digest()
    first17 = "91330100" + "".join(CREDIT_CODE_CHARSET[byte % 31] for byte in digest[:9])
    return first17 + credit_code_check_char(first17)


def company(*, name=None, verified=True, main_user=None, status=None, **details):
    main_user = main_user or UserFactory()
    name = name or f"测试纸业{main_user.pk}有限公司"
    province = Region.objects.get(level="province", name="浙江省")
    details.setdefault("unified_social_credit_code", credit_code(f"{name}-{main_user.pk}"))
    details.setdefault("legal_representative", "张三")
    details.setdefault("legal_representative_id_number", "11010519491231002X")
    return account_services.register_company(
        name=name, main_user=main_user, province=province, city=province.cities.get(name="杭州"),
        status=status or (Company.Status.VERIFIED if verified else Company.Status.APPLYING), **details,
    )


def sub_account(company_, permissions, **kwargs):
    user = UserFactory(**kwargs)
    main = company_.memberships.get(is_main=True).user
    account_services.add_member(company=company_, user=user, permissions=permissions, by=main)
    return user


def main_user_of(company_) -> User:
    return company_.memberships.get(is_main=True).user


def category(slug="ivory-board", name="白卡纸", parent=None):
    return Category.objects.get_or_create(slug=slug, defaults={"name": name, "name_en": "Ivory board",
                                                               "parent": parent})[0]


def product(*, seller, title="250g 白卡纸", price="4800.00", status=Product.Status.PUBLISHED, **kwargs):
    from catalog.services import refresh_search_vector

    kwargs.setdefault("category", category())
    created = Product.objects.create(seller=seller, title=title, price=Decimal(price), status=status, **kwargs)
    refresh_search_vector(created.pk)
    return created


def stock(product_, quantity, *, by=None):
    """Put `quantity` on hand through the ledger, as the seller's main account."""
    from catalog.services import receive_stock

    receive_stock(by=by or main_user_of(product_.seller), product_id=product_.pk, quantity=quantity, reason="入库")
    product_.refresh_from_db()
    return product_


def order(*, buyer, seller, total="10000.00", status=Order.Status.PENDING_PAYMENT, number=None, **kwargs):
    created = Order.objects.create(
        number=number or f"PO-T-{Order.objects.count() + 1:06d}", buyer=buyer, seller=seller,
        total=Decimal(total), status=status, buyer_snapshot=company_snapshot(buyer),
        seller_snapshot=company_snapshot(seller), **kwargs,
    )
    OrderLine.objects.create(order=created, title="测试商品", unit="吨", quantity=Decimal("2"),
                             unit_price=Decimal(total) / 2, amount=Decimal(total))
    return created


__all__ = ["Company", "UserFactory", "staff_user", "company", "sub_account", "product", "order", "PASSWORD"]


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n" \
            b"trailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(name="营业执照.pdf", content=PDF_BYTES, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def application_details(*, name="杭州测试纸业有限公司", code_seed=None):
    """Valid verification details (form field names), as a member would type them."""
    province = Region.objects.get(level="province", name="浙江省")
    return {
        "name": name, "unified_social_credit_code": credit_code(code_seed or name),
        "province": province.pk, "city": province.cities.get(name="杭州").pk,
        "legal_representative": "王建国", "legal_representative_id_number": "11010519491231002X",
        "contact_name": "李明", "contact_phone": "0571-88886666", "contact_email": "contact@example.cn",
        "taxpayer_type": "general", "invoice_title": name, "tax_number": "91330100MA27XYZ12A",
        "invoice_address": "杭州市西湖区文三路 1 号", "invoice_phone": "0571-88886666",
        "bank_name": "中国工商银行杭州分行", "bank_account": "1202021009100123456",
    }


def service_details(**kwargs):
    """The same details as the services take them (regions as objects)."""
    details = application_details(**kwargs)
    details["province"] = Region.objects.get(pk=details["province"])
    details["city"] = Region.objects.get(pk=details["city"])
    return details


def applied_company(user=None, **kwargs):
    """An individual member's verification application, submitted (status: applying)."""
    from accounts.models import CompanyDocument

    user = user or UserFactory()
    return account_services.apply_for_verification(
        user=user, details=service_details(**kwargs),
        documents={CompanyDocument.Kind.BUSINESS_LICENCE: [upload()]},
    )
