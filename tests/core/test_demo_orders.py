"""The demo world's live trading (core/demo/trading.py): after seed_demo every order page, staff
queue and major-client page has something real on it, made through the services."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Company, Membership, User
from core.demo import world
from core.demo.trading import FINAL_STATUS, demo_order
from crm import credit
from crm.models import ClientProfile, CreditLine, Receivable, ReorderReminder, ReviewTask, Tier, Visit
from orders import disputes, invoices, payments, refunds
from orders.models import Dispute, InvoiceRequest, Order, Payment, Refund, Shipment

pytestmark = pytest.mark.django_db


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "skipped" not in out.getvalue(), out.getvalue()


def company(slug):
    return Company.objects.get(memberships__user__email=f"main@{slug}.example.cn")


def pages(client, email, urls):
    """GET each url as `email`; {url: text of the page}."""
    client.force_login(User.objects.get(email=email))
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = response.content.decode()
    return found


def test_the_demo_buyer_has_an_order_in_every_state(client):
    seed()
    buyer = company(world.DEMO_BUYER)
    orders = {state: demo_order(buyer, number) for number, _seller, state, _amount, _note in world.LIVE_ORDERS}
    assert {state: order.status if order else None for state, order in orders.items()} == FINAL_STATUS
    assert set(FINAL_STATUS.values()) == set(Order.Status.values) - {Order.Status.REFUNDED}
    assert {order.seller.memberships.get(is_main=True).user.email for order in orders.values()} == {
        "main@lufeng-paper.example.cn", "main@yongshang-trade.example.cn"}

    waiting = orders["awaiting_approval"]
    assert waiting.placed_by.email == f"buyer@{world.DEMO_BUYER}.example.cn"
    limit = Membership.objects.get(user=waiting.placed_by).purchase_approval_limit
    assert limit is not None and waiting.total > limit
    assert orders["pending_payment"].adjustments.filter(status="proposed").exists()
    recorded = {state: orders[state].payments.get() for state in ("transfer_recorded", "transfer_mismatch")}
    assert all(payment.status == Payment.Status.RECORDED for payment in recorded.values())
    assert recorded["transfer_recorded"].payer_name_matches and not recorded["transfer_mismatch"].payer_name_matches
    assert orders["paid"].amount_paid == orders["paid"].total
    assert orders["cancelled"].cancel_reason

    shipped = orders["shipped"].shipments.get()
    assert shipped.carrier == Shipment.Carrier.SF and shipped.events.count() >= 2, "simulated SF tracking"
    for state in ("received", "completed", "dispute_mediation"):
        assert orders[state].shipments.get().delivered_at is not None, state
    assert orders["completed"].invoices.get().status == InvoiceRequest.Status.ISSUED
    assert orders["completed"].invoices.get().invoice_file
    assert orders["received"].invoices.get().status == InvoiceRequest.Status.REQUESTED

    assert orders["refund_requested"].refunds.get().status == Refund.Status.REQUESTED
    assert orders["refund_approved"].refunds.get().status == Refund.Status.AWAITING_PAYOUT
    returning = orders["return_shipped"].refunds.get()
    assert returning.status == Refund.Status.RETURN_SHIPPED and returning.return_shipment.carrier == Shipment.Carrier.SF
    dispute = orders["dispute_mediation"].disputes.get()
    assert (dispute.kind, dispute.status) == (Dispute.Kind.QUALITY, Dispute.Status.MEDIATION)
    assert dispute.claim and dispute.evidence.exists()

    on_account = orders["on_account"]
    assert on_account.payment_method == Order.PaymentMethod.ON_ACCOUNT
    assert Receivable.objects.get(order=on_account).status == Receivable.Status.OPEN
    assert CreditLine.objects.get(company=buyer).outstanding >= on_account.total

    buyer_pages = pages(client, f"main@{world.DEMO_BUYER}.example.cn", [
        reverse("member-orders:list"), reverse("member-orders:approvals"), reverse("member-crm:credit"),
        reverse("member-crm:reminders"), reverse("member-crm:benefits"),
        *(reverse("member-orders:detail", args=[order.number]) for order in orders.values())])
    assert orders["awaiting_approval"].number in buyer_pages[reverse("member-orders:approvals")]
    seller_pages = pages(client, "main@lufeng-paper.example.cn", [
        reverse("merchant-orders:detail", args=[order.number]) for order in orders.values()
        if order.seller.name == "山东鲁丰纸业有限公司" and order.status != Order.Status.AWAITING_APPROVAL])
    assert seller_pages


def test_staff_queues_and_major_client_pages_have_work(client):
    seed()
    assert payments.payment_queue().count() >= 2
    assert refunds.payout_queue().exists()
    assert invoices.invoice_queue().exists()
    assert disputes.mediation_queue().exists()
    assert credit.pending_applications().filter(company=company(world.PENDING_CREDIT_APPLICATION[0])).exists()
    overdue = credit.receivables_for_staff(overdue=True)
    assert overdue.count() >= 2 and {r.company for r in overdue} == {company(world.OVERDUE_CLIENT)}
    _rows, ageing = credit.ageing_report()
    assert ageing["days_0_30"] > 0 and ageing["days_31_60"] > 0

    buyer = company(world.DEMO_BUYER)
    assert set(ClientProfile.objects.values_list("tier", flat=True)) == set(Tier.values), "every tier has members"
    for profile in ClientProfile.objects.filter(tier__in=[Tier.DIAMOND, Tier.PLATINUM]):
        assert profile.primary_manager.email == "manager@platform.example.cn"
        assert profile.chief_manager is not None
        assert ReviewTask.objects.filter(company=profile.company, manager=profile.primary_manager).exists()
    assert buyer.client_profile.tier == Tier.DIAMOND
    assert Visit.objects.filter(company=buyer).exists() and buyer.client_notes.exists()
    assert credit.latest_score(buyer) is not None
    assert ReorderReminder.objects.filter(company=buyer, status=ReorderReminder.Status.SENT).exists()

    queues = {name: reverse(name) for name in (
        "backoffice-orders:payments", "backoffice-orders:refunds", "backoffice-orders:invoices",
        "backoffice-orders:disputes", "backoffice-crm:credit-applications", "backoffice-crm:receivables",
        "backoffice-crm:ageing", "backoffice-crm:clients", "backoffice-crm:alerts")}
    staff_pages = pages(client, "admin@platform.example.cn", [
        *queues.values(), reverse("backoffice-crm:client", args=[buyer.pk])])
    transfers = Payment.objects.filter(status=Payment.Status.RECORDED).select_related("order")
    assert all(payment.order.number in staff_pages[queues["backoffice-orders:payments"]] for payment in transfers)
    applicant = company(world.PENDING_CREDIT_APPLICATION[0])
    assert applicant.name in staff_pages[queues["backoffice-crm:credit-applications"]]
    manager_pages = pages(client, "manager@platform.example.cn", [reverse("backoffice-crm:my-clients")])
    assert buyer.name in manager_pages[reverse("backoffice-crm:my-clients")]
