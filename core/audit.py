"""The audit trail: every state change and every staff action on company data."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from core import context, rows
from core.models import AuditEvent

_action_labels: dict[str, str] = {}
_value_choices: dict[str, type] = {}


def describe_actions(labels: dict, *, values: dict | None = None):
    """Apps name their audit actions for people (`{"order.place": _("下单")}`) and say which
    choices the before/after values of an action come from (`{"order.status": Order.Status}`),
    so history tables read "待付款 → 已付款" rather than codes. Called from AppConfig.ready()."""
    _action_labels.update(labels)
    _value_choices.update(values or {})


def action_label(action: str) -> str:
    return str(_action_labels.get(action, action))


def value_label(action: str, value: str) -> str:
    choices = _value_choices.get(action)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return value


def actor_label(actor):
    if actor is None:
        return _("系统")
    return getattr(actor, "display_name", None) or actor.get_username()


def _event(*, actor, action, subject=None, company=None, before="", after="", reason="", data=None):
    request_context = context.current()
    if company is None and subject is not None:
        company = getattr(subject, "company", None)
        if company is None and subject.__class__.__name__ == "Company":
            company = subject
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label(actor)[:150],
        actor_is_staff=bool(actor is not None and actor.is_staff),
        company=company,
        action=action,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=str(subject.pk) if subject is not None else "",
        subject_repr=str(subject)[:200] if subject is not None else "",
        before=str(before)[:200],
        after=str(after)[:200],
        reason=reason,
        data=data or {},
        ip_address=request_context.ip_address,
        api_key_id=request_context.api_key_id,
    )


def record(*, actor, action, subject=None, company=None, before="", after="", reason="", data=None):
    """Write one audit row. Call inside the transaction that makes the change.

    `actor` is the user (None for the system: scheduled jobs); `company` defaults to the
    subject's company when it has one.
    """
    event = _event(actor=actor, action=action, subject=subject, company=company, before=before, after=after,
                   reason=reason, data=data)
    event.save(force_insert=True)
    return event


def record_many(events: list[dict], *, prepared=False) -> list[AuditEvent]:
    """Write many audit rows in one INSERT (bulk writes); each dict takes `record`'s arguments.
    `prepared` for callers on a hot path (checkout): a statement prepared per database session
    (`core.rows.insert_many`)."""
    made = [_event(**event) for event in events]
    return rows.insert_many(AuditEvent, made) if prepared else AuditEvent.objects.bulk_create(made, batch_size=1000)
