"""The obligations and clearing-run API: scope `debt`, the caller's company only, Idempotency-Key."""

import pytest
from rest_framework.test import APIClient

from core import apikeys
from debt.models import ClearingRun, Obligation
from tests import factories
from tests.debt.clearing_helpers import companies, owes, planned_run, register

pytestmark = pytest.mark.django_db


def api_for(company, scopes=("debt",)):
    _key, raw = apikeys.issue_api_key(company=company, created_by=factories.main_user_of(company), name="erp",
                                      scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_the_creditor_registers_once_per_idempotency_key_and_the_debtor_confirms():
    debtor, creditor = companies("甲", "乙")
    api = api_for(creditor)
    body = {"debtor_credit_code": debtor.unified_social_credit_code, "amount": "8800.00", "due_on": "2026-09-30",
            "reference": "FP-API-1"}
    first = api.post("/api/v1/debt/obligations/", body, format="json", HTTP_IDEMPOTENCY_KEY="ob-1")
    assert first.status_code == 201, first.json()
    again = api.post("/api/v1/debt/obligations/", body, format="json", HTTP_IDEMPOTENCY_KEY="ob-1")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Obligation.objects.count() == 1
    assert (first.json()["role"], first.json()["status"], first.json()["outstanding"]) == (
        "creditor", "pending_confirmation", "8800.00")

    debtor_api = api_for(debtor)
    obligation_id = first.json()["id"]
    listed = debtor_api.get("/api/v1/debt/obligations/?role=debtor").json()["results"]
    assert [row["id"] for row in listed] == [obligation_id] and listed[0]["role"] == "debtor"
    confirmed = debtor_api.post(f"/api/v1/debt/obligations/{obligation_id}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"


def test_refusals_come_back_with_their_code():
    debtor, creditor = companies("甲", "乙")
    api = api_for(creditor)
    refused = api.post("/api/v1/debt/obligations/", {
        "debtor_credit_code": creditor.unified_social_credit_code, "amount": "1", "due_on": "2026-09-30",
        "reference": "X"}, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "debtor_is_creditor"
    bad_amount = api.post("/api/v1/debt/obligations/", {
        "debtor_credit_code": debtor.unified_social_credit_code, "amount": "abc", "due_on": "2026-09-30",
        "reference": "X"}, format="json")
    assert bad_amount.status_code == 422 and bad_amount.json()["error"]["code"] == "invalid_amount"


def test_the_debtor_disputes_over_the_api():
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, 10)
    response = api_for(debtor).post(f"/api/v1/debt/obligations/{obligation.pk}/dispute/", {"reason": "未收货"},
                                    format="json")
    assert response.status_code == 200 and response.json()["status"] == "disputed"
    assert response.json()["disputes"][0]["reason"] == "未收货"


def test_other_companies_obligations_are_a_404_and_other_scopes_a_403():
    debtor, creditor, stranger = companies("甲", "乙", "丙")
    obligation = register(debtor, creditor, 10)
    assert api_for(stranger).get(f"/api/v1/debt/obligations/{obligation.pk}/").status_code == 404
    assert api_for(stranger).post(f"/api/v1/debt/obligations/{obligation.pk}/confirm/").status_code == 404
    assert api_for(stranger).get("/api/v1/debt/obligations/").json()["results"] == []
    assert api_for(debtor, ["purchasing"]).get("/api/v1/debt/obligations/").status_code == 403
    assert api_for(debtor, ["purchasing"]).post(f"/api/v1/debt/obligations/{obligation.pk}/confirm/").status_code == 403


def test_a_company_reads_and_confirms_its_part_of_a_run(django_capture_on_commit_callbacks):
    a, b, c, stranger = companies("甲", "乙", "丙", "戊")
    owes(a, b, 10)
    owes(b, c, 10)
    owes(c, a, 10)
    run = planned_run(django_capture_on_commit_callbacks, factories.staff_user("finance"))
    api = api_for(a)
    assert [row["id"] for row in api.get("/api/v1/debt/clearing-runs/").json()["results"]] == [run.pk]
    part = api.get(f"/api/v1/debt/clearing-runs/{run.pk}/part/").json()
    assert (part["status"], part["setoff"], part["net_before"], part["net_after"]) == (
        "pending", "10.00", "0.00", "0.00")
    assert len(part["items"]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = api.post(f"/api/v1/debt/clearing-runs/{run.pk}/part/", {"decision": "confirm"}, format="json",
                             HTTP_IDEMPOTENCY_KEY="part-1")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    replay = api.post(f"/api/v1/debt/clearing-runs/{run.pk}/part/", {"decision": "confirm"}, format="json",
                      HTTP_IDEMPOTENCY_KEY="part-1")
    assert replay.status_code == 200 and replay.json()["status"] == "confirmed"
    assert api_for(stranger).get(f"/api/v1/debt/clearing-runs/{run.pk}/part/").status_code == 404
    assert api_for(stranger).get("/api/v1/debt/clearing-runs/").json()["results"] == []
    for company in (b, c):
        with django_capture_on_commit_callbacks(execute=True):
            api_for(company).post(f"/api/v1/debt/clearing-runs/{run.pk}/part/", {"decision": "confirm"},
                                  format="json")
    assert ClearingRun.objects.get(pk=run.pk).status == "applied"
