"""Reorder reminders (复购提醒, SPEC §4): predict from a company's purchase history when it will next
need a product (or a category) and remind it ahead of time, once per purchase cycle.

The rules, in one place:

- A *purchase* is a distinct local (Asia/Shanghai) date on which the company placed a counted
  order (paid, shipped, received, completed: `orders.selectors.COUNTED`) with a line of the
  product (or of the category). Several orders on one day are one purchase.
- With at least three purchases, the *typical interval* is the median of the gaps between
  consecutive purchase dates (rounded to whole days), and the *predicted need* is the last purchase
  plus the typical interval.
- A reminder is due when predicted need − lead days (`CrmSettings.reminder_lead_days`, 30) is on or
  before today. A cycle is identified by its last purchase date: one reminder per (company,
  product or category, last purchase) — the database's unique constraint, filled with INSERT …
  ON CONFLICT DO NOTHING, so running the job twice creates nothing twice.
- A cycle whose predicted need lies more than one further typical interval in the past is *stale*
  (the company has stopped buying it) and is not reminded.
- Products first: only published products are reminded; companies that opted out entirely
  (`ClientProfile.reminders_opted_out`) or for the product (`ReminderOptOut`) are skipped, as are
  frozen and deregistered companies.
- Categories second (`OrderLine.category`), and only where a product reminder cannot say it: the
  company buys different products in the category, or a product of it that is no longer
  published (or was deleted). A category reminder is skipped when a product reminder of that
  category *covers the cycle*: one is still open (sent or snoozed), or one was made for the
  purchase the category cycle starts from (same company, same last-purchase date). The buyer is
  never told twice about the same need.
- A reminder becomes *reordered* when the company places a counted order with the product (or a
  line of the category) after the reminder's last purchase; that purchase starts the next cycle.
- A snoozed reminder comes back (status sent, notified once more) on `snoozed_until`.

Everything the daily job does is set-based SQL over all companies (a handful of statements), so it
runs over 100,000 companies and millions of order lines in well under a minute.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from core import audit
from core.errors import BusinessRuleError, NotFound
from core.permissions import CompanyPermission
from crm.models import ClientProfile, CrmSettings, ReminderOptOut, ReorderReminder
from orders.models import OrderLine
from orders.selectors import COUNTED

OPEN_STATUSES = (ReorderReminder.Status.SENT, ReorderReminder.Status.SNOOZED)
SNOOZE_DAYS = (7, 14, 30)
MIN_PURCHASES = 3
NOTIFICATION_KIND = "crm.reorder"
_INACTIVE_COMPANIES = ["frozen", "deregistered"]


crm_settings = CrmSettings.current


# --- selectors ------------------------------------------------------------------------------------

def reminders_for(*, company, open_only=True):
    """The company's reminders (open ones by default), soonest need first."""
    reminders = ReorderReminder.objects.filter(company=company).select_related("product", "category")
    if open_only:
        reminders = reminders.filter(status__in=OPEN_STATUSES)
    return reminders.order_by("predicted_need_on", "id")


def opt_outs_for(*, company):
    return ReminderOptOut.objects.filter(company=company).select_related("product", "category", "created_by") \
        .order_by("-created_at", "-id")


def company_opted_out(*, company) -> bool:
    return ClientProfile.objects.filter(company=company, reminders_opted_out=True).exists()


def days_left(reminder, *, today=None):
    return (reminder.predicted_need_on - (today or timezone.localdate())).days


def last_purchased_quantity(reminder):
    """How much of the reminder's product the company bought on its last purchase date."""
    if reminder.product_id is None:
        return None
    day = reminder.last_purchased_on
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    lines = OrderLine.objects.filter(
        order__buyer_id=reminder.company_id, order__status__in=COUNTED, product_id=reminder.product_id,
        order__placed_at__gte=start, order__placed_at__lt=start + timedelta(days=1),
    )
    quantities = [line.quantity for line in lines.only("quantity")]
    return sum(quantities) if quantities else None


