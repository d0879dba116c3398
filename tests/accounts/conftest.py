import uuid

import pytest


@pytest.fixture(autouse=True)
def _own_rate_limits(settings):
    """allauth keeps rate-limit counters in the cache, which outlives a test: a key space per
    test keeps one test's signups and codes from throttling another's."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}

