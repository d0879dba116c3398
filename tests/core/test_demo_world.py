from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Company, User
from accounts.validators import is_valid_credit_code
from barter.models import BarterProfile, Listing, MatchingRun, Participant, Proposal, Settlement, Transfer
from catalog.models import Product, StockMovement, StockReservation
from core.models import AuditEvent, Notification
from core.permissions import StaffRole
from crm.models import (
    ClientNote,
    Collection,
    CreditApplication,
    CreditLine,
    CreditScore,
    Handover,
    Receivable,
    ReorderReminder,
    ReviewTask,
    TierChange,
    TierReview,
    Visit,
    VolumeAlert,
)
from debt.models import (
    CaseClaim,
    ClearingItem,
    ClearingParticipant,
    ClearingRun,
    DebtCase,
    GoodsSettlement,
    Guarantee,
    Instalment,
    InstalmentPayment,
    InstalmentPlan,
    Obligation,
    ObligationDispute,
    ObligationEvidence,
    PlanDecision,
)
from orders.models import (
    Dispute,
    DisputeEvidence,
    InvoiceRequest,
    Order,
    OrderAdjustment,
    OrderMessage,
    Payment,
    Refund,
    Shipment,
    TrackingEvent,
)

pytestmark = pytest.mark.django_db

COUNTED = [Company, User, Product, Order, Payment, Shipment, TrackingEvent, Refund, InvoiceRequest, Dispute,
           DisputeEvidence, OrderAdjustment, OrderMessage, TierReview, TierChange, Handover, ReviewTask, Visit,
           ClientNote, CreditScore, CreditApplication, CreditLine, Receivable, Collection, ReorderReminder,
           VolumeAlert, Notification, AuditEvent, StockMovement, StockReservation,
           Obligation, ObligationDispute, ObligationEvidence, ClearingRun, ClearingParticipant, ClearingItem, DebtCase,
           CaseClaim, PlanDecision, Guarantee, InstalmentPlan, Instalment, InstalmentPayment, GoodsSettlement,
           BarterProfile, Listing, MatchingRun, Proposal, Participant, Transfer, Settlement]


def snapshot():
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seed_demo_builds_a_paper_market_and_is_idempotent():
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    companies, products, orders = first["Company"], first["Product"], first["Order"]
    assert 25 <= companies <= 40
    assert products >= 300, "a few hundred listings"
    assert orders >= 200
    assert all(is_valid_credit_code(code) for code in Company.objects.values_list("unified_social_credit_code",
                                                                                  flat=True))
    for role in StaffRole.values:
        assert Group.objects.get(name=role).user_set.filter(is_staff=True).exists(), role
    span = Order.objects.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    assert span["last"] - span["first"] > timedelta(days=300)
    assert span["last"] <= timezone.now()
    statuses = set(Company.objects.values_list("status", flat=True))
    assert {"verified", "applying", "rejected", "frozen", "change_pending"} <= statuses


def test_seed_demo_once_does_nothing_the_second_time(capsys):
    call_command("seed_demo", "--once")
    before = snapshot()
    call_command("seed_demo", "--once")
    assert snapshot() == before
    assert "already loaded" in capsys.readouterr().out
