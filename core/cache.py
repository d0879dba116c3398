"""Versioned caching: cached output is keyed by a namespace's version number, and changing the
underlying data bumps the version (after commit), so stale entries are never read again.

    versioned_key("catalog", "api-products", "page=2")  ->  "catalog:v17:api-products:page=2"
    bump_on_commit("catalog")                            # in a signal or service that changes products

Public storefront pages for visitors without a session are cached whole (`cache_public_page`):
those pages carry no CSRF token and nothing personal, so every such visitor sees the same HTML.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

PUBLIC_PAGE_TIMEOUT = 300


def version(namespace: str) -> int:
    key = f"version:{namespace}"
    current = cache.get(key)
    if current is None:
        cache.add(key, 1, timeout=None)
        current = cache.get(key) or 1
    return current


def bump(namespace: str) -> None:
    key = f"version:{namespace}"
    try:
        cache.incr(key)
    except ValueError:  # never read yet: any fresh value differs from the entries' versions
        cache.set(key, 2, timeout=None)


def bump_on_commit(namespace: str) -> None:
    """Bump once the change is visible to other connections; bumping earlier would let a reader
    cache the old data under the new version."""
    transaction.on_commit(lambda: bump(namespace))


def versioned_key(namespace: str, *parts) -> str:
    return ":".join([namespace, f"v{version(namespace)}", *map(str, parts)])


def _sessionless(request):
    return (
        request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def cache_public_page(namespace: str, timeout: int = PUBLIC_PAGE_TIMEOUT):
    """Serve visitors without a session from a cache of the page's HTML (per language and URL)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _sessionless(request):
                return view(request, *args, **kwargs)
            path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
            key = versioned_key(namespace, "page", request.LANGUAGE_CODE, path)
            content = cache.get(key)
            if content is not None:
                return HttpResponse(content, content_type="text/html; charset=utf-8")
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies and not getattr(response, "streaming", False):
                cache.set(key, response.content, timeout)
            return response

        return wrapper

    return decorator
