"""Where the current request came from, for the audit trail: IP address and API key.

Set by core.middleware.RequestContextMiddleware and by API key authentication; read by
core.audit.record(). Celery tasks run outside any request and record no source. It also holds
what one request may read once and reuse (cache versions).
"""

import contextvars
from dataclasses import dataclass, field


@dataclass
class RequestContext:
    ip_address: str | None = None
    api_key_id: int | None = None
    # What this request has read once and reuses: cache versions, the viewer's unread summary.
    memo: dict = field(default_factory=dict)


_current = contextvars.ContextVar("request_context", default=None)


def current() -> RequestContext:
    return _current.get() or RequestContext()


def begin(context: RequestContext):
    return _current.set(context)


def end(token):
    _current.reset(token)


def client_ip(request):
    """The client address; behind a proxy, the first X-Forwarded-For hop it recorded."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
