"""The customer 360 page and the client lists: who may see them and what they show."""

import pytest
from django.utils import timezone

from crm import managers, tiers
from crm.models import ClientNote, ClientProfile, ReviewTask, Tier, Visit
from tests import factories
from tests.crm.tiers_helpers import account_manager, administrator, purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def major(seller, buyer):
    now = timezone.now()
    order = purchase(buyer=buyer, seller=seller, total="250000.00", days_ago=1, now=now)
    tiers.review_tiers(now=now)
    buyer.order_number = order.number
    return buyer


@pytest.mark.parametrize("role", ["account_manager", "administrator"])
def test_staff_with_the_role_see_the_360_page(client, major, role):
    client.force_login(factories.staff_user(role))
    response = client.get(f"/backoffice/crm/clients/{major.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert major.name in page
    assert "金牌客户" in page
    assert major.order_number in page
    assert "近 12 个月采购额 ¥250,000.00 ≥ 金牌客户门槛 ¥200,000.00" in page


@pytest.mark.parametrize("who", ["buyer", "finance"])
def test_others_get_403(client, major, who):
    user = factories.main_user_of(major) if who == "buyer" else factories.staff_user("finance")
    client.force_login(user)
    assert client.get(f"/backoffice/crm/clients/{major.pk}/").status_code == 403
    assert client.post(f"/backoffice/crm/clients/{major.pk}/notes/", {"body": "x"}).status_code == 403
    assert not ClientNote.objects.exists()


def test_unknown_company_is_404(client):
    client.force_login(account_manager())
    assert client.get("/backoffice/crm/clients/999999/").status_code == 404


def test_forms_on_the_page_record_notes_visits_and_the_strategic_flag(client, major):
    client.force_login(account_manager())
    base = f"/backoffice/crm/clients/{major.pk}/"
    client.post(base + "notes/", {"body": "关注环保认证"})
    client.post(base + "visits/", {"kind": "visit", "occurred_on": timezone.localdate().isoformat(),
                                   "summary": "上门拜访采购部"})
    client.post(base + "strategic/", {"strategic": "on", "note": "省级龙头企业"})
    assert ClientNote.objects.get(company=major).body == "关注环保认证"
    assert Visit.objects.get(company=major).summary == "上门拜访采购部"
    assert ClientProfile.objects.get(company=major).is_strategic
    page = client.get(base).content.decode()
    assert "关注环保认证" in page and "上门拜访采购部" in page and "战略客户" in page


def test_review_task_completed_from_the_page(client, major):
    manager = account_manager()
    managers.assign_manager(by=administrator(), company_id=major.pk, role="primary", manager_id=manager.pk)
    task = managers.create_quarterly_review_tasks()[0]
    client.force_login(manager)
    client.post(f"/backoffice/crm/clients/{major.pk}/review-tasks/{task.pk}/complete/", {"summary": "季度采购稳定"})
    assert ReviewTask.objects.get(pk=task.pk).status == ReviewTask.Status.DONE


def test_my_clients_lists_the_managers_clients_and_tasks(client, major):
    manager = account_manager()
    managers.assign_manager(by=administrator(), company_id=major.pk, role="primary", manager_id=manager.pk)
    managers.create_quarterly_review_tasks()
    client.force_login(manager)
    page = client.get("/backoffice/crm/my-clients/").content.decode()
    assert major.name in page and "待完成的季度回顾" in page
    client.force_login(account_manager())
    assert major.name not in client.get("/backoffice/crm/my-clients/").content.decode()


def test_major_clients_list_filters_for_administrators(client, major, seller):
    manager = account_manager()
    managers.assign_manager(by=administrator(), company_id=major.pk, role="primary", manager_id=manager.pk)
    client.force_login(administrator())
    assert major.name in client.get("/backoffice/crm/clients/", {"tier": Tier.GOLD}).content.decode()
    assert major.name not in client.get("/backoffice/crm/clients/", {"tier": Tier.VIP}).content.decode()
    assert major.name in client.get("/backoffice/crm/clients/", {"manager": manager.pk}).content.decode()
    assert major.name not in client.get("/backoffice/crm/clients/", {"strategic": "1"}).content.decode()
    assert seller.name not in client.get("/backoffice/crm/clients/").content.decode()
    client.force_login(account_manager())
    assert client.get("/backoffice/crm/clients/").status_code == 403
