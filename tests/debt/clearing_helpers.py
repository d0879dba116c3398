"""Companies and confirmed obligations for the obligations and clearing-run tests, built through
the registry's own services (the creditor registers, the debtor confirms)."""

import datetime

from debt import obligations, runs
from debt.models import ClearingParticipant, ClearingRun
from tests import factories


def companies(*names):
    return [factories.company(name=f"{name}纸业有限公司") for name in names]


def main(company):
    return factories.main_user_of(company)


def register(debtor, creditor, amount, *, reference=None, due_on=datetime.date(2026, 6, 30)):
    return obligations.register_obligation(
        by=main(creditor), debtor_credit_code=debtor.unified_social_credit_code, amount=str(amount), due_on=due_on,
        reference=reference or f"HT-{debtor.pk}-{creditor.pk}-{amount}")


def owes(debtor, creditor, amount, **kwargs):
    """A confirmed obligation: debtor owes creditor `amount` yuan."""
    obligation = register(debtor, creditor, amount, **kwargs)
    return obligations.confirm_obligation(by=main(debtor), obligation_id=obligation.pk)


def planned_run(capture, staff):
    """Start a run and let its (eager) planning task finish."""
    with capture(execute=True):
        run = runs.start_clearing_run(by=staff)
    run.refresh_from_db()
    return run


def part(run, company):
    return ClearingParticipant.objects.get(run=run, company=company)


def answer(capture, run, company, decision="confirm", reason=""):
    with capture(execute=True):
        runs.respond_to_part(by=main(company), run_id=run.pk, decision=decision, reason=reason)
    return ClearingRun.objects.get(pk=run.pk)


def confirm_all(capture, run):
    for participant in list(run.participants.filter(status=ClearingParticipant.Status.PENDING)):
        run = answer(capture, run, participant.company)
    return run