# --- the daily computation ------------------------------------------------------------------------

def _purchase_cycles_sql(subject):
    """Per (company, subject) with enough purchases: count, last purchase, typical interval, and
    (for categories) whether a product reminder could not stand in for the category."""
    if subject == "product":
        return """
        purchases AS (
            SELECT DISTINCT o.buyer_id AS company_id, l.product_id AS subject_id,
                   (o.placed_at AT TIME ZONE %(tz)s)::date AS day
            FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
            WHERE o.status = ANY(%(counted)s) AND o.placed_at <= %(now)s AND l.product_id IS NOT NULL
        ),
        gaps AS (
            SELECT company_id, subject_id, day,
                   day - LAG(day) OVER (PARTITION BY company_id, subject_id ORDER BY day) AS gap
            FROM purchases
        ),
        cycles AS (
            SELECT company_id, subject_id, COUNT(*) AS purchases, MAX(day) AS last_day,
                   ROUND((PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY gap))::numeric)::int AS typical
            FROM gaps GROUP BY company_id, subject_id HAVING COUNT(*) >= %(min_purchases)s
        )"""
    # Categories: one pass over the lines also tells whether the company buys several products in
    # the category (min ≠ max product) or one that cannot be reminded (unpublished or deleted).
    return """
        purchases AS (
            SELECT o.buyer_id AS company_id, l.category_id AS subject_id,
                   (o.placed_at AT TIME ZONE %(tz)s)::date AS day,
                   MIN(l.product_id) AS first_product, MAX(l.product_id) AS last_product,
                   BOOL_OR(p.id IS NULL OR p.status <> 'published') AS unremindable
            FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
            LEFT JOIN catalog_product p ON p.id = l.product_id
            WHERE o.status = ANY(%(counted)s) AND o.placed_at <= %(now)s AND l.category_id IS NOT NULL
            GROUP BY 1, 2, 3
        ),
        gaps AS (
            SELECT company_id, subject_id, day, first_product, last_product, unremindable,
                   day - LAG(day) OVER (PARTITION BY company_id, subject_id ORDER BY day) AS gap
            FROM purchases
        ),
        cycles AS (
            SELECT company_id, subject_id, COUNT(*) AS purchases, MAX(day) AS last_day,
                   ROUND((PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY gap))::numeric)::int AS typical
            FROM gaps GROUP BY company_id, subject_id
            HAVING COUNT(*) >= %(min_purchases)s
               AND (MIN(first_product) IS DISTINCT FROM MAX(last_product) OR BOOL_OR(unremindable))
        )"""


_DUE_AND_WANTED = """
    JOIN accounts_company co ON co.id = c.company_id AND NOT (co.status = ANY(%(inactive)s))
    LEFT JOIN crm_clientprofile cp ON cp.company_id = c.company_id
    WHERE c.last_day + c.typical - %(lead)s <= %(today)s
      AND c.last_day + 2 * c.typical >= %(today)s
      AND COALESCE(cp.reminders_opted_out, FALSE) = FALSE
"""

