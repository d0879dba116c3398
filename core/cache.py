"""Versioned caching: cached output is keyed by a namespace's version number, and changing the
underlying data bumps the version (after commit), so stale entries are never read again.

    versioned_key("catalog", "api-products", "page=2")  ->  "catalog:v17:api-products:page=2"
    bump_on_commit("catalog")                            # in a signal or service that changes products

Public storefront pages for visitors without a session are cached whole (`cache_public_page`):
those pages carry no CSRF token and nothing personal, so every such visitor sees the same HTML.

Signed-in members share cached pages too, per *audience* (what the page body depends on: the
member's company, whether it may see prices...). The parts that are the viewer's own are left
out of the cached copy and filled in per request: templates mark them with `{% viewer_part %}`
(the user menu, the company notice) and the CSRF token is a placeholder in the cached copy.
"""

import hashlib
import re
import threading
import time
from collections import OrderedDict
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import Context, engines
from django.utils.html import escape

from core import context

PUBLIC_PAGE_TIMEOUT = 300


def _fresh_version() -> int:
    """A starting version no earlier start can have reached: processes may remember values by
    version (catalog.selectors.price_visibility), and Redis may lose the counter."""
    return time.time_ns() // 1000


def version(namespace: str) -> int:
    """The namespace's current version, read once per request."""
    seen = context.current().memo
    if ("version", namespace) in seen:
        return seen["version", namespace]
    key = f"version:{namespace}"
    current = cache.get(key)
    if current is None:
        cache.add(key, _fresh_version(), timeout=None)
        current = cache.get(key)
    seen["version", namespace] = current
    return current


def bump(namespace: str) -> None:
    context.current().memo.pop(("version", namespace), None)
    key = f"version:{namespace}"
    try:
        cache.incr(key)
    except ValueError:  # never read yet: any fresh value differs from the entries' versions
        cache.set(key, _fresh_version(), timeout=None)


def bump_on_commit(namespace: str) -> None:
    """Bump once the change is visible to other connections; bumping earlier would let a reader
    cache the old data under the new version."""
    transaction.on_commit(lambda: bump(namespace), robust=True)


def versioned_key(namespace: str, *parts) -> str:
    return ":".join([namespace, f"v{version(namespace)}", *map(str, parts)])


class _RecentPages:
    """Rendered pages under versioned keys, kept in this process for a few seconds in front of
    Redis: the busiest pages then cost no round trip (nor the transfer of ~40 KB). An entry never
    outlives its Redis copy by more than `seconds`, and a catalogue change (a new version) makes
    every entry unreachable at once."""

    def __init__(self, size=256, seconds=15):
        self.size, self.seconds = size, seconds
        self._entries = OrderedDict()  # key -> (expires at, content)
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key, content):
        with self._lock:
            self._entries[key] = (time.monotonic() + self.seconds, content)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


recent_pages = _RecentPages()


def cached_page(key):
    """A rendered page stored with `cache_page` under a versioned key, or None."""
    content = recent_pages.get(key)
    if content is None:
        content = cache.get(key)
        if content is not None:
            recent_pages.put(key, content)
    return content


def cache_page(key, content, timeout=PUBLIC_PAGE_TIMEOUT):
    cache.set(key, content, timeout)
    recent_pages.put(key, content)


def _sessionless(request):
    return (
        request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _path_digest(request):
    return hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]


def _cacheable(response):
    return response.status_code == 200 and not response.cookies and not getattr(response, "streaming", False)


