"""Volume anomaly alerts (采购异动预警, SPEC §4): a major client's purchases in the last full quarter
against the quarter before.

The rule: for each company whose ClientProfile tier is a major tier (VIP and above), purchases are
the counted orders it placed (paid, shipped, received, completed), net of refunds, in a calendar
quarter in local time. With previous-quarter purchases above zero, a change of +rise % or more
(`CrmSettings.volume_rise_alert_percent`, 30) is a rise and −fall % or more
(`volume_fall_alert_percent`, 20) a fall — compared exactly, in numeric, so +29.99 % is not an
alert and +30 % is. A client with nothing last-but-one quarter has no baseline and is skipped. One
alert per company, period ("2026Q3") and direction — the unique constraint, filled with INSERT … ON
CONFLICT DO NOTHING, so the daily catch-up run alerts nothing twice. The client's primary account
manager is told; without one, every account manager.
"""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import BusinessRuleError, NotAllowed, NotFound
from core.money import format_cny
from core.notifications import notify
from core.permissions import StaffRole, has_staff_role
from crm.models import MAJOR_TIERS, VolumeAlert
from crm.reminders import crm_settings
from orders.selectors import COUNTED

NOTIFICATION_KIND = "crm.volume_alert"
ALERT_ROLES = (StaffRole.ACCOUNT_MANAGER, StaffRole.ADMINISTRATOR)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_key(year, quarter) -> str:
    return f"{year}Q{quarter}"


def quarter_start(year, quarter) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def previous_quarter(year, quarter) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def last_full_quarter(today: date) -> tuple[int, int]:
    return previous_quarter(*quarter_of(today))


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# --- selectors ------------------------------------------------------------------------------------

def volume_alerts(*, direction="", period="", acknowledged=None, manager=None):
    """Alerts for the back office, newest first; `acknowledged` True/False/None (all)."""
    alerts = VolumeAlert.objects.select_related("company", "manager", "company__client_profile")
    if direction:
        alerts = alerts.filter(direction=direction)
    if period:
        alerts = alerts.filter(period=period.strip().upper())
    if acknowledged is not None:
        alerts = alerts.filter(acknowledged_at__isnull=not acknowledged)
    if manager is not None:
        alerts = alerts.filter(manager=manager)
    return alerts.order_by("acknowledged_at", "-created_at", "-id")


def unacknowledged_count() -> int:
    return VolumeAlert.objects.filter(acknowledged_at__isnull=True).count()


def alert_periods():
    return list(VolumeAlert.objects.order_by("-period").values_list("period", flat=True).distinct())


# --- the scheduled detection ----------------------------------------------------------------------

_INSERT_ALERTS = """
WITH totals AS (
    SELECT cp.company_id, cp.primary_manager_id,
           COALESCE(SUM(o.total - o.amount_refunded) FILTER (WHERE o.placed_at >= %(current_start)s), 0)
               AS current_amount,
           COALESCE(SUM(o.total - o.amount_refunded) FILTER (WHERE o.placed_at < %(current_start)s), 0)
               AS previous_amount
    FROM crm_clientprofile cp
    LEFT JOIN orders_order o ON o.buyer_id = cp.company_id AND o.status = ANY(%(counted)s)
         AND o.placed_at >= %(previous_start)s AND o.placed_at < %(current_end)s
    WHERE cp.tier = ANY(%(major)s)
    GROUP BY cp.company_id, cp.primary_manager_id
)
INSERT INTO crm_volumealert (company_id, period, direction, previous_amount, current_amount, change_percent,
                             manager_id, created_at)
SELECT company_id, %(period)s,
       CASE WHEN current_amount * 100 >= previous_amount * (100 + %(rise)s) THEN 'rise' ELSE 'fall' END,
       previous_amount, current_amount,
       LEAST(ROUND((current_amount - previous_amount) * 100 / previous_amount, 2), 999999.99),
       primary_manager_id, %(now)s
FROM totals
WHERE previous_amount > 0
  AND (current_amount * 100 >= previous_amount * (100 + %(rise)s)
       OR current_amount * 100 <= previous_amount * (100 - %(fall)s))
ON CONFLICT DO NOTHING
RETURNING id
"""


