"""The debt case lifecycle as a table: stage → stages it may move to (SPEC §7).

Every move goes through `case_transition`, which locks the case, checks the table, sets the new
stage's deadline (working days from `CaseSettings`), saves and writes the audit row (who, when,
from, to) in the same transaction. What entering a stage does to the case's guarantees,
instalment plans and goods settlements lives in `debt.cases`, which calls this.
"""

from django.db import transaction
from django.utils import timezone

from core import audit
from core.errors import InvalidTransition, NotFound
from core.workdays import working_deadline
from debt.models import CaseSettings, DebtCase

S = DebtCase.Stage

TRANSITIONS = {
    S.SUBMITTED: {S.ASSESSMENT, S.CLOSED_FAILED, S.WITHDRAWN},
    S.ASSESSMENT: {S.PLAN_DESIGN, S.CLOSED_FAILED, S.WITHDRAWN},
    S.PLAN_DESIGN: {S.NEGOTIATION, S.CLOSED_FAILED, S.WITHDRAWN},
    # A party's rejection sends the plan back to design; everyone's confirmation starts execution.
    S.NEGOTIATION: {S.PLAN_DESIGN, S.EXECUTION, S.CLOSED_FAILED, S.WITHDRAWN},
    S.EXECUTION: {S.MONITORING, S.CLOSED_FAILED},
    S.MONITORING: {S.CLOSED_RESOLVED, S.CLOSED_FAILED},
    S.CLOSED_RESOLVED: set(),
    S.CLOSED_FAILED: set(),
    S.WITHDRAWN: set(),
}

CLOSED = frozenset({S.CLOSED_RESOLVED, S.CLOSED_FAILED, S.WITHDRAWN})

# The CaseSettings field holding each stage's deadline in working days.
DEADLINE_FIELD = {
    S.SUBMITTED: "submitted_days",
    S.ASSESSMENT: "assessment_days",
    S.PLAN_DESIGN: "plan_design_days",
    S.NEGOTIATION: "negotiation_days",
    S.EXECUTION: "execution_days",
    S.MONITORING: "monitoring_days",
}


def stage_label(value):
    return S(value).label


def may_move(case, to) -> bool:
    return to in TRANSITIONS[case.stage]


def stage_deadline(stage, moment, case_settings=None):
    """When a stage entered at `moment` is due; None for the closed stages."""
    field = DEADLINE_FIELD.get(stage)
    if field is None:
        return None
    case_settings = case_settings or CaseSettings.current()
    return working_deadline(moment, getattr(case_settings, field))


@transaction.atomic
def case_transition(*, case_id, to, actor, reason="", now=None) -> DebtCase:
    """Move a case to `to` if the table allows it; stamp the stage's deadline and record it."""
    case = DebtCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    if to not in TRANSITIONS[case.stage]:
        raise InvalidTransition(case.stage, to, label=stage_label)
    now = now or timezone.now()
    previous = case.stage
    case.stage, case.stage_entered_at, case.stage_deadline = to, now, stage_deadline(to, now)
    fields = ["stage", "stage_entered_at", "stage_deadline", "updated_at"]
    if to in CLOSED:
        case.closed_at = now
        fields.append("closed_at")
    case.save(update_fields=fields)
    audit.record(actor=actor, action="debt.case.stage", subject=case, company=case.applicant, before=previous,
                 after=to, reason=reason)
    return case
