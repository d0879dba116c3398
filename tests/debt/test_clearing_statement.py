"""The clearing statement PDF: the company, its set-offs before → after, net position unchanged;
a draft while parts await confirmation; the company's members and staff only."""

import io

import pytest
from pypdf import PdfReader

from tests import factories
from tests.debt.clearing_helpers import companies, confirm_all, main, owes, planned_run

pytestmark = pytest.mark.django_db


def _text(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_statement_is_a_draft_until_applied_and_shows_the_companys_figures(
        client, django_capture_on_commit_callbacks):
    a, b, c = companies("甲", "乙", "丙")
    owes(a, b, "1234.56", reference="HT-AB")
    owes(b, c, "1000.00", reference="HT-BC")
    owes(c, a, "1000.00", reference="HT-CA")
    run = planned_run(django_capture_on_commit_callbacks, factories.staff_user("finance"))
    client.force_login(main(a))

    draft = _text(client.get(f"/member/debt/clearing/{run.pk}/statement.pdf"))
    assert "草稿" in draft and a.name in draft and "HT-AB" in draft and "HT-CA" in draft
    assert "¥1,234.56" in draft and "¥234.56" in draft and "¥1,000.00" in draft
    assert "-¥234.56" in draft  # net position, the same before and after
    assert b.name in draft and c.name in draft

    confirm_all(django_capture_on_commit_callbacks, run)
    final = _text(client.get(f"/member/debt/clearing/{run.pk}/statement.pdf"))
    assert "草稿" not in final and "多边清算对账单" in final and "HT-BC" not in final

    client.force_login(factories.staff_user("legal_compliance"))
    staff_copy = _text(client.get(f"/backoffice/debt/runs/{run.pk}/statement/{b.pk}.pdf"))
    assert b.name in staff_copy and "HT-BC" in staff_copy


def test_another_company_gets_no_statement(client, django_capture_on_commit_callbacks):
    a, b, stranger = companies("甲", "乙", "戊")
    owes(a, b, 10)
    owes(b, a, 10)
    run = planned_run(django_capture_on_commit_callbacks, factories.staff_user("finance"))
    client.force_login(main(stranger))
    assert client.get(f"/member/debt/clearing/{run.pk}/statement.pdf").status_code == 404
