"""Barter pages: member centre, merchant back end and back office, with their refusals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from barter import services
from barter.models import Listing, MatchingRun, Proposal, Settlement
from core.permissions import CompanyPermission
from tests import factories
from tests.barter.barter_helpers import barter_company, category, cycle

pytestmark = pytest.mark.django_db


def _window():
    today = timezone.localdate()
    return {"available_from": str(today), "available_until": str(today + timedelta(days=7))}


def test_member_posts_a_want_and_sees_refusals(client):
    company, user = barter_company("页面易货有限公司")
    client.force_login(user)
    pulp = category("bt-pulp", "木浆")
    page = client.get("/member/barter/")
    assert page.status_code == 200 and "现金差额上限" in page.content.decode()
    posted = client.post("/member/barter/", {"action": "want", "category": pulp.pk, "budget": "5000",
                                             "max_unit_value": "100", **_window()})
    assert posted.status_code == 302
    assert Listing.objects.get(company=company).status == Listing.Status.ACTIVE
    bad = client.post("/member/barter/", {"action": "want", "category": pulp.pk, "budget": "abc",
                                          "max_unit_value": "100", **_window()})
    assert bad.status_code == 422 and "请填写有效的预算" in bad.content.decode()
    saved = client.post("/member/barter/", {"action": "profile", "cash_limit": "12000"})
    assert saved.status_code == 302 and services.profile_of(company).cash_limit == 12000


def test_sub_account_without_barter_permission_is_refused(client):
    company, _user = barter_company("页面易货有限公司")
    client.force_login(factories.sub_account(company, [CompanyPermission.PURCHASING]))
    assert client.get("/member/barter/").status_code == 403
    assert client.get("/merchant/barter/").status_code == 403


def test_merchant_posts_a_have_from_a_product(client):
    company, user = barter_company("页面易货有限公司")
    product = factories.stock(factories.product(seller=company), "5")
    client.force_login(user)
    refused = client.post("/merchant/barter/", {"product": product.pk, "quantity": "6", "unit_value": "4000",
                                                **_window()})
    assert refused.status_code == 422 and "可用库存" in refused.content.decode()
    posted = client.post("/merchant/barter/", {"product": product.pk, "quantity": "5", "unit_value": "4000",
                                               **_window()})
    assert posted.status_code == 302
    assert client.get("/merchant/barter/").content.decode().count(product.title) >= 1


def test_participant_confirms_and_rejects_through_pages(client, django_capture_on_commit_callbacks):
    world = cycle(django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    ua, ub, _uc = world["users"]
    client.force_login(ua)
    page = client.get(f"/member/barter/proposals/{proposal.number}/")
    assert page.status_code == 200 and "确认方案" in page.content.decode()
    client.post(f"/member/barter/proposals/{proposal.number}/confirm/")
    lot = client.get(f"/member/barter/listings/{world['haves'][0].pk}/lot/")
    assert lot.status_code == 200 and world["companies"][1].name in lot.content.decode()
    client.force_login(ub)
    client.post(f"/member/barter/proposals/{proposal.number}/reject/", {"reason": "规格不符"})
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.LAPSED
    outsider, outsider_user = barter_company("局外纸业有限公司")
    client.force_login(outsider_user)
    assert client.get(f"/member/barter/proposals/{proposal.number}/").status_code == 404


def test_staff_start_a_run_and_read_a_deal(client, django_capture_on_commit_callbacks):
    world = cycle(django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    staff = factories.staff_user("customer_service")
    client.force_login(staff)
    runs = client.get("/backoffice/barter/")
    assert runs.status_code == 200 and "立即运行撮合" in runs.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/backoffice/barter/").status_code == 302
    latest = MatchingRun.objects.order_by("-pk").first()
    assert latest.status == MatchingRun.Status.DONE and latest.started_by == staff
    progress = client.get(f"/backoffice/barter/runs/{latest.pk}/progress/")
    assert progress.status_code == 200 and "hx-get" not in progress.content.decode()
    deal = client.get(f"/backoffice/barter/deals/{proposal.number}/").content.decode()
    assert all(company.name in deal for company in world["companies"]) and "求购最高单位价值" in deal
    assert client.get("/backoffice/barter/deals/?overdue=1").status_code == 200
    assert client.get("/backoffice/barter/settlements/").status_code == 403


def test_finance_confirms_a_settlement_page(client, django_capture_on_commit_callbacks):
    paper, board = category("bt-paper", "文化纸"), category("bt-board", "箱板纸")
    _a, ua = barter_company("甲有限公司", cash_limit="5000")
    _b, ub = barter_company("乙有限公司", cash_limit="5000")
    from tests.barter.barter_helpers import have, run_now, want

    have(ua, paper, "10", "1000")
    want(ub, paper, "10000", "1000")
    have(ub, board, "8", "1000")
    want(ua, board, "10000", "1000")
    run_now(django_capture_on_commit_callbacks)
    for proposal in Proposal.objects.all():
        services.confirm_proposal(by=ua, proposal_id=proposal.pk)
        services.confirm_proposal(by=ub, proposal_id=proposal.pk)
    client.force_login(factories.staff_user("finance"))
    queue = client.get("/backoffice/barter/settlements/")
    assert queue.status_code == 200 and "乙有限公司" in queue.content.decode()
    settlement = Settlement.objects.first()
    client.post("/backoffice/barter/settlements/", {"settlement": settlement.pk, "reference": "B-9"})
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.CONFIRMED


def test_tampered_ids_and_links_get_a_message_not_an_error(client):
    company, user = barter_company("篡改易货有限公司")
    client.force_login(user)
    want = client.post("/member/barter/", {"action": "want", "category": "abc", "budget": "5000",
                                           "max_unit_value": "100", **_window()})
    assert want.status_code == 422 and "请选择有效的类目" in want.content.decode()
    have = client.post("/merchant/barter/", {"product": "²", "quantity": "5", "unit_value": "4000", **_window()})
    assert have.status_code == 422 and "请选择本企业的商品" in have.content.decode()
    listing = services.create_want(by=user, category_id=category("bt-pulp", "木浆").pk, budget="5000",
                                   max_unit_value="100", **{k: timezone.localdate() + timedelta(days=d)
                                                            for k, d in (("available_from", 0),
                                                                         ("available_until", 7))})
    away = client.post(f"/member/barter/listings/{listing.pk}/withdraw/", {"next": "//evil.example/"})
    assert away.status_code == 302 and away["Location"] == "/member/barter/"


def test_a_lot_split_among_takers_reads_in_the_same_queries_however_many_takers(
        django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from barter import selectors
    from tests.barter.barter_helpers import have, run_now, want

    paper, pulp = category("lot-paper", "文化纸"), category("lot-pulp", "木浆")
    _major, major_user = barter_company("大客户纸业有限公司")
    lot = have(major_user, paper, "30", "1000")
    want(major_user, pulp, "30000", "1200")
    for name in "甲乙丙":
        _taker, taker_user = barter_company(f"拆分承接{name}有限公司")
        want(taker_user, paper, "10000", "1200")
        have(taker_user, pulp, "10", "1000")
    run_now(django_capture_on_commit_callbacks)

    with CaptureQueriesContext(connection) as queries:
        rows = selectors.lot_split(have=lot)
    takers = {row["transfer"].taker.name for row in rows}
    assert len(takers) == 3 and all(row["back"] and row["back"][0].have.category_id == pulp.pk for row in rows)
    assert len(queries) == 2
