"""The obligations registry: the creditor registers, the debtor confirms or disputes, the
creditor corrects or withdraws; every refusal, every allowed and forbidden status change."""

import datetime
from decimal import Decimal

import pytest

from core.errors import BusinessRuleError, InvalidTransition, NotAllowed, NotFound
from debt import obligations
from debt.models import Obligation, ObligationDispute
from tests import factories
from tests.debt.clearing_helpers import companies, main, owes, register

pytestmark = pytest.mark.django_db
S = Obligation.Status


def test_registered_obligation_waits_for_the_debtor_and_counts_once_confirmed():
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "12500.50", reference="FP-001")
    assert (obligation.status, obligation.amount, obligation.outstanding, obligation.registered_by) == (
        S.PENDING, Decimal("12500.50"), Decimal("12500.50"), main(creditor))

    confirmed = obligations.confirm_obligation(by=main(debtor), obligation_id=obligation.pk)

    assert confirmed.status == S.CONFIRMED and confirmed.confirmed_by == main(debtor) and confirmed.confirmed_at
    history = [(e.before, e.after) for e in obligations.obligation_history(confirmed) if e.before]
    assert history == [(S.PENDING, S.CONFIRMED)]


def test_a_dispute_is_recorded_and_the_creditors_correction_goes_back_for_confirmation():
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "1000")
    obligations.dispute_obligation(by=main(debtor), obligation_id=obligation.pk, reason="金额应为 800 元")

    dispute = ObligationDispute.objects.get(obligation=obligation)
    assert (dispute.raised_by, dispute.reason, dispute.resolution) == (main(debtor), "金额应为 800 元", "")
    corrected = obligations.correct_obligation(by=main(creditor), obligation_id=obligation.pk, amount="800",
                                               note="已核对")
    dispute.refresh_from_db()
    assert (corrected.status, corrected.amount, corrected.outstanding) == (S.PENDING, Decimal("800.00"),
                                                                           Decimal("800.00"))
    assert (dispute.resolution, dispute.resolved_by, dispute.resolution_note) == ("corrected", main(creditor), "已核对")
    assert obligations.confirm_obligation(by=main(debtor), obligation_id=obligation.pk).status == S.CONFIRMED


def test_the_creditor_withdraws_a_disputed_obligation():
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "1000")
    obligations.dispute_obligation(by=main(debtor), obligation_id=obligation.pk, reason="不认识")
    withdrawn = obligations.withdraw_obligation(by=main(creditor), obligation_id=obligation.pk, reason="登记错了")
    assert withdrawn.status == S.WITHDRAWN
    assert ObligationDispute.objects.get(obligation=obligation).resolution == "withdrawn"


def test_withdrawal_is_refused_once_the_debtor_confirmed():
    debtor, creditor = companies("甲", "乙")
    obligation = owes(debtor, creditor, 1000)
    with pytest.raises(InvalidTransition):
        obligations.withdraw_obligation(by=main(creditor), obligation_id=obligation.pk)


# The lifecycle written out again, so a change to obligations.TRANSITIONS has to be made twice.
ALLOWED = {
    ("pending_confirmation", "confirmed"), ("pending_confirmation", "disputed"), ("pending_confirmation", "withdrawn"),
    ("disputed", "pending_confirmation"), ("disputed", "withdrawn"),
    ("confirmed", "settled"),
}


def test_the_lifecycle_is_the_one_the_registry_describes():
    assert {(str(a), str(b)) for a, targets in obligations.TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize("current", S.values)
@pytest.mark.parametrize("target", S.values)
def test_the_transition_table_decides_every_pair(current, target):
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "10")
    Obligation.objects.filter(pk=obligation.pk).update(status=current)
    if (current, target) in ALLOWED:
        moved = obligations.obligation_transition(obligation_id=obligation.pk, to=target, actor=main(creditor))
        assert moved.status == target
    else:
        with pytest.raises(InvalidTransition):
            obligations.obligation_transition(obligation_id=obligation.pk, to=target, actor=main(creditor))
        obligation.refresh_from_db()
        assert obligation.status == current


def test_the_debtor_may_be_picked_by_id():
    debtor, creditor = companies("甲", "乙")
    obligation = obligations.register_obligation(by=main(creditor), debtor_id=str(debtor.pk), amount="5",
                                                 due_on="2026-07-01", reference="HT-9")
    assert obligation.debtor == debtor and obligation.due_on == datetime.date(2026, 7, 1)


