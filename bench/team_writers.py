"""Threads that keep writing for teams through the app's services, counting what was acknowledged
and refused: the write load ``move_team`` is measured under (``PostWriters``: ``make bench
S=move-team``, tests/tier4) and the team-scoped write mix ``make bench S=shards`` spreads over the
shards (``MixedWriters``)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Self


class TeamWriters:
    """``with SomeWriters(…) as writers:`` writes from ``count`` threads until the block ends; a
    subclass says what one write is (``write``), returning a label for it."""

    def __init__(self, count: int) -> None:
        self.acknowledged: list[str] = []
        self.refused = 0
        #: What stopped a thread (anything but a move's pause): raised when the block ends.
        self.failures: list[Exception] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(count)]

    def __enter__(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        if self.failures and not exc[0]:
            raise self.failures[0]

    def write(self, worker: int, number: int) -> str:
        raise NotImplementedError

    def _run(self, worker: int) -> None:
        from django.db import connections

        from app.platform.db.routing import primary
        from app.platform.sharding.moving import TeamMoving

        number = 0
        try:
            while not self._stop.is_set():
                try:
                    with primary():  # a service's checks read what was just written
                        label = self.write(worker, number)
                except TeamMoving:  # the move's write pause: a 503 a client would retry
                    with self._lock:
                        self.refused += 1
                    time.sleep(0.05)
                    continue
                except Exception as failure:
                    with self._lock:
                        self.failures.append(failure)
                    return
                with self._lock:
                    self.acknowledged.append(label)
                number += 1
        finally:
            for connection in connections.all():
                connection.close()


class PostWriters(TeamWriters):
    """``with PostWriters(author, team, 3, body="…") as writers:`` publishes until the block ends;
    each acknowledged post's title is in ``writers.acknowledged``."""

    def __init__(self, author: Any, team: Any, count: int, *, body: str) -> None:
        self.author, self.team, self.body = author, team, body
        super().__init__(count)

    def write(self, worker: int, number: int) -> str:
        from app.posts.services import post_publish

        title = f"{self.body} {worker}-{number}"
        post_publish(author=self.author, team=self.team, title=title, body=self.body)
        return title


@dataclass
class WriterTeam:
    """A team the mix writes for: a member who posts and comments, and a product to buy."""

    team: Any
    member: Any
    product_id: int


#: What the mix writes, in turn: each a transaction on the team's shard (``team_transaction``).
MIX = ("post", "comment", "order")


class MixedWriters(TeamWriters):
    """A write-heavy team-scoped mix: writer ``n`` writes for ``teams[n % len(teams)]``, in turn a
    post (``post_publish``), a comment on its last post (``comment_add``) and an order of one item
    (``order_checkout``, by the next of ``buyers``, so no buyer reaches the checkout limit);
    ``writers.kinds`` counts the acknowledged writes of each kind."""

    def __init__(self, teams: list[WriterTeam], count: int, *, buyers: list[Any]) -> None:
        self.teams, self.buyers = teams, buyers
        self._buyer = itertools.count()
        self._last_post: dict[int, Any] = {}
        super().__init__(count)

    @property
    def kinds(self) -> Counter[str]:
        return Counter(label.split(" ", 1)[0] for label in self.acknowledged)

    def write(self, worker: int, number: int) -> str:
        from app.posts.services import comment_add, post_publish
        from app.shop.services import order_checkout

        mine = self.teams[worker % len(self.teams)]
        kind = MIX[number % len(MIX)]
        if kind == "comment" and worker in self._last_post:
            comment_add(author=mine.member, post=self._last_post[worker], body=f"comment {worker}-{number}")
        elif kind == "order":
            with self._lock:
                buyer = self.buyers[next(self._buyer) % len(self.buyers)]
            order_checkout(user=buyer, product_id=mine.product_id, quantity=1)
        else:
            kind = "post"
            title = f"mixed {worker}-{number}"
            self._last_post[worker] = post_publish(author=mine.member, team=mine.team, title=title, body=title)
        return f"{kind} {worker}-{number}"
