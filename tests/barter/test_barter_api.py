"""Barter over the API: own listings and proposals only, the `barter` scope, Idempotency-Key replay."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from barter.models import Listing, Proposal
from core import apikeys
from orders.models import Order
from tests.barter.barter_helpers import barter_company, category, cycle

pytestmark = pytest.mark.django_db


def api_for(user, company, scopes=("barter",)):
    _key, raw = apikeys.issue_api_key(company=company, created_by=user, name="erp", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def _want_body(cat):
    today = timezone.localdate()
    return {"kind": "want", "category": cat.pk, "budget": "20000", "max_unit_value": "1500",
            "available_from": str(today), "available_until": str(today + timedelta(days=10))}


def test_create_want_replays_with_the_same_idempotency_key():
    company, user = barter_company("接口易货有限公司")
    api = api_for(user, company)
    body = _want_body(category("bt-pulp", "木浆"))
    first = api.post("/api/v1/barter/listings/", body, format="json", HTTP_IDEMPOTENCY_KEY="want-1")
    assert first.status_code == 201, first.json()
    again = api.post("/api/v1/barter/listings/", body, format="json", HTTP_IDEMPOTENCY_KEY="want-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert Listing.objects.count() == 1
    listed = api.get("/api/v1/barter/listings/").json()
    assert [row["number"] for row in listed["results"]] == [first.json()["number"]]


def test_refusals_come_back_with_their_code():
    company, user = barter_company("接口易货有限公司")
    api = api_for(user, company)
    paper = category("bt-paper", "文化纸")
    today = timezone.localdate()
    have = {"kind": "have", "title": "胶版纸", "category": paper.pk, "unit": "吨", "quantity": "5",
            "unit_value": "900", "available_from": str(today), "available_until": str(today + timedelta(days=5))}
    assert api.post("/api/v1/barter/listings/", have, format="json").status_code == 201
    refused = api.post("/api/v1/barter/listings/", _want_body(paper), format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "category_conflict"
    reversed_window = dict(have, available_until=str(today - timedelta(days=1)), available_from=str(today))
    assert api.post("/api/v1/barter/listings/", reversed_window, format="json").status_code == 422


def test_scope_required_even_for_reads():
    company, user = barter_company("接口易货有限公司")
    api = api_for(user, company, scopes=("purchasing",))
    assert api.get("/api/v1/barter/listings/").status_code == 403
    assert api.post("/api/v1/barter/listings/", _want_body(category("bt-pulp", "木浆")),
                    format="json").status_code == 403


def test_other_companies_listings_and_proposals_are_404(django_capture_on_commit_callbacks):
    world = cycle(django_capture_on_commit_callbacks)
    outsider, outsider_user = barter_company("局外纸业有限公司")
    api = api_for(outsider_user, outsider)
    listing = world["haves"][0]
    proposal = Proposal.objects.get()
    assert api.get(f"/api/v1/barter/listings/{listing.pk}/").status_code == 404
    assert api.post(f"/api/v1/barter/listings/{listing.pk}/withdraw/", {}, format="json").status_code == 404
    assert api.get("/api/v1/barter/proposals/").json()["results"] == []
    assert api.post(f"/api/v1/barter/proposals/{proposal.pk}/confirm/", {}, format="json").status_code == 404


def test_confirm_over_the_api_executes_and_deals_show_orders(django_capture_on_commit_callbacks):
    world = cycle(django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    clients = [api_for(user, company) for user, company in zip(world["users"], world["companies"], strict=True)]
    mine = clients[0].get("/api/v1/barter/proposals/").json()["results"]
    assert [row["number"] for row in mine] == [proposal.number] and len(mine[0]["transfers"]) == 3
    held = clients[0].post(f"/api/v1/barter/listings/{world['haves'][0].pk}/withdraw/", {}, format="json")
    assert held.status_code == 409
    for index, client in enumerate(clients):
        answer = client.post(f"/api/v1/barter/proposals/{proposal.pk}/confirm/", {}, format="json",
                             HTTP_IDEMPOTENCY_KEY=f"confirm-{index}")
        assert answer.status_code == 200, answer.json()
    replay = clients[2].post(f"/api/v1/barter/proposals/{proposal.pk}/confirm/", {}, format="json",
                             HTTP_IDEMPOTENCY_KEY="confirm-2")
    assert replay.status_code == 200 and Order.objects.count() == 3
    deals = clients[1].get("/api/v1/barter/deals/").json()["results"]
    assert deals[0]["status"] == "executing"
    assert all(t["order"] and t["order_status"] == "paid" for t in deals[0]["transfers"])


def test_reject_over_the_api_needs_a_reason(django_capture_on_commit_callbacks):
    world = cycle(django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    api = api_for(world["users"][1], world["companies"][1])
    assert api.post(f"/api/v1/barter/proposals/{proposal.pk}/reject/", {}, format="json").status_code == 400
    rejected = api.post(f"/api/v1/barter/proposals/{proposal.pk}/reject/", {"reason": "不需要了"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "lapsed"
