"""The versioned page cache: pages kept briefly in the process in front of Redis, never past a
version change, never for long, and never more than a bounded number."""

from core import cache as page_cache


def test_a_page_kept_in_the_process_expires_after_its_seconds(monkeypatch):
    recent = page_cache._RecentPages(size=4, seconds=15)
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    recent.put("catalog:v7:page", b"<html>")
    now[0] += 14
    assert recent.get("catalog:v7:page") == b"<html>"
    now[0] += 2
    assert recent.get("catalog:v7:page") is None


def test_the_process_keeps_only_the_most_recently_used_pages():
    recent = page_cache._RecentPages(size=2, seconds=15)
    recent.put("a", 1)
    recent.put("b", 2)
    recent.get("a")
    recent.put("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (1, None, 3)


def test_a_new_version_reaches_past_the_kept_copy():
    page_cache.bump("test-pages")
    old_key = page_cache.versioned_key("test-pages", "p")
    page_cache.cache_page(old_key, "old")
    page_cache.bump("test-pages")
    new_key = page_cache.versioned_key("test-pages", "p")
    assert new_key != old_key and page_cache.cached_page(new_key) is None
    assert page_cache.cached_page(old_key) == "old"
