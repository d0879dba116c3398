import pytest

from core import audit
from core.models import AuditEvent
from orders.states import order_transition
from tests import factories

pytestmark = pytest.mark.django_db


def test_state_change_is_recorded_with_actor_from_to(buyer, seller):
    order = factories.order(buyer=buyer, seller=seller)
    actor = factories.staff_user("finance")
    order_transition(order_id=order.pk, to="paid", actor=actor, reason="到账确认")
    event = AuditEvent.objects.get(action="order.status", subject_id=str(order.pk))
    assert (event.actor, event.before, event.after, event.reason) == (actor, "pending_payment", "paid", "到账确认")
    assert event.company == buyer
    assert event.actor_is_staff


def test_audit_records_the_client_ip_of_the_request(client, buyer):
    user = factories.main_user_of(buyer)
    client.force_login(user)
    client.post("/member/api-keys/", {"name": "ERP", "scopes": ["purchasing"]}, REMOTE_ADDR="203.0.113.7")
    event = AuditEvent.objects.get(action="api_key.issue")
    assert event.ip_address == "203.0.113.7"
    assert event.actor == user


def test_system_actor_is_labelled(buyer):
    event = audit.record(actor=None, action="tier.review", subject=buyer, before="vip", after="gold")
    assert event.actor is None
    assert event.actor_label == "系统"


def test_backoffice_audit_search_filters_by_action_and_text(client, buyer, seller):
    audit.record(actor=None, action="tier.review", subject=buyer, before="vip", after="gold")
    audit.record(actor=None, action="tier.review", subject=seller, before="gold", after="vip")
    client.force_login(factories.staff_user("legal_compliance"))
    response = client.get("/backoffice/audit/", {"action": "tier.", "q": buyer.name})
    page = response.context["page"]
    assert [event.company for event in page] == [buyer]


def test_audit_log_exports_csv_with_bom(client, buyer):
    audit.record(actor=None, action="tier.review", subject=buyer, before="vip", after="gold")
    client.force_login(factories.staff_user("administrator"))
    response = client.get("/backoffice/audit/", {"format": "csv", "action": "tier."})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeff")
    assert buyer.name in body and "tier.review" in body
