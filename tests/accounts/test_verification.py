from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.models import Application, Company
from core.errors import BusinessRuleError, Conflict
from core.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def post_application(client, **overrides):
    data = {**factories.application_details(), "business_licence": factories.upload()}
    data.update(overrides)
    return client.post("/member/verification/", data)


def test_individual_member_applies_and_becomes_the_main_account_in_review(client):
    user = factories.UserFactory()
    client.force_login(user)
    response = post_application(client)
    assert response.status_code == 302
    user.refresh_from_db()
    company = user.membership.company
    assert user.membership.is_main
    assert company.status == Company.Status.APPLYING
    application = company.applications.get()
    assert application.status == Application.Status.PENDING
    assert application.due_at > application.submitted_at + timedelta(days=1)
    licence = application.documents.get()
    stored = Path(licence.file.path)
    assert stored.read_bytes().startswith(b"%PDF")
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))
    page = client.get("/member/verification/").content.decode()
    assert "1–3 个工作日" in page


@pytest.mark.parametrize(("field", "value"), [
    ("unified_social_credit_code", "91350100M000100Y44"),
    ("legal_representative_id_number", "110105194912310021"),
])
def test_wrong_check_characters_are_refused_and_the_form_is_kept(client, field, value):
    client.force_login(factories.UserFactory())
    response = post_application(client, **{field: value})
    assert response.status_code == 200
    body = response.content.decode()
    assert "校验位" in body
    assert "杭州测试纸业有限公司" in body and "王建国" in body  # the rest of the form is kept
    assert not Company.objects.exists()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("营业执照.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "不是 PDF、JPEG 或 PNG"),
    ("营业执照.pdf", b"", "空文件"),
    ("营业执照.png", factories.PNG_BYTES + b"\x00" * (10 * 1024 * 1024), "超过 10 MB"),
])
def test_bad_uploads_are_refused_with_a_clear_message(client, name, content, message):
    client.force_login(factories.UserFactory())
    response = post_application(client, business_licence=factories.upload(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "杭州测试纸业有限公司" in response.content.decode()
    assert not Company.objects.exists()


def test_business_licence_is_required(client):
    client.force_login(factories.UserFactory())
    data = factories.application_details()
    response = client.post("/member/verification/", data)
    assert response.status_code == 200
    assert not Company.objects.exists()


def test_a_credit_code_already_registered_is_refused(client, buyer):
    client.force_login(factories.UserFactory())
    response = post_application(client, unified_social_credit_code=buyer.unified_social_credit_code)
    assert "不支持账户合并" in response.content.decode()


def test_reviewer_approves_and_the_applicant_is_told():
    application = factories.applied_company()
    reviewer = factories.staff_user("reviewer")
    services.review_application(application_id=application.pk, reviewer=reviewer, approve=True)
    company = Company.objects.get(pk=application.company_id)
    assert company.status == Company.Status.VERIFIED and company.verified_at
    main = company.memberships.get(is_main=True).user
    assert Notification.objects.filter(recipient=main, kind="application.decision").exists()
    assert company.audit_events.filter(action="company.status", before="applying", after="verified",
                                       actor=reviewer).exists()


def test_rejection_needs_a_reason_which_the_applicant_sees_and_can_resubmit(client):
    application = factories.applied_company()
    reviewer = factories.staff_user("reviewer")
    with pytest.raises(BusinessRuleError):
        services.review_application(application_id=application.pk, reviewer=reviewer, approve=False, reason=" ")
    services.review_application(application_id=application.pk, reviewer=reviewer, approve=False,
                                reason="营业执照照片模糊，请重新上传")
    main = application.company.memberships.get(is_main=True).user
    client.force_login(main)
    page = client.get("/member/verification/").content.decode()
    assert "营业执照照片模糊，请重新上传" in page
    response = post_application(client, name="杭州测试纸业有限公司")
    assert response.status_code == 302
    company = Company.objects.get(pk=application.company_id)
    assert company.status == Company.Status.APPLYING
    assert company.applications.count() == 2


def test_an_application_is_decided_once():
    application = factories.applied_company()
    reviewer = factories.staff_user("reviewer")
    services.review_application(application_id=application.pk, reviewer=reviewer, approve=True)
    with pytest.raises(Conflict):
        services.review_application(application_id=application.pk, reviewer=reviewer, approve=False, reason="x")


def test_members_cannot_review():
    application = factories.applied_company()
    with pytest.raises(BusinessRuleError):
        services.review_application(application_id=application.pk, reviewer=factories.UserFactory(), approve=True)


def test_review_queue_is_oldest_first_and_flags_overdue_items(client):
    late = factories.applied_company(name="较早提交纸业有限公司")
    Application.objects.filter(pk=late.pk).update(submitted_at=timezone.now() - timedelta(days=10),
                                                  due_at=timezone.now() - timedelta(days=5))
    factories.applied_company(name="刚刚提交纸业有限公司")
    client.force_login(factories.staff_user("reviewer"))
    response = client.get("/backoffice/accounts/reviews/")
    names = [application.name for application in response.context["applications"]]
    assert names == ["较早提交纸业有限公司", "刚刚提交纸业有限公司"]
    assert "已超时" in response.content.decode()


def test_reviewer_decides_from_the_application_page(client):
    application = factories.applied_company()
    client.force_login(factories.staff_user("reviewer"))
    page = client.get(f"/backoffice/accounts/applications/{application.pk}/")
    assert page.status_code == 200
    response = client.post(f"/backoffice/accounts/applications/{application.pk}/", {"decision": "reject"})
    assert response.status_code == 200  # a rejection needs a reason
    response = client.post(f"/backoffice/accounts/applications/{application.pk}/",
                           {"decision": "approve", "reason": ""})
    assert response.status_code == 302
    assert Company.objects.get(pk=application.company_id).status == Company.Status.VERIFIED


def test_documents_are_served_only_to_the_company_and_staff(client):
    application = factories.applied_company()
    document = application.documents.get()
    url = f"/member/documents/{document.pk}/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(factories.main_user_of(factories.company(name="别家纸业有限公司")))
    assert client.get(url).status_code == 404
    client.force_login(application.company.memberships.get(is_main=True).user)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    client.force_login(factories.staff_user("reviewer"))
    assert client.get(url).status_code == 200


def test_a_document_whose_file_is_gone_is_a_404_not_an_error(client):
    application = factories.applied_company()
    document = application.documents.get()
    document.file.storage.delete(document.file.name)
    client.force_login(factories.staff_user("reviewer"))
    assert client.get(f"/member/documents/{document.pk}/").status_code == 404
