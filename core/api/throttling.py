import time

from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per key (or per signed-in user, or per IP for anonymous callers).

    A fixed window counted with one atomic INCR per request (one round trip to Redis, see
    core.cache_backend), instead of DRF's default sliding log (a read and a write of the whole
    request history on every call).
    """

    scope = "api_key"

    def get_cache_key(self, request, view):
        if request.auth is not None and hasattr(request.auth, "prefix"):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.window_start = int(time.time()) // self.duration * self.duration
        window_key = f"{key}:{self.window_start}"
        count = cache.count_hit(window_key, self.duration + 1)
        return count <= self.num_requests

    def wait(self):
        return max(0, self.window_start + self.duration - time.time())
