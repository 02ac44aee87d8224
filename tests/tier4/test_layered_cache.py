"""tier4's layered cache against its real Redis: the hottest entries answered from the process's
own copy (L1) without a round trip, every instance told of an invalidation by pub/sub, L1 off
whenever it cannot hear, and held within its byte bound."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from app.platform.caching.layered import LIVE_SECONDS, LayeredCache
from app.platform.seams import seam
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def instances() -> Iterator[Callable[[], LayeredCache]]:
    """Layered caches as separate app instances have them: each its own L1 and subscription."""
    made: list[LayeredCache] = []

    def make() -> LayeredCache:
        cache = LayeredCache()
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()


def live(cache: LayeredCache, *, timeout: float = 3.0) -> LayeredCache:
    """Wait until the cache's subscriber has subscribed: before that, it does not use L1."""
    cache.value("warm-up", ("warm-up",), lambda: 0)
    deadline = time.monotonic() + timeout
    while not cache.l1_state()["live"]:
        assert time.monotonic() < deadline, "the subscriber never subscribed"
        time.sleep(0.01)
    return cache


def counting_round_trips(cache: LayeredCache, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    client = cache._client()
    calls: list[Any] = []
    real = client.mget
    monkeypatch.setattr(client, "mget", lambda keys: calls.append(keys) or real(keys))
    return calls


def test_a_hot_entry_is_answered_from_the_process_without_a_round_trip(instances, monkeypatch):
    cache = live(instances())
    computed: list[int] = []
    assert cache.value("hot", ("topic-hot",), lambda: computed.append(1) or {"rows": [1, 2, 3]}) == {"rows": [1, 2, 3]}
    cache.value("hot", ("topic-hot",), lambda: computed.append(1) or "recomputed")  # read from L2, kept in L1
    round_trips = counting_round_trips(cache, monkeypatch)
    hits_before = cache.l1_state()["hits"]
    for _ in range(50):
        assert cache.value("hot", ("topic-hot",), lambda: computed.append(1) or "recomputed") == {"rows": [1, 2, 3]}
    assert computed == [1]
    assert round_trips == []
    assert cache.l1_state()["hits"] - hits_before == 50


def test_an_invalidation_reaches_every_instance_within_milliseconds(instances):
    writer, reader = live(instances()), live(instances())
    version = ["before"]
    for _ in range(2):  # the second read keeps it in the reader's L1
        assert reader.value("shared", ("topic-shared",), lambda: version[0]) == "before"
    assert reader.value("shared", ("topic-shared",), lambda: "not recomputed") == "before"
    version[0] = "after"
    sent = time.monotonic()
    writer.invalidate(["topic-shared"])  # another instance's write
    while reader._known.get("topic-shared") != writer._known["topic-shared"]:
        assert time.monotonic() - sent < 0.5, "the reader was never told"
        time.sleep(0.001)
    assert reader.value("shared", ("topic-shared",), lambda: version[0]) == "after"


def test_a_process_sees_its_own_invalidation_at_once(instances):
    cache = live(instances())
    for _ in range(2):
        cache.value("own", ("topic-own",), lambda: "before")
    cache.invalidate(["topic-own"])
    assert cache.value("own", ("topic-own",), lambda: "after") == "after"


def test_an_entry_on_other_topics_stays_in_l1(instances, monkeypatch):
    cache = live(instances())
    for _ in range(2):
        cache.value("kept", ("topic-a",), lambda: "a")
    cache.invalidate(["topic-b"])
    round_trips = counting_round_trips(cache, monkeypatch)
    assert cache.value("kept", ("topic-a",), lambda: "recomputed") == "a"
    assert round_trips == []


def test_a_lost_subscription_turns_l1_off_and_a_new_one_starts_empty(instances):
    """An invalidation announced while a reader could not hear it must not leave the reader's
    copy in use: L1 goes off when the subscription drops, and comes back empty."""
    writer, reader = live(instances()), live(instances())
    for _ in range(2):
        reader.value("missed", ("topic-missed",), lambda: "before")
    reader._client().client_kill_filter(_type="pubsub")
    deadline = time.monotonic() + 1
    while reader.l1_state()["live"]:
        assert time.monotonic() < deadline, "the lost subscription was not noticed"
        time.sleep(0.005)
    writer.invalidate(["topic-missed"])  # announced to nobody: the reader is not subscribed
    assert reader.value("missed", ("topic-missed",), lambda: "after") == "after"
    live(reader)
    assert reader.l1_state()["entries"] <= 1  # emptied on subscribing again (the warm-up's entry)
    for _ in range(2):
        assert reader.value("missed", ("topic-missed",), lambda: "recomputed") == "after"


def test_a_subscription_that_goes_quiet_turns_l1_off(instances):
    """A Redis that stops answering (paused here) leaves the subscriber waiting, not failing:
    L1 stops being used once the subscription has not been heard from for LIVE_SECONDS."""
    cache = live(instances())
    other = instances()._client()
    other.execute_command("CLIENT", "PAUSE", int((LIVE_SECONDS + 1.5) * 1000), "ALL")
    try:
        started = time.monotonic()
        while cache.l1_state()["live"]:
            assert time.monotonic() - started < LIVE_SECONDS + 1.0, "a quiet subscription was trusted"
            time.sleep(0.02)
    finally:
        time.sleep(max(0.0, LIVE_SECONDS + 1.6 - (time.monotonic() - started)))
    live(cache)


def test_l1_holds_the_most_recently_used_entries_within_its_byte_bound(instances, settings):
    settings.APP_CACHE_OPTIONS = {**settings.APP_CACHE_OPTIONS, "L1_MAX_BYTES": 64 * 1024}
    cache = live(instances())
    for _ in range(2):
        for number in range(100):
            cache.value(f"bulky-{number}", ("topic-bulky",), lambda: "x" * 2000)
    state = cache.l1_state()
    assert state["bytes"] <= 64 * 1024
    assert 20 <= state["entries"] < 100
    # The last ones read are the ones kept.
    hits = state["hits"]
    cache.value("bulky-99", ("topic-bulky",), lambda: "recomputed")
    assert cache.l1_state()["hits"] == hits + 1


def test_a_stale_entry_is_never_kept_in_l1(instances):
    """Past its freshness an entry is L2's to refresh once (stampede protection), not L1's to serve."""
    cache = live(instances())
    cache.fresh = 0.0
    computed: list[int] = []
    for _ in range(3):
        cache.value("stale", ("topic-stale",), lambda: computed.append(1) or len(computed))
    assert cache.l1_state()["hits"] == 0
    assert len(computed) == 3  # each read found it stale, took the lock and refreshed it


def test_the_anonymous_feed_is_served_from_l1_and_a_new_post_shows_on_the_next_request():
    cache = seam("APP_CACHE")
    assert isinstance(cache, LayeredCache)
    live(cache)
    PostFactory(title="Before the cache")
    client = Client()
    for _ in range(3):  # rendered and stored; completed with its headers; then kept in L1
        assert client.get("/").status_code == 200
    hits = cache.l1_state()["hits"]
    assert "Before the cache" in client.get("/").content.decode()
    assert cache.l1_state()["hits"] > hits
    post = PostFactory(title="After the cache")
    from app.platform.caching import invalidate

    invalidate("posts")  # as the service that publishes a post does
    assert post.title in client.get("/").content.decode()
