"""Webhooks: a company's systems hear of its orders, payments, shipments and barter deals as
they happen, instead of polling the API.

A company's main account registers endpoints (an HTTPS URL and the events it takes) in the member
centre. Services `emit` an event inside their transaction; a delivery row per subscribed endpoint
is written with it, and once the transaction commits a task POSTs it:

    POST <url>
    Content-Type: application/json
    X-TP-Event: order.status_changed
    X-TP-Delivery: <event id, the same on every retry: receivers drop repeats by it>
    X-TP-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>

    {"id": "<event id>", "event": "order.status_changed", "created_at": "…", "data": {…}}

A 2xx answer within 10 seconds delivers it. Anything else is retried after 1 minute, 5 minutes,
30 minutes, 2 hours and 12 hours (`retry_due_deliveries` runs every minute); then the delivery has
failed, and the member centre's delivery log (kept 30 days) offers to send it again.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import rules
from core import audit, rows
from core.errors import BusinessRuleError, NotFound
from core.models import WebhookDelivery, WebhookEndpoint

D = WebhookDelivery.Status
EVENTS = {
    "order.placed": gettext_lazy("新订单（买卖双方）"),
    "order.status_changed": gettext_lazy("订单状态变化：付款、发货、签收、完成、取消、退款、纠纷"),
    "payment.confirmed": gettext_lazy("财务确认一笔转账到账"),
    "shipment.created": gettext_lazy("发货或退货登记了运单"),
    "barter.deal.status_changed": gettext_lazy("易货方案提出、执行、完成或失效"),
}
PING = "ping"
RETRY_AFTER = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
               timedelta(hours=12)]
ATTEMPTS = len(RETRY_AFTER) + 1
TIMEOUT_SECONDS = 10
# A delivery being sent is not picked up again by the retry job for this long.
SENDING_LEASE = timedelta(seconds=TIMEOUT_SECONDS * 6)
MAX_ENDPOINTS = 10


# --- endpoints ---------------------------------------------------------------------------------------

def endpoints_of(company):
    return WebhookEndpoint.objects.filter(company=company)


def deliveries_of(company, *, status=""):
    """The company's delivery log, newest first; only one status when `status` is one."""
    deliveries = WebhookDelivery.objects.filter(endpoint__company=company).select_related("endpoint")
    return deliveries.filter(status=status) if status in D.values else deliveries


def _endpoint_of(by, endpoint_id) -> WebhookEndpoint:
    membership = rules.ensure_main_account(by)
    endpoint = endpoints_of(membership.company).select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(_("未找到该 Webhook 地址。"))
    return endpoint


def _clean_url(url) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 500:
        raise BusinessRuleError(_("请填写完整的接收地址，例如 https://erp.example.cn/hooks/tp。"), code="invalid_url",
                                details={"url": _("请填写完整的接收地址。")})
    if parts.scheme != "https" and not settings.WEBHOOK_ALLOW_INSECURE:
        raise BusinessRuleError(_("接收地址必须使用 HTTPS。"), code="insecure_url",
                                details={"url": _("接收地址必须使用 HTTPS。")})
    return url


def _clean_events(events) -> list[str]:
    chosen = sorted(set(events or []))
    if not chosen or any(event not in EVENTS for event in chosen):
        raise BusinessRuleError(_("请至少选择一个事件。"), code="invalid_events",
                                details={"events": _("请至少选择一个事件。")})
    return chosen


@transaction.atomic
def add_endpoint(*, by, url, events) -> WebhookEndpoint:
    """The main account registers an endpoint; its signing secret is made here (shown on the page)."""
    membership = rules.ensure_main_account(by)
    company = membership.company
    url, events = _clean_url(url), _clean_events(events)
    if endpoints_of(company).count() >= MAX_ENDPOINTS:
        raise BusinessRuleError(_("每家企业最多 %(n)s 个接收地址。") % {"n": MAX_ENDPOINTS}, code="too_many_endpoints")
    endpoint = WebhookEndpoint.objects.create(company=company, url=url, events=events, created_by=by,
                                              secret=f"whsec_{secrets.token_hex(24)}")
    audit.record(actor=by, action="webhook.add", subject=endpoint, company=company, after=url,
                 data={"events": events})
    return endpoint


@transaction.atomic
def set_endpoint_active(*, by, endpoint_id, active) -> WebhookEndpoint:
    """Pause or resume an endpoint: a paused one gets no new deliveries."""
    endpoint = _endpoint_of(by, endpoint_id)
    if endpoint.is_active != active:
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])
        audit.record(actor=by, action="webhook.status", subject=endpoint, company=endpoint.company,
                     before=str(not active), after=str(active))
    return endpoint


@transaction.atomic
def rotate_secret(*, by, endpoint_id) -> WebhookEndpoint:
    endpoint = _endpoint_of(by, endpoint_id)
    endpoint.secret = f"whsec_{secrets.token_hex(24)}"
    endpoint.save(update_fields=["secret"])
    audit.record(actor=by, action="webhook.rotate_secret", subject=endpoint, company=endpoint.company)
    return endpoint


@transaction.atomic
def remove_endpoint(*, by, endpoint_id) -> None:
    endpoint = _endpoint_of(by, endpoint_id)
    audit.record(actor=by, action="webhook.remove", subject=endpoint, company=endpoint.company, before=endpoint.url)
    endpoint.delete()


@transaction.atomic
def send_test(*, by, endpoint_id) -> WebhookDelivery:
    """A `ping` to check the receiver (and its signature check) works."""
    endpoint = _endpoint_of(by, endpoint_id)
    return _queue([(endpoint, {"message": _("这是一条测试消息。"), "company": endpoint.company.name})], PING)[0]