# The bulk form of accounts.services.notify_company(permission=PURCHASING), fed by a CTE of
# reminder rows: the company's active main account and the active members holding PURCHASING get
# one inbox row each, keyed `<kind>:<reminder id>[<suffix>]:<user id>` like notify_company, so the
# unique (recipient, dedup_key) makes a second run send nothing.
_NOTIFY_TEMPLATE = """
notes AS (
    INSERT INTO core_notification (recipient_id, kind, dedup_key, title, body, link, send_email, created_at)
    SELECT m.user_id, %(kind)s,
           LEFT(%(kind)s || ':' || r.id || {key_suffix} || ':' || m.user_id, 200),
           LEFT(REPLACE(REPLACE(REPLACE(
                CASE WHEN r.predicted_need_on > %(today)s THEN %(title_ahead)s ELSE %(title_due)s END,
                '%%(days)s', (r.predicted_need_on - %(today)s::date)::text),
                '%%(date)s', TO_CHAR(r.predicted_need_on, 'YYYY-MM-DD')),
                '%%(what)s', CASE WHEN p.id IS NOT NULL THEN REPLACE(%(what_product)s, '%%(subject)s', p.title)
                                  ELSE REPLACE(%(what_category)s, '%%(subject)s', cat.name) END), 200),
           REPLACE(REPLACE(REPLACE(%(body)s,
                '%%(purchases)s', r.purchases::text),
                '%%(interval)s', r.typical_interval_days::text),
                '%%(last)s', TO_CHAR(r.last_purchased_on, 'YYYY-MM-DD')),
           %(link)s || '#reminder-' || r.id,
           COALESCE(u.email, '') <> '', %(now)s
    FROM {source} r
    JOIN accounts_membership m ON m.company_id = r.company_id AND m.is_active
         AND (m.is_main OR %(permission)s = ANY(m.permissions))
    JOIN accounts_user u ON u.id = m.user_id
    LEFT JOIN catalog_product p ON p.id = r.product_id
    LEFT JOIN catalog_category cat ON cat.id = r.category_id
    ON CONFLICT (recipient_id, dedup_key) DO NOTHING
    RETURNING id, send_email
)"""
_NOTIFY_NEW = _NOTIFY_TEMPLATE.replace("{source}", "inserted").replace("{key_suffix}", "''")
# A reminder back from a snooze is announced once per snooze: the key names the snooze that ended.
_NOTIFY_RETURNED = _NOTIFY_TEMPLATE.replace("{source}", "returned") \
    .replace("{key_suffix}", "':snooze-' || TO_CHAR(r.snoozed_until, 'YYYYMMDD')")

_REMINDER_COLUMNS = "id, company_id, product_id, category_id, purchases, typical_interval_days, " \
                    "last_purchased_on, predicted_need_on, snoozed_until"

# Each statement inserts the due reminders and their notifications together, and returns how many
# reminders it made and which notifications to email.
_CREATED_AND_NOTIFIED = """
SELECT (SELECT COUNT(*) FROM inserted),
       (SELECT COALESCE(ARRAY_AGG(id), '{}') FROM notes WHERE send_email)
"""

_INSERT_PRODUCT_REMINDERS = "\n".join(["WITH", _purchase_cycles_sql("product"), """,
inserted AS (
    INSERT INTO crm_reorderreminder (company_id, product_id, category_id, purchases, typical_interval_days,
                                     last_purchased_on, predicted_need_on, status, sent_at)
    SELECT c.company_id, c.subject_id, NULL, c.purchases, c.typical, c.last_day, c.last_day + c.typical,
           'sent', %(now)s
    FROM cycles c
    JOIN catalog_product pr ON pr.id = c.subject_id AND pr.status = 'published'
""", _DUE_AND_WANTED, """
      AND NOT EXISTS (SELECT 1 FROM crm_reminderoptout x
                      WHERE x.company_id = c.company_id AND x.product_id = c.subject_id)
    ON CONFLICT DO NOTHING
    RETURNING""", _REMINDER_COLUMNS, "),", _NOTIFY_NEW, _CREATED_AND_NOTIFIED])

_INSERT_CATEGORY_REMINDERS = "\n".join(["WITH", _purchase_cycles_sql("category"), """,
inserted AS (
    INSERT INTO crm_reorderreminder (company_id, product_id, category_id, purchases, typical_interval_days,
                                     last_purchased_on, predicted_need_on, status, sent_at)
    SELECT c.company_id, NULL, c.subject_id, c.purchases, c.typical, c.last_day, c.last_day + c.typical,
           'sent', %(now)s
    FROM cycles c
    JOIN catalog_category cat ON cat.id = c.subject_id AND cat.is_active
""", _DUE_AND_WANTED, """
      AND NOT EXISTS (SELECT 1 FROM crm_reminderoptout x
                      WHERE x.company_id = c.company_id AND x.category_id = c.subject_id AND x.product_id IS NULL)
      -- covered: an open product reminder of the category, or one made for the same purchase
      AND NOT EXISTS (
          SELECT 1 FROM crm_reorderreminder r JOIN catalog_product rp ON rp.id = r.product_id
          WHERE r.company_id = c.company_id AND rp.category_id = c.subject_id
            AND (r.status = ANY(%(open)s) OR r.last_purchased_on = c.last_day))
    ON CONFLICT DO NOTHING
    RETURNING""", _REMINDER_COLUMNS, "),", _NOTIFY_NEW, _CREATED_AND_NOTIFIED])