@transaction.atomic
def detect_volume_anomalies(*, now=None) -> int:
    """Compare every major client's last full quarter with the one before (one statement over all
    of them), record each rise or fall past the thresholds once and tell its account manager.
    Safe to run every day: a period's alert exists once. Returns the number of new alerts."""
    now = now or timezone.now()
    year, quarter = last_full_quarter(timezone.localdate(now))
    this_year, this_quarter = quarter_of(timezone.localdate(now))
    settings_row = crm_settings()
    params = {
        "previous_start": _local_midnight(quarter_start(*previous_quarter(year, quarter))),
        "current_start": _local_midnight(quarter_start(year, quarter)),
        "current_end": _local_midnight(quarter_start(this_year, this_quarter)),
        "period": quarter_key(year, quarter), "counted": [str(s) for s in COUNTED],
        "major": [str(t) for t in MAJOR_TIERS], "rise": settings_row.volume_rise_alert_percent,
        "fall": min(settings_row.volume_fall_alert_percent, 100), "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_ALERTS, params)
        created = [row[0] for row in cursor.fetchall()]
    alerts = list(VolumeAlert.objects.filter(pk__in=created).select_related("company", "manager"))
    for alert in alerts:
        audit.record(actor=None, action="crm.volume_alert.raised", subject=alert, company=alert.company,
                     after=f"{alert.direction} {alert.change_percent}%", reason=alert.period)
        _notify_managers(alert)
    return len(alerts)


def _account_managers():
    return get_user_model().objects.filter(is_active=True, is_staff=True,
                                           groups__name=StaffRole.ACCOUNT_MANAGER).distinct()


def _notify_managers(alert):
    recipients = [alert.manager] if alert.manager is not None and alert.manager.is_active \
        else list(_account_managers())
    direction = _("上升") if alert.direction == VolumeAlert.Direction.RISE else _("下降")
    title = _("采购异动：%(company)s %(period)s 采购额%(direction)s %(percent)s%%") % {
        "company": alert.company.name, "period": alert.period, "direction": direction,
        "percent": abs(alert.change_percent)}
    body = _("上一季度采购额 %(previous)s，%(period)s 采购额 %(current)s（%(change)s%%）。请及时与客户沟通，"
             "了解原因。") % {"previous": format_cny(alert.previous_amount), "period": alert.period,
                           "current": format_cny(alert.current_amount), "change": alert.change_percent}
    link = reverse("backoffice-crm:alerts") + f"?period={alert.period}#alert-{alert.pk}"
    for user in recipients:
        notify(recipient=user, kind=NOTIFICATION_KIND, key=f"{NOTIFICATION_KIND}:{alert.pk}", title=title,
               body=body, link=link)


# --- staff actions --------------------------------------------------------------------------------

@transaction.atomic
def acknowledge_alert(*, by, alert_id) -> VolumeAlert:
    """An account manager (or administrator) has read the alert and taken it up."""
    if not has_staff_role(by, *ALERT_ROLES):
        raise NotAllowed(_("仅客户经理或管理员可以处理采购异动预警。"))
    alert = VolumeAlert.objects.select_for_update().select_related("company").filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("未找到该预警。"))
    if alert.acknowledged_at is not None:
        raise BusinessRuleError(_("该预警已于 %(when)s 处理。") % {
            "when": timezone.localtime(alert.acknowledged_at).strftime("%Y-%m-%d %H:%M")}, code="already_acknowledged")
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["acknowledged_at"])
    audit.record(actor=by, action="crm.volume_alert.acknowledged", subject=alert, company=alert.company,
                 after=_("已处理"), reason=alert.period)
    return alert