def cache_public_page(namespace: str, timeout: int = PUBLIC_PAGE_TIMEOUT, *, audience=None):
    """Serve visitors without a session from a cache of the page's HTML (per language and URL).

    With `audience` (request -> str), signed-in members are served from a cache per audience as
    well, their own parts filled in per request (see the module's docstring).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if _sessionless(request):
                key = versioned_key(namespace, "page", request.LANGUAGE_CODE, _path_digest(request))
                content = cached_page(key)
                if content is not None:
                    return HttpResponse(content, content_type="text/html; charset=utf-8")
                response = view(request, *args, **kwargs)
                if _cacheable(response):
                    cache_page(key, response.content, timeout)
                return response
            if audience is not None and _member_may_share(request):
                return _member_page(request, view, args, kwargs, namespace=namespace, audience=audience(request),
                                    timeout=timeout)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# --- pages shared by signed-in members ---------------------------------------------------------

# The viewer's own parts of a shared page. They are cached per viewer too, under a fingerprint of
# everything they show (`_viewer_fingerprint`): a template added here, or a value added to one of
# these templates, must be added there.
VIEWER_PARTS = ("includes/user_menu.html", "includes/company_notice_bar.html")
VIEWER_PARTS_TIMEOUT = 300
_VIEWER_PART = re.compile(r"<!--viewer-part:([\w./-]+)-->")
# Stand-ins in cached copies for what differs per request: the CSRF token and the page's own URL
# (the language switcher comes back to it).
CSRF_PLACEHOLDER = "__csrf_token_of_the_viewer__"
PATH_PLACEHOLDER = "__full_path_of_the_page__"


def rendering_to_share(request) -> bool:
    """True while a page is being rendered for a cache that other members will be served from."""
    return getattr(request, "_rendering_to_share", False)


def viewer_part_marker(template_name: str) -> str:
    if template_name not in VIEWER_PARTS:
        raise ValueError(f"{template_name} is not a viewer part (core.cache.VIEWER_PARTS)")
    return f"<!--viewer-part:{template_name}-->"


def _member_may_share(request):
    """A signed-in member's plain page view: no messages waiting to be shown, not an htmx swap."""
    user = getattr(request, "user", None)
    return (
        request.method in {"GET", "HEAD"}
        and user is not None and user.is_authenticated
        and "HX-Request" not in request.headers
        and "messages" not in request.COOKIES
        and not request.session.get(SessionStorage.session_key)
    )


def _member_page(request, view, args, kwargs, *, namespace, audience, timeout):
    key = versioned_key(namespace, "members", request.LANGUAGE_CODE, audience, _path_digest(request))
    content = cached_page(key)
    if content is not None:
        return HttpResponse(fill_viewer_parts(content, request), content_type="text/html; charset=utf-8")
    request._rendering_to_share = True
    try:
        response = view(request, *args, **kwargs)
    finally:
        request._rendering_to_share = False
    if response.status_code != 200 or getattr(response, "streaming", False):
        return response
    content = response.content.decode()
    if not response.cookies:
        cache_page(key, content, timeout)
    response.content = fill_viewer_parts(content, request)
    return response


def fill_viewer_parts(content: str, request) -> str:
    """The shared copy of a page, made this viewer's: its own parts, CSRF token and URL."""
    if "<!--viewer-part:" in content:
        parts = _viewer_parts(request)
        content = _VIEWER_PART.sub(lambda match: parts.get(match.group(1), ""), content)
    return (content.replace(CSRF_PLACEHOLDER, get_token(request))
            .replace(PATH_PLACEHOLDER, escape(request.get_full_path())))


def viewer_parts_key(user_id) -> str:
    return f"viewer-parts:{user_id}"


def _viewer_parts(request) -> dict:
    """The viewer's parts, rendered once for as long as what they show stays the same: cached
    per user with the fingerprint they were rendered for (read together with the unread
    summary, `core.selectors.unread_summary`)."""
    engine = engines["django"].engine
    values = {}
    for processor in engine.template_context_processors:  # once for all the parts
        values.update(processor(request))
    fingerprint = _viewer_fingerprint(request, values)  # reads the unread summary, and the parts with it
    key = viewer_parts_key(request.user.pk)
    memo = context.current().memo
    cached = memo["viewer-parts", request.user.pk] if ("viewer-parts", request.user.pk) in memo else cache.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    values.update(csrf_token=CSRF_PLACEHOLDER, language_next=PATH_PLACEHOLDER)
    parts = {name: str(engine.get_template(name).render(Context(values, autoescape=engine.autoescape)))
             for name in VIEWER_PARTS}
    cache.set(key, (fingerprint, parts), VIEWER_PARTS_TIMEOUT)
    memo["viewer-parts", request.user.pk] = (fingerprint, parts)
    return parts


def _viewer_fingerprint(request, values) -> str:
    """Everything the viewer parts show, for their cache key."""
    user, company = request.user, values.get("current_company")
    match = request.resolver_match
    unread = values["unread_notifications"]
    shown = (
        request.LANGUAGE_CODE, match.view_name if match else "", match.namespace if match else "",
        user.display_name, user.email, sorted(values["staff_roles"]), unread() if callable(unread) else unread,
        str(values.get("company_notice") or ""), company.status if company is not None else "",
    )
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
