"""Credit through the pages: the member's credit page and application, staff decisions, collections."""

from decimal import Decimal

import pytest
from django.utils import timezone

from core.permissions import StaffRole
from crm import credit
from crm.models import Collection, CreditApplication, CreditLine, CreditScore, Receivable, Tier
from tests import factories
from tests.crm.credit_helpers import client_of_tier, credit_line, receivable_due

pytestmark = pytest.mark.django_db


def test_the_member_sees_the_line_and_open_receivables(client, seller):
    major = client_of_tier(Tier.GOLD)
    credit_line(major, limit="50000.00", term_days=60)
    receivable = receivable_due(buyer=major, seller=seller, amount="12000.00", days_overdue=5)
    client.force_login(factories.main_user_of(major))
    page = client.get("/member/crm/credit/").content.decode()
    assert "¥50,000.00" in page and "¥38,000.00" in page and "¥12,000.00" in page
    assert receivable.order.number in page and "逾期 5 天" in page


def test_a_major_client_applies_on_the_page(client):
    major = client_of_tier(Tier.VIP)
    client.force_login(factories.main_user_of(major))
    response = client.post("/member/crm/credit/", {"requested_limit": "80000", "requested_term_days": "60",
                                                   "purpose": "备货"})
    assert response.status_code == 302
    application = CreditApplication.objects.get(company=major)
    assert (application.requested_limit, application.requested_term_days) == (Decimal("80000.00"), 60)
    page = client.get("/member/crm/credit/").content.decode()
    assert "正在审批中" in page and "撤回申请" in page
    client.post(f"/member/crm/credit/applications/{application.pk}/withdraw/")
    application.refresh_from_db()
    assert application.status == CreditApplication.Status.WITHDRAWN


def test_an_ordinary_client_sees_why_it_cannot_apply(member_client, buyer):
    page = member_client.get("/member/crm/credit/").content.decode()
    assert "账期仅向 VIP 及以上大客户开放" in page and 'name="requested_limit"' not in page
    member_client.post("/member/crm/credit/", {"requested_limit": "1000", "requested_term_days": "30"})
    assert not CreditApplication.objects.exists()


def test_a_sub_account_without_finance_is_refused_the_page(client):
    major = client_of_tier(Tier.GOLD)
    client.force_login(factories.sub_account(major, ["purchasing"]))
    assert client.get("/member/crm/credit/").status_code == 403
    client.force_login(factories.sub_account(major, ["finance"]))
    assert client.get("/member/crm/credit/").status_code == 200


def test_finance_decides_on_the_page_within_the_range(client):
    major = client_of_tier(Tier.PLATINUM)
    application = credit.submit_credit_application(by=factories.main_user_of(major), requested_limit="90000",
                                                   term_days=60)
    CreditScore.objects.filter(pk=application.score_id).update(
        recommended_limit_min=Decimal("40000"), recommended_limit_max=Decimal("80000"),
        reasons=[{"code": "worst_overdue_days", "text": "近 12 个月有逾期 45 天", "points": 23}])
    client.force_login(factories.staff_user(StaffRole.FINANCE))
    queue = client.get("/backoffice/crm/credit/applications/").content.decode()
    assert major.name in queue
    page = client.get(f"/backoffice/crm/credit/applications/{application.pk}/").content.decode()
    assert "近 12 个月有逾期 45 天" in page and "¥40,000.00 – ¥80,000.00" in page
    refused = client.post(f"/backoffice/crm/credit/applications/{application.pk}/",
                          {"decision": "approve", "limit": "90000", "term_days": "60"})
    assert refused.status_code == 200 and "不在建议范围" in refused.content.decode()
    done = client.post(f"/backoffice/crm/credit/applications/{application.pk}/",
                       {"decision": "approve", "limit": "80000", "term_days": "60"})
    assert done.status_code == 302
    assert CreditLine.objects.get(company=major).limit == Decimal("80000.00")


def test_the_queue_is_for_finance_and_administrators(client):
    client.force_login(factories.staff_user(StaffRole.REVIEWER))
    assert client.get("/backoffice/crm/credit/applications/").status_code == 403
    client.force_login(factories.staff_user(StaffRole.ADMINISTRATOR))
    assert client.get("/backoffice/crm/credit/applications/").status_code == 200
    dashboard = client.get("/backoffice/").content.decode()
    assert "待审批的账期申请" in dashboard


def test_finance_records_a_collection_on_the_page(client, buyer, seller):
    credit_line(buyer, limit="20000.00")
    first = receivable_due(buyer=buyer, seller=seller, amount="1000.00", days_overdue=20)
    second = receivable_due(buyer=buyer, seller=seller, amount="2000.00", days_overdue=2)
    client.force_login(factories.staff_user(StaffRole.FINANCE))
    form = client.get("/backoffice/crm/collections/new/", {"company": buyer.pk}).content.decode()
    assert first.order.number in form and f'name="allocate_{second.pk}"' in form
    data = {"company": buyer.pk, "received_on": timezone.localdate().isoformat(), "document_number": "HK-9",
            "amount": "1500", "method": "acceptance_bill", "receiving_bank": "工行", "acceptor": "",
            f"allocate_{second.pk}": "1500"}
    refused = client.post(f"/backoffice/crm/collections/new/?company={buyer.pk}", data)
    assert refused.status_code == 200 and "银行承兑汇票必须填写承兑人" in refused.content.decode()
    data["acceptor"] = "中国银行"
    assert client.post(f"/backoffice/crm/collections/new/?company={buyer.pk}", data).status_code == 302
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.settled == Decimal("1500.00") and first.settled == 0
    assert Collection.objects.get().acceptor == "中国银行"
    listing = client.get("/backoffice/crm/collections/").content.decode()
    assert "HK-9" in listing


def test_receivables_list_filters(client, buyer, seller):
    credit_line(buyer, limit="20000.00")
    overdue = receivable_due(buyer=buyer, seller=seller, amount="1000.00", days_overdue=20)
    current = receivable_due(buyer=buyer, seller=seller, amount="2000.00", days_overdue=-5)
    client.force_login(factories.staff_user(StaffRole.FINANCE))
    page = client.get("/backoffice/crm/receivables/", {"overdue": "1"}).content.decode()
    assert overdue.order.number in page and current.order.number not in page
    page = client.get("/backoffice/crm/receivables/", {"company": buyer.pk, "status": "open"}).content.decode()
    assert overdue.order.number in page and current.order.number in page and "暂停赊销" in page
    Receivable.objects.filter(pk=current.pk).update(status=Receivable.Status.SETTLED)
    page = client.get("/backoffice/crm/receivables/", {"status": "settled"}).content.decode()
    assert current.order.number in page and overdue.order.number not in page


def test_staff_hold_and_release_a_line_by_hand(client, buyer):
    credit_line(buyer)
    client.force_login(factories.staff_user(StaffRole.FINANCE))
    client.post(f"/backoffice/crm/credit/lines/{buyer.pk}/hold/", {"on_hold": "1", "reason": "经营异常"})
    assert CreditLine.objects.get(company=buyer).on_hold
    client.post(f"/backoffice/crm/credit/lines/{buyer.pk}/hold/", {"on_hold": "0", "reason": "已核实"})
    assert not CreditLine.objects.get(company=buyer).on_hold
