"""tier_rank_expression: staff queues order companies (or anything pointing at one) by tier."""

import pytest

from accounts.models import Company
from crm.models import ClientProfile, Tier
from crm.tiers import tier_rank_expression
from orders.models import Order
from tests import factories

pytestmark = pytest.mark.django_db


def test_companies_order_by_tier_then_oldest_first(seller):
    names = ["普通纸业有限公司", "钻石纸业有限公司", "VIP纸业有限公司", "无档案纸业有限公司", "金牌纸业有限公司"]
    companies = {name: factories.company(name=name) for name in names}
    for name, tier in [("普通纸业有限公司", Tier.ORDINARY), ("钻石纸业有限公司", Tier.DIAMOND),
                       ("VIP纸业有限公司", Tier.VIP), ("金牌纸业有限公司", Tier.GOLD)]:
        ClientProfile.objects.create(company=companies[name], tier=tier)
    ordered = (Company.objects.filter(pk__in=[c.pk for c in companies.values()])
               .order_by(tier_rank_expression("pk").desc(), "created_at", "id"))
    assert [c.name for c in ordered] == ["钻石纸业有限公司", "金牌纸业有限公司", "VIP纸业有限公司",
                                         "普通纸业有限公司", "无档案纸业有限公司"]


def test_expression_follows_a_foreign_key_and_annotates(seller, buyer):
    diamond = factories.company(name="钻石买家有限公司")
    ClientProfile.objects.create(company=diamond, tier=Tier.DIAMOND)
    factories.order(buyer=buyer, seller=seller, number="PO-T-A")
    factories.order(buyer=diamond, seller=seller, number="PO-T-B")
    queue = Order.objects.annotate(priority=tier_rank_expression("buyer")).order_by("-priority", "placed_at")
    assert [(order.number, order.priority) for order in queue] == [("PO-T-B", 4), ("PO-T-A", 0)]
