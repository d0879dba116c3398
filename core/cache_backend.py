"""Django's Redis cache backend, keeping one client per connection pool.

Django builds a new `redis.Redis` client for every cache operation; redis-py 8 fills a
response-callback table of some 170 entries in each client's constructor, which made every cache
call cost more than the round trip to Redis. Clients are thread-safe (each command borrows a
connection from the pool), so one per pool serves every call.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_hit(self, key, timeout: int) -> int:
        """Add one to the counter under `key` (created at 0) and keep it `timeout` seconds, in one
        round trip (Django's incr is an EXISTS and an INCRBY; rate limits run it on every call)."""
        key = self.make_and_validate_key(key)
        with self._cache.get_client(key, write=True).pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, timeout)
            count, _expiry_set = pipe.execute()
        return count
