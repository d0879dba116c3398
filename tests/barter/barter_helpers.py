"""Builders for barter tests: companies that may barter, listings through the services."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from barter import services
from catalog.models import Category
from tests import factories


def window():
    today = timezone.localdate()
    return {"available_from": today, "available_until": today + timedelta(days=30)}


def category(slug, name):
    return Category.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def barter_company(name, cash_limit="0"):
    company = factories.company(name=name)
    user = factories.main_user_of(company)
    services.set_cash_limit(by=user, cash_limit=cash_limit)
    return company, user


def have(user, cat, quantity, unit_value, **kwargs):
    return services.create_have(by=user, title=kwargs.pop("title", f"{cat.name}现货"), category_id=cat.pk,
                                unit=kwargs.pop("unit", "吨"), quantity=quantity, unit_value=unit_value,
                                **window(), **kwargs)


def want(user, cat, budget, max_unit_value, **kwargs):
    return services.create_want(by=user, category_id=cat.pk, budget=budget, max_unit_value=max_unit_value,
                                **window(), **kwargs)


def run_now(django_capture_on_commit_callbacks, by=None):
    from barter.models import MatchingRun
    from barter.runs import start_matching_run

    with django_capture_on_commit_callbacks(execute=True):
        run = start_matching_run(by=by)
    run = MatchingRun.objects.get(pk=run.pk)
    return run


def cycle(django_capture_on_commit_callbacks):
    """A gives paper to B, B board to C, C pulp to A: one three-party deal, ¥10,000 each."""
    cats = [category("bt-paper", "文化纸"), category("bt-board", "箱板纸"), category("bt-pulp", "木浆")]
    (a, ua), (b, ub), (c, uc) = (barter_company(f"易货测试{n}有限公司") for n in "甲乙丙")
    haves = [have(ua, cats[0], "10", "1000"), have(ub, cats[1], "10", "1000"), have(uc, cats[2], "10", "1000")]
    wants = [want(ub, cats[0], "10000", "1200"), want(uc, cats[1], "10000", "1200"),
             want(ua, cats[2], "10000", "1200")]
    run = run_now(django_capture_on_commit_callbacks)
    return {"companies": (a, b, c), "users": (ua, ub, uc), "haves": haves, "wants": wants, "run": run}


D = Decimal
