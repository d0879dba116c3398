from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Company, User
from accounts.validators import is_valid_credit_code
from catalog.models import Product
from core.permissions import StaffRole
from orders.models import Order

pytestmark = pytest.mark.django_db


def snapshot():
    return (Company.objects.count(), User.objects.count(), Product.objects.count(), Order.objects.count())


def test_seed_demo_builds_a_paper_market_and_is_idempotent():
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    companies, _users, products, orders = first
    assert 25 <= companies <= 40
    assert products >= 300, "a few hundred listings"
    assert orders >= 200
    assert all(is_valid_credit_code(code) for code in Company.objects.values_list("unified_social_credit_code",
                                                                                  flat=True))
    for role in StaffRole.values:
        assert Group.objects.get(name=role).user_set.filter(is_staff=True).exists(), role
    span = Order.objects.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    assert span["last"] - span["first"] > timedelta(days=300)
    assert span["last"] <= timezone.now()
    statuses = set(Company.objects.values_list("status", flat=True))
    assert {"verified", "applying", "rejected", "frozen", "change_pending"} <= statuses


def test_seed_demo_once_does_nothing_the_second_time(capsys):
    call_command("seed_demo", "--once")
    before = snapshot()
    call_command("seed_demo", "--once")
    assert snapshot() == before
    assert "already loaded" in capsys.readouterr().out