# A later counted purchase of the product (or in the category) closes the reminder.
_MARK_REORDERED = """
UPDATE crm_reorderreminder r SET status = 'reordered'
WHERE r.status = ANY(%(open)s) AND EXISTS (
    SELECT 1 FROM orders_order o JOIN orders_orderline l ON l.order_id = o.id
    WHERE o.buyer_id = r.company_id AND o.status = ANY(%(counted)s) AND o.placed_at <= %(now)s
      AND o.placed_at >= ((r.last_purchased_on + 1)::timestamp AT TIME ZONE %(tz)s)
      AND ((r.product_id IS NOT NULL AND l.product_id = r.product_id)
           OR (r.product_id IS NULL AND l.category_id = r.category_id)))
RETURNING r.id
"""

_END_SNOOZES = "\n".join(["""
WITH returned AS (
    UPDATE crm_reorderreminder SET status = 'sent', sent_at = %(now)s
    WHERE status = 'snoozed' AND snoozed_until <= %(today)s
    RETURNING""", _REMINDER_COLUMNS, "),", _NOTIFY_RETURNED, """
SELECT (SELECT COALESCE(ARRAY_AGG(id), '{}') FROM returned),
       (SELECT COALESCE(ARRAY_AGG(id), '{}') FROM notes WHERE send_email)
"""])

EMAIL_BATCH = 500


def _notification_params():
    return {
        "kind": NOTIFICATION_KIND, "permission": CompanyPermission.PURCHASING.value,
        "what_product": _("“%(subject)s”"), "what_category": _("“%(subject)s”类商品"),
        "title_ahead": _("您的%(what)s预计 %(days)s 天后需补货（约 %(date)s）"),
        "title_due": _("您的%(what)s已到预计补货日期（%(date)s）"),
        "body": _("根据贵司过去 %(purchases)s 次采购，通常每 %(interval)s 天采购一次，最近一次采购于 "
                  "%(last)s。可在会员中心“补货提醒”一键补货，或选择稍后提醒、不再提醒。"),
        "link": reverse("member-crm:reminders"),
    }


def _queue_emails(notification_ids):
    """Email through the notification system, in batches (a first run may notify many companies)."""
    if not notification_ids:
        return
    from crm.tasks_reminders import send_reminder_emails

    batches = [notification_ids[i:i + EMAIL_BATCH] for i in range(0, len(notification_ids), EMAIL_BATCH)]

    def queue():
        for batch in batches:
            send_reminder_emails.delay(notification_ids=batch)

    transaction.on_commit(queue, robust=True)


