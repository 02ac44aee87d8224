"""The cache's lookup connection against the real cache Redis: a connection Redis closed is
replaced without failing the lookup, and a reply that timed out is never read as the next one's."""

from __future__ import annotations

import os
import time

import pytest
import redis
from django.conf import settings
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.platform.caching.lookups import LookupConnection


@pytest.fixture
def cache_redis():
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    client.mset({"lookups-test:a": b"1", "lookups-test:b": b"2"})
    yield client
    client.delete("lookups-test:a", "lookups-test:b")
    client.close()


def _pool(**options) -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(settings.CACHES["default"]["LOCATION"], **options)


def test_a_connection_redis_closed_is_replaced_without_failing_the_lookup(cache_redis):
    lookups = LookupConnection(_pool(socket_timeout=1))
    assert lookups.mget(["lookups-test:a", "lookups-test:b"]) == [b"1", b"2"]
    killed = cache_redis.client_kill_filter(_type="normal", skipme=True)
    assert killed >= 1
    assert lookups.mget(["lookups-test:b", "lookups-test:a"]) == [b"2", b"1"]
    lookups.close()


def test_a_reply_that_timed_out_is_never_read_as_the_next_lookups(cache_redis):
    lookups = LookupConnection(_pool(socket_timeout=0.1))
    assert lookups.mget(["lookups-test:a"]) == [b"1"]
    cache_redis.client_pause(400, all=True)  # every other client's commands wait 400 ms
    with pytest.raises(RedisTimeoutError):
        lookups.mget(["lookups-test:a"])  # its reply comes once the pause ends, on a closed socket
    time.sleep(0.5)
    assert lookups.mget(["lookups-test:b"]) == [b"2"]
    lookups.close()


def test_a_forked_child_opens_its_own_connection(cache_redis, monkeypatch):
    lookups = LookupConnection(_pool(socket_timeout=1))
    lookups.mget(["lookups-test:a"])
    parents, _ = lookups._connection()
    monkeypatch.setattr(os, "getpid", lambda: -1)
    childs, fresh = lookups._connection()
    assert fresh
    assert childs is not parents
    assert lookups.mget(["lookups-test:a"]) == [b"1"]
    monkeypatch.undo()
    parents.disconnect()
