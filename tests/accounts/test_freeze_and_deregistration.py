import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Company, CompanyDocument, FreezeRecord, User
from core import apikeys
from core.errors import BusinessRuleError, NotAllowed
from tests import factories

pytestmark = pytest.mark.django_db
SELF = FreezeRecord.Channel.SELF_SERVICE
SERVICE = FreezeRecord.Channel.CUSTOMER_SERVICE


def proofs():
    return {CompanyDocument.Kind.BUSINESS_LICENCE: [factories.upload()],
            CompanyDocument.Kind.LEGAL_REPRESENTATIVE_ID: [factories.upload("身份证.png", factories.PNG_BYTES)]}


def test_self_service_freeze_needs_the_password(buyer):
    with pytest.raises(NotAllowed):
        services.freeze_company(company=buyer, by=factories.main_user_of(buyer), channel=SELF,
                                reason="密码泄露", password="wrong")
    buyer.refresh_from_db()
    assert buyer.status == Company.Status.VERIFIED


def test_freeze_revokes_every_session_and_key_at_once_and_stops_trading(client, buyer):
    main = factories.main_user_of(buyer)
    employee = factories.sub_account(buyer, ["purchasing"])
    _key, raw = apikeys.issue_api_key(company=buyer, created_by=main, name="erp", scopes=["purchasing"])
    client.force_login(employee)
    assert client.get("/member/").status_code == 200
    client.force_login(main)
    response = client.post("/member/security/freeze/", {"reason": "怀疑账号被盗", "password": factories.PASSWORD})
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert buyer.status == Company.Status.FROZEN and not buyer.can_trade
    assert client.get("/member/").status_code == 302  # every session ended, the freezer's own too
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert api.get("/api/v1/me/").status_code == 401


def test_frozen_members_only_reach_the_freeze_notice(client, buyer):
    services.freeze_company(company=buyer, by=factories.main_user_of(buyer), channel=SELF, reason="被盗",
                            password=factories.PASSWORD)
    client.force_login(factories.main_user_of(buyer))
    response = client.get("/member/orders/")
    assert response.status_code == 302 and response["Location"] == "/member/frozen/"
    assert "已冻结" in client.get("/member/frozen/").content.decode()
    api = APIClient()
    api.force_authenticate(User.objects.get(pk=factories.main_user_of(buyer).pk))
    assert api.get("/api/v1/company/").status_code == 403


def test_customer_service_freezes_with_proof_only(buyer):
    service = factories.staff_user("customer_service")
    with pytest.raises(BusinessRuleError):
        services.freeze_company(company=buyer, by=service, channel=SERVICE, reason="来电挂失", proofs={})
    with pytest.raises(NotAllowed):
        services.freeze_company(company=buyer, by=factories.staff_user("finance"), channel=SERVICE,
                                reason="来电挂失", proofs=proofs())
    record = services.freeze_company(company=buyer, by=service, channel=SERVICE, reason="来电挂失", proofs=proofs())
    assert record.documents.count() == 2


def test_back_office_freeze_form(client, buyer):
    client.force_login(factories.staff_user("customer_service"))
    client.post(f"/backoffice/accounts/companies/{buyer.pk}/freeze/", {
        "reason": "法定代表人来电挂失", "business_licence": factories.upload(),
        "legal_representative_id": factories.upload("身份证.png", factories.PNG_BYTES),
    })
    buyer.refresh_from_db()
    assert buyer.status == Company.Status.FROZEN


def test_unfreeze_goes_through_staff_review_and_old_keys_stay_revoked(client, buyer):
    main = factories.main_user_of(buyer)
    key, _raw = apikeys.issue_api_key(company=buyer, created_by=main, name="erp", scopes=[])
    services.freeze_company(company=buyer, by=main, channel=SELF, reason="被盗", password=factories.PASSWORD)
    main.refresh_from_db()  # the freeze ended its sessions
    client.force_login(main)
    client.post("/member/frozen/", {"note": "已修改所有密码，请解冻"})
    reviewer = factories.staff_user("reviewer")
    client.force_login(reviewer)
    queue = client.get("/backoffice/accounts/reviews/")
    assert [record.company for record in queue.context["unfreeze_requests"]] == [buyer]
    client.post(f"/backoffice/accounts/companies/{buyer.pk}/unfreeze/", {"reason": "电话核实为本人操作"})
    buyer.refresh_from_db()
    assert buyer.status == Company.Status.VERIFIED
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_freeze_during_a_change_review_returns_to_it_on_unfreeze(buyer):
    application = services.request_company_change(
        user=factories.main_user_of(buyer), changes={"name": "变更中纸业有限公司"},
        documents={CompanyDocument.Kind.BUSINESS_LICENCE: [factories.upload()]})
    services.freeze_company(company=buyer, by=factories.main_user_of(buyer), channel=SELF, reason="被盗",
                            password=factories.PASSWORD)
    services.unfreeze_company(company=buyer, by=factories.staff_user("reviewer"), reason="核实")
    buyer.refresh_from_db()
    assert buyer.status == Company.Status.CHANGE_PENDING
    assert application.status == "pending"


def test_deregistration_is_refused_while_orders_are_open_and_says_which(client, buyer, seller):
    factories.order(buyer=buyer, seller=seller, status="shipped")
    with pytest.raises(BusinessRuleError) as refusal:
        services.deregister_company(by=factories.main_user_of(buyer), password=factories.PASSWORD)
    assert "未完成的订单 1 项" in str(refusal.value.message)
    client.force_login(factories.main_user_of(buyer))
    assert "未完成的订单" in client.get("/member/deregister/").content.decode()


def test_deregistration_is_refused_while_frozen(buyer):
    main = factories.main_user_of(buyer)
    services.freeze_company(company=buyer, by=main, channel=SELF, reason="被盗", password=factories.PASSWORD)
    main.refresh_from_db()
    with pytest.raises(NotAllowed):
        services.deregister_company(by=main, password=factories.PASSWORD)


def test_deregistration_closes_the_company_minimises_personal_data_and_keeps_records(client, buyer, seller):
    order = factories.order(buyer=buyer, seller=seller, status="completed")
    main = factories.main_user_of(buyer)
    employee = factories.sub_account(buyer, ["purchasing"])
    email = main.email
    client.force_login(main)
    response = client.post("/member/deregister/", {"password": factories.PASSWORD, "confirm": "on"})
    assert response.status_code == 200
    buyer.refresh_from_db()
    assert buyer.status == Company.Status.DEREGISTERED
    assert buyer.legal_representative_id_number == ""
    for user in User.objects.filter(pk__in=[main.pk, employee.pk]):
        assert not user.is_active and user.email.endswith("@invalid.example") and not user.mobile
    assert client.get("/member/").status_code == 302
    assert client.post("/accounts/login/", {"login": email, "password": factories.PASSWORD}).status_code == 200
    order.refresh_from_db()
    assert order.buyer_snapshot["name"] == buyer.name  # records are kept
    # the code may register again: accounts never merge, a new account starts afresh
    factories.company(name="重新注册纸业有限公司", unified_social_credit_code=buyer.unified_social_credit_code)