@transaction.atomic
def compute_reminders(*, now=None) -> int:
    """The daily reorder-reminder job (see the module docstring for the rules): closes reminders the
    company has reordered, brings back snoozed ones whose time has come, creates the due product
    reminders, then the category ones, and notifies each new or returning reminder once (inbox
    and email). Safe to run twice. Returns the number of reminders created."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    params = {
        "now": now, "today": today, "tz": settings.TIME_ZONE, "counted": [str(s) for s in COUNTED],
        "open": [str(s) for s in OPEN_STATUSES], "lead": crm_settings().reminder_lead_days,
        "min_purchases": MIN_PURCHASES, "inactive": _INACTIVE_COMPANIES, **_notification_params(),
    }
    created, to_email = 0, []
    with connection.cursor() as cursor:
        # Sorting millions of purchase dates is the bulk of the work: let it happen in memory.
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute(_MARK_REORDERED, params)
        reordered = [row[0] for row in cursor.fetchall()]
        cursor.execute(_END_SNOOZES, params)
        returned, emails = cursor.fetchone()
        to_email += emails
        for statement in (_INSERT_PRODUCT_REMINDERS, _INSERT_CATEGORY_REMINDERS):  # products first
            cursor.execute(statement, params)
            count, emails = cursor.fetchone()
            created += count
            to_email += emails
    _queue_emails(to_email)
    _record_system_changes(reordered, "crm.reminder.reordered", ReorderReminder.Status.REORDERED,
                           reason=_("企业已再次采购"))
    _record_system_changes(returned, "crm.reminder.snooze_ended", ReorderReminder.Status.SENT,
                           reason=_("稍后提醒到期，再次提醒"))
    return created


def _record_system_changes(ids, action, after, *, reason):
    """Audit rows for status changes the job made (bulk: one INSERT per thousand)."""
    if not ids:
        return
    reminders = ReorderReminder.objects.filter(pk__in=ids).select_related("company")
    audit.record_many([
        {"actor": None, "action": action, "subject": reminder, "company": reminder.company, "after": after,
         "reason": reason}
        for reminder in reminders
    ])


# --- the buyer's actions --------------------------------------------------------------------------

def _purchasing_company(by):
    return rules.ensure_member_may(by, CompanyPermission.PURCHASING).company


def _own_reminder(by, reminder_id, *, lock=True):
    company = _purchasing_company(by)
    reminders = ReorderReminder.objects.select_related("product", "category", "company")
    if lock:
        reminders = reminders.select_for_update(of=("self",))
    reminder = reminders.filter(pk=reminder_id, company=company).first()
    if reminder is None:
        raise NotFound(_("未找到该补货提醒。"))
    return reminder


def subject_label(reminder_or_opt_out):
    if reminder_or_opt_out.product_id:
        return reminder_or_opt_out.product.title
    return _("%(category)s（类目）") % {"category": reminder_or_opt_out.category.name}


@transaction.atomic
def snooze_reminder(*, by, reminder_id, days) -> ReorderReminder:
    """Remind again after 7, 14 or 30 days; only an open reminder can be snoozed."""
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = None
    if days not in SNOOZE_DAYS:
        raise BusinessRuleError(_("请选择 7、14 或 30 天后再提醒。"), code="invalid_snooze",
                                details={"days": _("只能选择 7、14 或 30 天。")})
    reminder = _own_reminder(by, reminder_id)
    if reminder.status not in OPEN_STATUSES:
        raise BusinessRuleError(_("该提醒已%(status)s，不能稍后提醒。") % {"status": reminder.get_status_display()},
                                code="reminder_closed")
    before = reminder.status
    reminder.status = ReorderReminder.Status.SNOOZED
    reminder.snoozed_until = timezone.localdate() + timedelta(days=days)
    reminder.save(update_fields=["status", "snoozed_until"])
    audit.record(actor=by, action="crm.reminder.snoozed", subject=reminder, company=reminder.company,
                 before=before, after=f"{reminder.status} → {reminder.snoozed_until:%Y-%m-%d}",
                 reason=_("%(days)s 天后再提醒：%(subject)s") % {"days": days, "subject": subject_label(reminder)})
    return reminder


def _dismiss_open(company, *, by, product=None, category=None, reason):
    reminders = ReorderReminder.objects.select_for_update().filter(company=company, status__in=OPEN_STATUSES)
    if product is not None:
        reminders = reminders.filter(product=product)
    elif category is not None:
        reminders = reminders.filter(product__isnull=True, category=category)
    changed = list(reminders)
    for reminder in changed:
        before, reminder.status = reminder.status, ReorderReminder.Status.DISMISSED
        reminder.save(update_fields=["status"])
        audit.record(actor=by, action="crm.reminder.dismissed", subject=reminder, company=company, before=before,
                     after=reminder.status, reason=reason)
    return len(changed)


@transaction.atomic
def opt_out_of_reminder(*, by, reminder_id) -> ReminderOptOut:
    """“不再提醒”: no more reminders for the reminder's product (or category); its open reminders
    are dismissed. Opting out twice is harmless."""
    reminder = _own_reminder(by, reminder_id)
    subject = {"product": reminder.product, "category": None} if reminder.product_id else \
        {"product": None, "category": reminder.category}
    opt_out, created = ReminderOptOut.objects.get_or_create(company=reminder.company, **subject,
                                                            defaults={"created_by": by})
    if created:
        audit.record(actor=by, action="crm.reminder.opted_out", subject=opt_out, company=reminder.company,
                     after=subject_label(reminder), reason=_("不再提醒"))
    _dismiss_open(reminder.company, by=by, reason=_("不再提醒"), **subject)
    return opt_out


@transaction.atomic
def undo_opt_out(*, by, opt_out_id) -> None:
    """Resume reminders for a product or category the company had opted out of."""
    company = _purchasing_company(by)
    opt_out = ReminderOptOut.objects.select_for_update(of=("self",)).select_related("product", "category") \
        .filter(pk=opt_out_id, company=company).first()
    if opt_out is None:
        raise NotFound(_("未找到该退订记录。"))
    label = subject_label(opt_out)
    audit.record(actor=by, action="crm.reminder.opt_out_undone", subject=opt_out, company=company, before=label,
                 reason=_("恢复补货提醒"))
    opt_out.delete()


@transaction.atomic
def set_reminders_opted_out(*, by, opted_out) -> ClientProfile:
    """The company-wide switch: no reorder reminders at all (open ones are dismissed), or again."""
    company = _purchasing_company(by)
    ClientProfile.objects.get_or_create(company=company)
    profile = ClientProfile.objects.select_for_update().get(company=company)
    opted_out = bool(opted_out)
    if profile.reminders_opted_out != opted_out:
        before, profile.reminders_opted_out = profile.reminders_opted_out, opted_out
        profile.save(update_fields=["reminders_opted_out"])
        audit.record(actor=by, action="crm.reminder.all_opted_out" if opted_out else "crm.reminder.all_resumed",
                     subject=profile, company=company, before=before, after=opted_out,
                     reason=_("关闭全部补货提醒") if opted_out else _("开启补货提醒"))
    if opted_out:
        _dismiss_open(company, by=by, reason=_("关闭全部补货提醒"))
    return profile


@transaction.atomic
def reorder_from_reminder(*, by, reminder_id):
    """“立即补货”: put the reminder's product in the member's cart at the quantity last bought (the
    cart's own rules apply: published, minimum order quantity…). The reminder turns “reordered”
    when the order is placed and paid (the daily job sees the purchase). Category reminders have
    no single product to add: the page links to the category instead."""
    from orders import services as order_services

    reminder = _own_reminder(by, reminder_id, lock=False)
    if reminder.product_id is None:
        raise BusinessRuleError(_("类目提醒没有具体商品，请在类目中选择商品下单。"), code="category_reminder")
    if reminder.status not in OPEN_STATUSES:
        raise BusinessRuleError(_("该提醒已%(status)s。") % {"status": reminder.get_status_display()},
                                code="reminder_closed")
    quantity = last_purchased_quantity(reminder)
    if quantity is None:
        raise BusinessRuleError(_("未找到最近一次采购的数量，请在商品页选择数量下单。"), code="no_last_quantity")
    item = order_services.add_to_cart(by=by, product_id=reminder.product_id, quantity=quantity)
    audit.record(actor=by, action="crm.reminder.reorder_started", subject=reminder, company=reminder.company,
                 after=f"{item.product.title} × {quantity}", reason=_("从补货提醒加入购物车"))
    return item

