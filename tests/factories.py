"""Factories for tests: they build through the same services the platform uses."""

from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts import services as account_services
from accounts.models import Company, User
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


def company(*, name=None, verified=True, main_user=None, **details):
    main_user = main_user or UserFactory()
    name = name or f"测试纸业{main_user.pk}有限公司"
    province = Region.objects.get(level="province", name="浙江省")
    created = account_services.register_company(
        name=name, main_user=main_user, province=province, city=province.cities.get(name="杭州"), **details,
    )
    if verified:
        created = account_services.mark_verified(company=created, by=main_user)
    return created


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
    kwargs.setdefault("category", category())
    return Product.objects.create(seller=seller, title=title, price=Decimal(price), status=status, **kwargs)


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