@transaction.atomic
def redeliver(*, by, delivery_id) -> WebhookDelivery:
    """Send a failed (or delivered) event once more, as a new round of attempts."""
    membership = rules.ensure_main_account(by)
    delivery = deliveries_of(membership.company).select_for_update(of=("self",)).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(_("未找到该投递记录。"))
    delivery.status, delivery.attempts, delivery.next_attempt_at = D.PENDING, 0, timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: _send_later(delivery.pk), robust=True)
    return delivery


# --- emitting ---------------------------------------------------------------------------------------

# Checkout emits on every order: the subscribed endpoints are read with one prepared statement.
_SUBSCRIBED = (f'SELECT {rows.columns(WebhookEndpoint, "e")} FROM "{WebhookEndpoint._meta.db_table}" e '  # noqa: S608
               'WHERE e."company_id" = ANY(%s) AND e."is_active" AND %s = ANY(e."events")')


def emit(event: str, company_ids, data: dict) -> list[WebhookDelivery]:
    """Tell the companies' endpoints subscribed to `event`. Call inside the transaction that makes
    the change: the deliveries are written with it and sent once it commits."""
    return emit_each(event, [(company_ids, data)])


def emit_each(event: str, items) -> list[WebhookDelivery]:
    """`emit` for several events of one kind ([(company ids, data), …], a checkout's orders),
    reading the subscribed endpoints once."""
    assert event in EVENTS, event
    items = [({company_id for company_id in company_ids if company_id}, data) for company_ids, data in items]
    ids = sorted(set().union(*(company_ids for company_ids, _data in items)))
    endpoints = [rows.instance(WebhookEndpoint, row, 0)[0]
                 for row in rows.fetch_all(_SUBSCRIBED, [ids, event], prepared="tp_webhook_subscribed")]
    if not endpoints:
        return []
    return _queue([(endpoint, data) for company_ids, data in items for endpoint in endpoints
                   if endpoint.company_id in company_ids], event)


def _queue(targets, event):
    """A delivery row per (endpoint, data), each with its own event id, sent after commit."""
    now = timezone.now()
    deliveries = []
    for endpoint, data in targets:
        event_id = uuid.uuid4()
        deliveries.append(WebhookDelivery(
            endpoint=endpoint, event_id=event_id, event=event, next_attempt_at=now,
            payload={"id": str(event_id), "event": event, "created_at": now.isoformat(), "data": data}))
    WebhookDelivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: [_send_later(delivery_id) for delivery_id in ids], robust=True)
    return deliveries


def _send_later(delivery_id):
    from core.tasks import deliver_webhook

    deliver_webhook.delay(delivery_id=delivery_id)


# --- delivering ---------------------------------------------------------------------------------------

def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-TP-Signature` header: receivers compute the same HMAC and compare in constant time."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _refuse_private_address(url):
    """Outside development a webhook may not reach the platform's own network (SSRF)."""
    if settings.WEBHOOK_ALLOW_INSECURE:
        return
    host = urlsplit(url).hostname
    for *_rest, address in socket.getaddrinfo(host, None):
        ip = ipaddress.ip_address(address[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            raise OSError(_("接收地址指向内部网络，已拒绝发送。"))


def deliver(*, delivery_id) -> WebhookDelivery:
    """Send one pending delivery whose time has come; record the answer and, on failure, when to
    try again. The HTTP call runs outside any transaction; a lease keeps the retry job off it
    meanwhile. Safe to run twice."""
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint").filter(
            pk=delivery_id).first()
        if delivery is None or delivery.status != D.PENDING or (delivery.next_attempt_at or now) > now:
            return delivery
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + SENDING_LEASE)
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={  # noqa: S310 (http/https only)
        "Content-Type": "application/json", "User-Agent": "TradePlatform-Webhooks/1",
        "X-TP-Event": delivery.event, "X-TP-Delivery": str(delivery.event_id),
        "X-TP-Signature": signature(endpoint.secret, int(time.time()), body)})
    code, error = None, ""
    try:
        _refuse_private_address(endpoint.url)
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            code = response.status
    except urllib.error.HTTPError as answer:
        code, error = answer.code, f"HTTP {answer.code}"
    except (OSError, ValueError, http.client.HTTPException) as failure:  # unreachable, or not speaking HTTP
        error = str(failure) or type(failure).__name__
    return _record_attempt(delivery.pk, code=code, error=error)


@transaction.atomic
def _record_attempt(delivery_id, *, code, error):
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = code, error[:300]
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = D.DELIVERED, now, None
    elif delivery.attempts >= ATTEMPTS:
        delivery.status, delivery.next_attempt_at = D.FAILED, None
    else:
        delivery.next_attempt_at = now + RETRY_AFTER[delivery.attempts - 1]
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at",
                                 "next_attempt_at"])
    return delivery


def retry_due_deliveries(*, now=None, limit=500) -> int:
    """The every-minute job: queue the pending deliveries whose next attempt is due."""
    now = now or timezone.now()
    due = list(WebhookDelivery.objects.filter(status=D.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at").values_list("pk", flat=True)[:limit])
    for delivery_id in due:
        _send_later(delivery_id)
    return len(due)


KEEP_LOG = timedelta(days=30)


def purge_old_deliveries(*, now=None) -> int:
    """The daily job: the delivery log keeps 30 days of finished deliveries."""
    now = now or timezone.now()
    deleted, _by_model = WebhookDelivery.objects.filter(created_at__lt=now - KEEP_LOG).exclude(
        status=D.PENDING).delete()
    return deleted