def _refusal(**overrides):
    debtor, creditor = companies("甲", "乙")
    arguments = {"by": main(creditor), "debtor_credit_code": debtor.unified_social_credit_code, "amount": "100",
                 "due_on": "2026-07-01", "reference": "HT-1"}
    arguments.update({key: value(debtor, creditor) if callable(value) else value for key, value in overrides.items()})
    with pytest.raises(BusinessRuleError) as refused:
        obligations.register_obligation(**arguments)
    assert not Obligation.objects.exists()
    return refused.value


@pytest.mark.parametrize(("amount", "code"), [
    ("0", "amount_not_positive"), ("-5", "amount_not_positive"), ("abc", "invalid_amount"), ("", "invalid_amount"),
    ("1.234", "invalid_amount"), ("NaN", "invalid_amount"), ("1e30", "amount_too_large"),
])
def test_register_refuses_a_non_positive_or_malformed_amount(amount, code):
    refusal = _refusal(amount=amount)
    assert refusal.code == code and "amount" in refusal.details


def test_register_refuses_the_creditor_as_its_own_debtor():
    assert _refusal(debtor_credit_code=lambda d, c: c.unified_social_credit_code).code == "debtor_is_creditor"


def test_register_refuses_an_unknown_debtor():
    assert _refusal(debtor_credit_code=factories.credit_code("nobody")).code == "debtor_unknown"


def test_register_refuses_an_unverified_debtor():
    unverified = factories.company(name="未认证纸业有限公司", verified=False)
    refusal = _refusal(debtor_credit_code=unverified.unified_social_credit_code)
    assert refusal.code == "debtor_not_verified" and "未认证纸业有限公司" in str(refusal.message)


def test_register_refuses_a_missing_reference_and_due_date():
    assert _refusal(reference="  ").code == "reference_required"
    Obligation.objects.all().delete()
    assert _refusal(due_on="next week").code == "invalid_due_on"


def test_a_sub_account_without_the_debt_permission_is_refused():
    debtor, creditor = companies("甲", "乙")
    clerk = factories.sub_account(creditor, ["purchasing"])
    with pytest.raises(NotAllowed):
        obligations.register_obligation(by=clerk, debtor_credit_code=debtor.unified_social_credit_code,
                                        amount="1", due_on="2026-07-01", reference="X")
    obligation = register(debtor, creditor, "1")
    debtor_clerk = factories.sub_account(debtor, ["purchasing"])
    with pytest.raises(NotAllowed):
        obligations.confirm_obligation(by=debtor_clerk, obligation_id=obligation.pk)
    debt_clerk = factories.sub_account(debtor, ["debt"])
    assert obligations.confirm_obligation(by=debt_clerk, obligation_id=obligation.pk).status == S.CONFIRMED


def test_another_companys_obligation_is_not_found():
    debtor, creditor, stranger = companies("甲", "乙", "丙")
    obligation = register(debtor, creditor, "1")
    for action in (obligations.confirm_obligation, obligations.withdraw_obligation):
        with pytest.raises(NotFound):
            action(by=main(stranger), obligation_id=obligation.pk)
    with pytest.raises(NotFound):
        obligations.obligation_for_company(company=stranger, obligation_id=obligation.pk)


def test_only_the_debtor_confirms_and_only_the_creditor_withdraws():
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "1")
    with pytest.raises(NotAllowed):
        obligations.confirm_obligation(by=main(creditor), obligation_id=obligation.pk)
    with pytest.raises(NotAllowed):
        obligations.withdraw_obligation(by=main(debtor), obligation_id=obligation.pk)
    with pytest.raises(NotAllowed):
        obligations.dispute_obligation(by=main(creditor), obligation_id=obligation.pk, reason="x")


def test_a_dispute_needs_a_reason():
    debtor, creditor = companies("甲", "乙")
    obligation = register(debtor, creditor, "1")
    with pytest.raises(BusinessRuleError) as refused:
        obligations.dispute_obligation(by=main(debtor), obligation_id=obligation.pk, reason=" ")
    assert refused.value.code == "reason_required"


def test_a_frozen_creditor_cannot_register():
    debtor, creditor = companies("甲", "乙")
    creditor.status = creditor.Status.FROZEN
    creditor.save(update_fields=["status"])
    with pytest.raises(NotAllowed):
        register(debtor, creditor, "1")
