"""The audit trail: every state change and every staff action on company data."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from core import context
from core.models import AuditEvent


def actor_label(actor):
    if actor is None:
        return _("系统")
    return getattr(actor, "display_name", None) or actor.get_username()


def record(*, actor, action, subject=None, company=None, before="", after="", reason="", data=None):
    """Write one audit row. Call inside the transaction that makes the change.

    `actor` is the user (None for the system: scheduled jobs); `company` defaults to the
    subject's company when it has one.
    """
    request_context = context.current()
    if company is None and subject is not None:
        company = getattr(subject, "company", None)
        if company is None and subject.__class__.__name__ == "Company":
            company = subject
    return AuditEvent.objects.create(
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
