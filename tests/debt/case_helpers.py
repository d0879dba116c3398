"""Builders for the debt-case tests: cases are moved through the real services."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from rest_framework.test import APIClient

from core import apikeys
from core.permissions import StaffRole
from debt import cases
from debt.models import CaseClaim
from tests import factories


def legal():
    return factories.staff_user(StaffRole.LEGAL)


def finance():
    return factories.staff_user(StaffRole.FINANCE)


def main(company):
    return factories.main_user_of(company)


def submit(applicant, counterparty, *, amount="100000.00", role=CaseClaim.Role.DEBTOR, by=None, extra=(),
           outcome="instalments"):
    """`applicant` says `counterparty` (a platform company) owes it `amount`."""
    claims = [{"name": counterparty.name, "credit_code": "", "role": role, "amount": amount,
               "due_date": (timezone.localdate() - timedelta(days=30)).isoformat()}, *extra]
    return cases.submit_case(by=by or main(applicant), claims=claims, desired_outcome=outcome,
                             description="货款逾期未付，申请平台协调。")


def to_plan_design(case, staff):
    cases.take_case(by=staff, case_id=case.pk)
    return cases.advance_case(by=staff, case_id=case.pk)


def to_negotiation(case, staff, plan="分 3 期还清。"):
    cases.update_plan(by=staff, case_id=case.pk, plan_text=plan)
    return cases.advance_case(by=staff, case_id=case.pk)


def to_execution(case, staff, parties):
    if case.stage != "negotiation":
        to_negotiation(case, staff)
    for company in parties:
        case = cases.confirm_plan(by=main(company), case_id=case.pk)
    return case


def claim_of(case):
    return case.claims.get()


def money(value):
    return Decimal(value)


def api_for(company, scopes=("debt",)):
    """A partner system of `company`, calling with an API key of its main account."""
    _key, raw = apikeys.issue_api_key(company=company, created_by=main(company), name="erp", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client
