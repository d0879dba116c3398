"""Debt-case pages (member centre and back office) and the API: scoping, refusals and the
main journeys over HTTP."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.permissions import CompanyPermission
from debt import cases
from debt.models import DebtCase
from tests import factories
from tests.debt.case_helpers import api_for, claim_of, finance, legal, main, submit, to_negotiation, to_plan_design

S = DebtCase.Stage


@pytest.fixture
def world(db):
    applicant = factories.company(name="浙江申请纸业有限公司")
    debtor = factories.company(name="江苏欠款印刷有限公司")
    outsider = factories.company(name="无关纸业有限公司")
    return applicant, debtor, outsider


def _form(**overrides):
    data = {
        "claims-TOTAL_FORMS": "2", "claims-INITIAL_FORMS": "0", "claims-MIN_NUM_FORMS": "1",
        "claims-MAX_NUM_FORMS": "50",
        "claims-0-name": "江苏欠款印刷有限公司", "claims-0-credit_code": "", "claims-0-role": "debtor",
        "claims-0-amount": "120000", "claims-0-due_date": "2026-06-30",
        "claims-1-name": "", "claims-1-credit_code": "", "claims-1-role": "", "claims-1-amount": "",
        "claims-1-due_date": "",
        "desired_outcome": "instalments", "description": "对方拖欠货款半年。",
    }
    data.update(overrides)
    return data


def test_member_submits_a_case_through_the_form(world, client):
    applicant, debtor, _outsider = world
    client.force_login(main(applicant))
    assert client.get(reverse("member-debt:case-new")).status_code == 200
    response = client.post(reverse("member-debt:case-new"), _form())
    case = DebtCase.objects.get()
    assert response.status_code == 302 and response.url == reverse("member-debt:case", args=[case.pk])
    assert claim_of(case).company == debtor
    page = client.get(reverse("member-debt:case", args=[case.pk]))
    assert page.status_code == 200 and case.number in page.content.decode()
    assert case.number in client.get(reverse("member-debt:cases")).content.decode()


def test_add_row_adds_a_counterparty_row_without_javascript(world, client):
    applicant, _debtor, _outsider = world
    client.force_login(main(applicant))
    response = client.post(reverse("member-debt:case-new"), _form(add_row="1"))
    assert response.status_code == 200
    assert 'name="claims-2-name"' in response.content.decode()
    assert not DebtCase.objects.exists()


def test_form_shows_a_service_refusal_on_the_row(world, client):
    applicant, _debtor, _outsider = world
    client.force_login(main(applicant))
    response = client.post(reverse("member-debt:case-new"), _form(**{"claims-0-name": "场外公司",
                                                                      "claims-0-credit_code": "123"}))
    assert response.status_code == 200
    assert "有效的统一社会信用代码" in response.content.decode()
    assert not DebtCase.objects.exists()


def test_pages_refuse_sub_accounts_without_debt_and_hide_other_companies_cases(world, client):
    applicant, debtor, outsider = world
    case = submit(applicant, debtor)
    clerk = factories.sub_account(applicant, [CompanyPermission.PURCHASING])
    client.force_login(clerk)
    assert client.get(reverse("member-debt:cases")).status_code == 403
    assert client.get(reverse("member-debt:case", args=[case.pk])).status_code == 403
    client.force_login(main(outsider))
    assert client.get(reverse("member-debt:case", args=[case.pk])).status_code == 404
    assert case.number not in client.get(reverse("member-debt:cases")).content.decode()
    client.force_login(main(debtor))
    assert client.get(reverse("member-debt:case", args=[case.pk])).status_code == 200


def test_counterparty_confirms_and_rejects_from_the_member_page(world, client):
    applicant, debtor, _outsider = world
    staff = legal()
    case = to_negotiation(to_plan_design(submit(applicant, debtor), staff), staff)
    client.force_login(main(debtor))
    page = client.get(reverse("member-debt:case", args=[case.pk])).content.decode()
    assert reverse("member-debt:case-confirm", args=[case.pk]) in page
    client.post(reverse("member-debt:case-reject", args=[case.pk]), {"reason": "首付太高"})
    assert DebtCase.objects.get(pk=case.pk).stage == S.PLAN_DESIGN


def test_document_download_is_scoped(world, client):
    applicant, debtor, outsider = world
    case = submit(applicant, debtor)
    client.force_login(main(applicant))
    client.post(reverse("member-debt:case-document", args=[case.pk]),
                {"document": factories.upload("合同.pdf"), "note": "购销合同"})
    document = case.documents.get()
    url = reverse("member-debt:case-document-file", args=[document.pk])
    assert client.get(url).status_code == 200
    client.force_login(main(outsider))
    assert client.get(url).status_code == 404


def test_staff_queue_filters_and_case_page_actions(world, client):
    applicant, debtor, _outsider = world
    staff = legal()
    late = submit(applicant, debtor)
    fresh = submit(applicant, debtor)
    DebtCase.objects.filter(pk=late.pk).update(stage_deadline=timezone.now() - timedelta(hours=2))
    client.force_login(staff)
    queue = client.get(reverse("backoffice-debt:cases"), {"overdue": "1"}).content.decode()
    assert late.number in queue and fresh.number not in queue
    client.post(reverse("backoffice-debt:case-take", args=[fresh.pk]))
    mine = client.get(reverse("backoffice-debt:cases"), {"assignee": "me"}).content.decode()
    assert fresh.number in mine and late.number not in mine
    client.post(reverse("backoffice-debt:case-advance", args=[fresh.pk]))
    assert DebtCase.objects.get(pk=fresh.pk).stage == S.PLAN_DESIGN
    client.post(reverse("backoffice-debt:case-plan", args=[fresh.pk]), {"plan_text": "分两期"})
    client.post(reverse("backoffice-debt:case-guarantee", args=[fresh.pk]), {"limit": "50000", "fee_rate": "1"})
    first = (timezone.localdate() + timedelta(days=7)).isoformat()
    client.post(reverse("backoffice-debt:case-instalment-plan", args=[fresh.pk]),
                {"claim": claim_of(fresh).pk, "total": "100000", "count": "2", "first_due": first})
    page = client.get(reverse("backoffice-debt:case", args=[fresh.pk]))
    assert page.status_code == 200
    fresh = DebtCase.objects.get(pk=fresh.pk)
    assert fresh.plan_text == "分两期" and fresh.guarantees.count() == 1 and fresh.instalment_plans.count() == 1
    bad = client.post(reverse("backoffice-debt:case-guarantee", args=[fresh.pk]), {"limit": "x", "fee_rate": "1"},
                      follow=True)
    assert "请输入正确的金额" in bad.content.decode()


def test_back_office_refuses_members_and_finance_cannot_take(world, client):
    applicant, debtor, _outsider = world
    case = submit(applicant, debtor)
    client.force_login(main(applicant))
    assert client.get(reverse("backoffice-debt:cases")).status_code == 403
    client.force_login(finance())
    assert client.get(reverse("backoffice-debt:case", args=[case.pk])).status_code == 200
    assert client.post(reverse("backoffice-debt:case-take", args=[case.pk])).status_code == 403
    assert client.get(reverse("backoffice-debt:overdue-instalments")).status_code == 200


def test_queues_are_registered_on_the_dashboard(world, client):
    from core.backoffice import queues_for

    labels = {str(queue.label) for queue in queues_for(legal())}
    assert "待处理的债务案件" in labels
    assert "逾期的分期还款" in {str(queue.label) for queue in queues_for(finance())}


def test_api_submit_list_and_detail_are_scoped(world):
    applicant, debtor, outsider = world
    api = api_for(applicant)
    response = api.post("/api/v1/debt/cases/", {
        "claims": [{"credit_code": debtor.unified_social_credit_code, "role": "debtor", "amount": "5000.00",
                    "due_date": "2026-03-01"}],
        "desired_outcome": "full_payment", "description": "逾期货款"}, format="json",
        HTTP_IDEMPOTENCY_KEY="case-1")
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    assert response.json()["claims"][0]["company"] == debtor.pk
    assert [row["id"] for row in api.get("/api/v1/debt/cases/").json()["results"]] == [case_id]
    assert api_for(debtor).get(f"/api/v1/debt/cases/{case_id}/").status_code == 200
    assert api_for(outsider).get(f"/api/v1/debt/cases/{case_id}/").status_code == 404
    assert api_for(outsider).get("/api/v1/debt/cases/").json()["results"] == []


def test_api_needs_the_debt_scope(world):
    applicant, _debtor, _outsider = world
    api = api_for(applicant, scopes=("purchasing",))
    assert api.get("/api/v1/debt/cases/").status_code == 403


def test_api_refuses_bad_input_with_a_message(world):
    applicant, _debtor, _outsider = world
    response = api_for(applicant).post("/api/v1/debt/cases/", {
        "claims": [{"name": "场外", "credit_code": "1", "role": "debtor", "amount": "5", "due_date": "2026-03-01"}],
        "desired_outcome": "full_payment", "description": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="case-bad")
    assert response.status_code == 422
    assert "统一社会信用代码" in response.content.decode()


def test_api_plan_confirm_reject_and_instalments(world):
    applicant, debtor, outsider = world
    staff = legal()
    case = to_plan_design(submit(applicant, debtor), staff)
    cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, total="1000", count=2,
                                 first_due=timezone.localdate() + timedelta(days=5))
    to_negotiation(case, staff)
    assert api_for(outsider).post(f"/api/v1/debt/cases/{case.pk}/plan/confirm/",
                                  HTTP_IDEMPOTENCY_KEY="c0").status_code == 404
    response = api_for(applicant).post(f"/api/v1/debt/cases/{case.pk}/plan/confirm/", HTTP_IDEMPOTENCY_KEY="c1")
    assert response.status_code == 200 and response.json()["stage"] == "negotiation"
    response = api_for(debtor).post(f"/api/v1/debt/cases/{case.pk}/plan/reject/", {"reason": "金额不对"},
                                    format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert response.status_code == 200 and response.json()["stage"] == "plan_design"
    instalments = api_for(debtor).get(f"/api/v1/debt/cases/{case.pk}/instalments/").json()
    assert [(row["sequence"], row["amount"]) for row in instalments] == [(1, "500.00"), (2, "500.00")]
    assert api_for(outsider).get(f"/api/v1/debt/cases/{case.pk}/instalments/").status_code == 404


def test_case_pages_show_plan_guarantee_instalments_goods_and_history(world, client):
    applicant, debtor, _outsider = world
    staff = legal()
    board = factories.stock(factories.product(seller=debtor, title="350g 灰底白板", price="5000.00"), "100")
    case = to_plan_design(submit(applicant, debtor), staff)
    client.force_login(main(applicant))
    page = client.get(reverse("member-debt:case", args=[case.pk])).content.decode()
    assert "350g 灰底白板" in page  # the debtor's catalogue to propose goods from
    client.post(reverse("member-debt:case-goods", args=[case.pk]),
                {"claim": claim_of(case).pk, "product-0": board.pk, "quantity-0": "2", "value-0": "4000"})
    assert case.goods_settlements.get().agreed_total == 8000
    cases.propose_guarantee(by=staff, case_id=case.pk, limit="20000", fee_rate="1.5")
    cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, total="9000", count=3,
                                 first_due=timezone.localdate() + timedelta(days=5))
    to_negotiation(case, staff)
    for company in (applicant, debtor):
        cases.confirm_plan(by=main(company), case_id=case.pk)
    page = client.get(reverse("member-debt:case", args=[case.pk])).content.decode()
    for text in ("执行中", "担保中", "¥300.00", "下单提货", "确认收款", "确认化解方案"):
        assert text in page, text
    client.force_login(main(debtor))
    debtor_page = client.get(reverse("member-debt:case", args=[case.pk])).content.decode()
    assert "下单提货" not in debtor_page and "确认收款" not in debtor_page
    client.force_login(finance())
    staff_page = client.get(reverse("backoffice-debt:case", args=[case.pk])).content.decode()
    assert reverse("backoffice-debt:instalment-payment", args=[case.instalment_plans.get().instalments.first().pk]) \
        in staff_page


@pytest.mark.django_db
def test_a_tampered_row_count_still_adds_one_row(client):
    from tests.debt.case_helpers import main as main_user

    applicant = factories.company(name="行数篡改纸业有限公司")
    client.force_login(main_user(applicant))
    page = client.post("/member/debt/cases/new/", {"add_row": "1", "claims-TOTAL_FORMS": "abc",
                                                  "claims-INITIAL_FORMS": "0"})
    assert page.status_code == 200
