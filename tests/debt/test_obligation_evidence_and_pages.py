"""Evidence files (the two parties and staff only) and the member-centre and back-office pages
of the obligations registry."""

import pytest

from core.errors import BusinessRuleError
from debt import obligations
from debt.models import Obligation
from tests import factories
from tests.debt.clearing_helpers import companies, main, register

pytestmark = pytest.mark.django_db


def test_evidence_is_uploaded_by_either_party_and_downloaded_by_parties_and_staff(client):
    debtor, creditor, stranger = companies("甲", "乙", "丙")
    obligation = obligations.register_obligation(
        by=main(creditor), debtor_credit_code=debtor.unified_social_credit_code, amount="100", due_on="2026-07-01",
        reference="HT-1", evidence=[factories.upload("合同.pdf")])
    reply = obligations.add_evidence(by=main(debtor), obligation_id=obligation.pk,
                                     upload=factories.upload("回函.pdf"), note="我方意见")
    assert [e.original_name for e in obligation.evidence.all()] == ["合同.pdf", "回函.pdf"]
    url = f"/member/debt/obligations/evidence/{reply.pk}/"
    for viewer, expected in ((main(creditor), 200), (main(debtor), 200), (main(stranger), 404),
                             (factories.staff_user("legal_compliance"), 200)):
        client.force_login(viewer)
        assert client.get(url).status_code == expected


def test_evidence_that_is_not_a_pdf_or_image_is_refused():
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "100")
    with pytest.raises(BusinessRuleError) as refused:
        obligations.add_evidence(by=main(creditor), obligation_id=obligation.pk,
                                 upload=factories.upload("x.pdf", content=b"MZ not a pdf"))
    assert refused.value.code == "evidence_invalid"


def test_the_member_registers_confirms_and_disputes_through_the_pages(client):
    debtor, creditor = companies("甲", "乙")
    client.force_login(main(creditor))
    response = client.post("/member/debt/obligations/register/", {
        "debtor_code": debtor.unified_social_credit_code, "amount": "2,500.00", "due_on": "2026-08-01",
        "reference": "FP-77"}, follow=True)
    obligation = Obligation.objects.get()
    assert response.status_code == 200 and "等待债务人确认" in response.content.decode()
    refused = client.post("/member/debt/obligations/register/", {
        "debtor_code": debtor.unified_social_credit_code, "amount": "-1", "due_on": "2026-08-01",
        "reference": "FP-78"}, follow=True)
    assert refused.status_code == 200 and "金额必须大于零" in refused.content.decode()
    assert Obligation.objects.count() == 1

    client.force_login(main(debtor))
    listing = client.get("/member/debt/obligations/?role=debtor").content.decode()
    assert "FP-77" in listing and "乙纸业有限公司" in listing
    assert "确认债务" in client.get(f"/member/debt/obligations/{obligation.pk}/").content.decode()
    client.post(f"/member/debt/obligations/{obligation.pk}/confirm/")
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.CONFIRMED
    assert client.get("/member/debt/obligations/?role=creditor").content.decode().count("FP-77") == 0


def test_another_companys_obligation_page_is_a_404(client):
    debtor, creditor, stranger = companies("甲", "乙", "丙")
    obligation = register(debtor, creditor, "1")
    client.force_login(main(stranger))
    assert client.get(f"/member/debt/obligations/{obligation.pk}/").status_code == 404


def test_a_member_without_debt_permission_is_refused_the_pages(client):
    (company,) = companies("甲")
    client.force_login(factories.sub_account(company, ["purchasing"]))
    assert client.get("/member/debt/obligations/").status_code == 403


def test_staff_see_all_obligations_with_filters(client):
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "1", reference="HT-STAFF")
    client.force_login(factories.staff_user("finance"))
    assert "HT-STAFF" in client.get("/backoffice/debt/obligations/?status=pending_confirmation").content.decode()
    assert "HT-STAFF" not in client.get("/backoffice/debt/obligations/?status=confirmed").content.decode()
    assert client.get(f"/backoffice/debt/obligations/{obligation.pk}/").status_code == 200
    client.force_login(factories.staff_user("reviewer"))
    assert client.get("/backoffice/debt/obligations/").status_code == 403


def test_the_creditor_corrects_a_disputed_obligation_on_its_page(client):
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "100")
    obligations.dispute_obligation(by=main(debtor), obligation_id=obligation.pk, reason="应为 90 元")
    client.force_login(main(creditor))
    page = client.get(f"/member/debt/obligations/{obligation.pk}/").content.decode()
    assert "更正债务" in page and "应为 90 元" in page and "撤回债务" in page
    client.post(f"/member/debt/obligations/{obligation.pk}/correct/", {"amount": "90", "note": "同意"})
    obligation.refresh_from_db()
    assert (obligation.status, str(obligation.amount)) == ("pending_confirmation", "90.00")
    bad = client.post(f"/member/debt/obligations/{obligation.pk}/correct/", {"amount": "x"}, follow=True)
    assert bad.status_code == 200 and "不能从" in bad.content.decode()
