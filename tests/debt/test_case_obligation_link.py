"""A case's claim may name the registered obligation it is about (债务登记): what the case
recovers then comes off that obligation, so a clearing run never counts money already paid."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import BusinessRuleError
from core.models import AuditEvent
from debt import cases
from debt.models import CaseClaim, Obligation
from tests import factories
from tests.debt.case_helpers import api_for, claim_of, finance, legal, main, to_execution, to_plan_design
from tests.debt.clearing_helpers import owes, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    return factories.company(name="浙江申请纸业有限公司"), factories.company(name="江苏欠款印刷有限公司")


def _submit(applicant, debtor, obligation, *, amount="3000.00", role=CaseClaim.Role.DEBTOR):
    return cases.submit_case(by=main(applicant), desired_outcome="instalments", description="货款逾期未付。", claims=[{
        "name": debtor.name, "role": role, "amount": amount, "obligation": str(getattr(obligation, "pk", obligation)),
        "due_date": (timezone.localdate() - timedelta(days=30)).isoformat()}])


def test_instalments_paid_through_the_case_come_off_the_obligation_until_it_is_settled(parties):
    applicant, debtor = parties
    obligation = owes(debtor, applicant, "3000.00")
    case = _submit(applicant, debtor, obligation)
    assert claim_of(case).obligation == obligation
    staff = legal()
    to_plan_design(case, staff)
    plan = cases.create_instalment_plan(by=staff, case_id=case.pk, claim_id=claim_of(case).pk, total="3000",
                                        count=2, first_due=timezone.localdate() + timedelta(days=10))
    to_execution(case, staff, [applicant, debtor])
    first, second = plan.instalments.order_by("sequence")
    cashier = finance()

    cases.record_instalment_payment(by=cashier, instalment_id=first.pk, amount="1500", paid_on=timezone.localdate())
    obligation.refresh_from_db()
    assert (obligation.status, obligation.outstanding) == (Obligation.Status.CONFIRMED, Decimal("1500.00"))
    assert AuditEvent.objects.filter(action="debt.obligation.recovered", subject_id=str(obligation.pk),
                                     before="3000.00", after="1500.00").exists()

    cases.record_instalment_payment(by=cashier, instalment_id=second.pk, amount="1500", paid_on=timezone.localdate())
    obligation.refresh_from_db()
    assert (obligation.status, obligation.outstanding) == (Obligation.Status.SETTLED, Decimal("0.00"))


@pytest.mark.parametrize("case_of", ["reversed", "unconfirmed", "too_small", "another_company", "unknown"])
def test_only_a_confirmed_obligation_between_the_two_in_the_claims_direction_may_be_named(parties, case_of):
    applicant, debtor = parties
    obligation = {
        "reversed": lambda: owes(applicant, debtor, "3000.00"),
        "unconfirmed": lambda: register(debtor, applicant, "3000.00"),
        "too_small": lambda: owes(debtor, applicant, "2999.99"),
        "another_company": lambda: owes(factories.company(name="第三方纸业有限公司"), applicant, "3000.00"),
        "unknown": lambda: 999999,
    }[case_of]()
    with pytest.raises(BusinessRuleError) as refused:
        _submit(applicant, debtor, obligation)
    assert "claims-0-obligation" in refused.value.details
    assert refused.value.code in {"obligation_mismatch", "obligation_not_confirmed", "over_obligation"}


def test_an_obligation_is_handled_by_one_open_case_at_a_time(parties):
    applicant, debtor = parties
    obligation = owes(debtor, applicant, "5000.00")
    first = _submit(applicant, debtor, obligation)
    with pytest.raises(BusinessRuleError) as refused:
        _submit(applicant, debtor, obligation)
    assert refused.value.code == "obligation_in_case" and first.number in refused.value.message


def test_the_case_form_offers_the_companys_confirmed_obligations_and_the_case_page_shows_the_link(client, parties):
    applicant, debtor = parties
    obligation = owes(debtor, applicant, "3000.00", reference="HT-2026-088")
    client.force_login(main(applicant))
    form = client.get(reverse("member-debt:case-new")).content.decode()
    assert "HT-2026-088" in form
    due = (timezone.localdate() - timedelta(days=30)).isoformat()
    response = client.post(reverse("member-debt:case-new"), {
        "claims-TOTAL_FORMS": "1", "claims-INITIAL_FORMS": "0", "claims-MIN_NUM_FORMS": "1",
        "claims-MAX_NUM_FORMS": "20", "claims-0-name": debtor.name, "claims-0-role": "debtor",
        "claims-0-amount": "3000.00", "claims-0-due_date": due, "claims-0-obligation": str(obligation.pk),
        "desired_outcome": "instalments", "description": "货款逾期未付。"})
    assert response.status_code == 302
    claim = CaseClaim.objects.get(case__applicant=applicant)
    assert claim.obligation_id == obligation.pk
    assert f"#{obligation.pk} HT-2026-088" in client.get(response.url).content.decode()


def test_a_partner_names_the_obligation_over_the_api(parties):
    applicant, debtor = parties
    obligation = owes(debtor, applicant, "5000.00")
    response = api_for(applicant).post("/api/v1/debt/cases/", {
        "claims": [{"credit_code": debtor.unified_social_credit_code, "role": "debtor", "amount": "5000.00",
                    "due_date": "2026-03-01", "obligation": obligation.pk}],
        "desired_outcome": "full_payment", "description": "逾期货款"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["claims"][0]["obligation"] == obligation.pk


def test_goods_received_through_the_case_come_off_the_obligation_once(parties):
    from orders import shipping

    applicant, debtor = parties
    obligation = owes(debtor, applicant, "100000.00")
    board = factories.stock(factories.product(seller=debtor, title="350g 灰底白板", price="5000.00"), "100")
    case = _submit(applicant, debtor, obligation, amount="100000.00")
    staff = legal()
    to_plan_design(case, staff)
    settlement = cases.propose_goods_settlement(by=staff, case_id=case.pk, claim_id=claim_of(case).pk,
                                                lines=[(board.pk, "10", "4500")])
    to_execution(case, staff, [applicant, debtor])
    settlement = cases.place_goods_order(by=main(applicant), settlement_id=settlement.pk)
    shipping.ship_order(by=main(debtor), order_id=settlement.order_id, carrier="sf")
    shipping.confirm_receipt(by=main(applicant), order_id=settlement.order_id)

    cases.sync_goods_settlements()
    cases.sync_goods_settlements()

    obligation.refresh_from_db()
    assert (obligation.status, obligation.outstanding) == (Obligation.Status.CONFIRMED, Decimal("55000.00"))
