"""Is the replica fit to serve reads? Probed at most once a second per app process.

The probe opens its own short connection straight to the standby (not through its
PgBouncer). Through the pooler, a query sent while the standby is down waits in
PgBouncer's queue for ``query_wait_timeout``; straight to the server, a dead standby
refuses at once and a hung one times out (2 s to connect, 1 s for the query). The probe's
one query also says how far behind the standby is. Requests only read the cached mark,
so routing costs no round trip; while one thread probes, the others use the last mark.

A replica that cannot be reached is skipped for ``RETRY_SECONDS``; one found more than
``MAX_LAG_SECONDS`` behind by two probes in a row is skipped until a later probe finds
it caught up. Each change
of state is logged, and the counters here (reads sent to the primary instead, by reason)
are what ``/ops/replica`` reports.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from app.platform.telemetry import metrics

logger = logging.getLogger("milestones.replica")

#: Is it a standby; is its WAL receiver streaming from the primary (a standby that lost its
#: primary has replayed all it received and would otherwise look "0 s behind" forever; a role
#: without pg_read_all_stats sees the receiver's row but not its status: NULL, not "down");
#: how far it has replayed (read-your-writes by WAL position compares it with a client's last write);
#: and how many seconds behind: 0 when it has replayed all it received, else the age of the
#: last transaction it replayed (which would grow forever on an idle primary otherwise).
LAG_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn()::text,
       (SELECT count(*) FROM pg_stat_wal_receiver) > 0
           AND coalesce((SELECT status FROM pg_stat_wal_receiver), 'streaming') = 'streaming',
       CASE
           WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
           ELSE GREATEST(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
       END
"""


@dataclass
class ReplicaState:
    usable: bool = True
    reason: str = ""
    lag_seconds: float | None = None
    #: ``time.monotonic()`` after which the next probe is due.
    next_probe: float = 0.0
    probes: int = 0
    #: The last probe found it too far behind; the next, sooner, confirms or clears that.
    suspect: bool = False
    #: The furthest WAL position it is known to have replayed (probes and checks only move it on).
    replayed_lsn: int = 0
    #: Whether it answered its last probe and query, usable or not (a standby that stopped streaming
    #: or fell behind still answers): it can then serve reads when the primary cannot (``STALE_READS``).
    answered: bool = True
    #: Read requests it served, older than the primary, because the primary failed under them.
    stale_reads: int = 0
    fallbacks: Counter = field(default_factory=Counter)
    probing: threading.Lock = field(default_factory=threading.Lock)


HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

#: How soon a probe that found the replica too far behind is repeated to confirm it.
CONFIRM_SECONDS = 0.25

_states: dict[str, ReplicaState] = {}
_lock = threading.Lock()


def usable(alias: str) -> bool:
    """Whether reads may go to ``alias`` now; counts a fallback to the primary when not."""
    state = _state(alias)
    # One thread probes when a probe is due; the others go on with the last answer meanwhile.
    if time.monotonic() >= state.next_probe and state.probing.acquire(blocking=False):
        try:
            _probe(alias, state)
        finally:
            state.probing.release()
    if state.usable:
        return True
    reason = state.reason.split(":")[0]
    with _lock:
        state.fallbacks[reason] += 1
    metrics.REPLICA_FALLBACKS.labels(reason).inc()
    return False


def _probe(alias: str, state: ReplicaState) -> None:
    import psycopg

    limits = _limits()
    state.probes += 1
    try:
        with psycopg.connect(**_probe_params(alias), autocommit=True) as connection:
            standby, replayed, streaming, lag = connection.execute(LAG_SQL).fetchone() or (False, None, False, None)
    except psycopg.Error as exc:
        state.answered = False
        _mark(alias, state, False, f"down: {_first_line(exc)}", retry_after=limits["RETRY_SECONDS"])
        return
    state.answered = True
    if not standby or not streaming:
        problem = "is not a standby (promoted?)" if not standby else "is not streaming from the primary"
        _mark(alias, state, False, f"down: the server {problem}", retry_after=limits["RETRY_SECONDS"])
        return
    state.lag_seconds = float(lag or 0)
    metrics.REPLICA_LAG.set(state.lag_seconds)
    _replayed_to(state, replayed)
    if state.lag_seconds > limits["MAX_LAG_SECONDS"]:
        if not state.suspect:
            # The first WAL after a quiet spell looks "behind" by the whole quiet spell until it
            # is replayed, a millisecond later; only a second probe that agrees marks it lagging.
            state.suspect = True
            state.next_probe = time.monotonic() + CONFIRM_SECONDS
            return
        reason = f"lagging: {state.lag_seconds:.2f} s behind the primary"
        _mark(alias, state, False, reason, retry_after=limits["CHECK_SECONDS"])
        return
    _mark(alias, state, True, "", retry_after=limits["CHECK_SECONDS"])


def replayed(alias: str, needed: int) -> bool:
    """Has the replica replayed WAL position ``needed``? The last reading answers when it is far
    enough; otherwise one ``pg_last_wal_replay_lsn()`` on the replica's own connection does, and
    moves the reading on for every later request in this process."""
    from django.db import DatabaseError, connections

    state = _state(alias)
    if state.replayed_lsn >= needed:
        return True
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
            row = cursor.fetchone()
    except DatabaseError as exc:
        mark_down(alias, exc)
        return False
    _replayed_to(state, row[0] if row else None)
    return state.replayed_lsn >= needed


def _replayed_to(state: ReplicaState, text: str | None) -> None:
    position = parse_lsn(text)
    if position is not None:
        with _lock:
            state.replayed_lsn = max(state.replayed_lsn, position)


def parse_lsn(text: str | None) -> int | None:
    """``"16/B374D848"`` (PostgreSQL's ``pg_lsn`` text) as a number, or ``None`` when it is not one."""
    if not text or len(text) > 17:
        return None
    high, slash, low = text.partition("/")
    if not (slash and 0 < len(high) <= 8 and 0 < len(low) <= 8 and set(high + low) <= HEX_DIGITS):
        return None
    return (int(high, 16) << 32) + int(low, 16)


def _probe_params(alias: str) -> dict[str, Any]:
    """The replica alias's credentials and database, at the standby's own address."""
    from django.db import connections

    database = connections.settings[alias]
    probe = settings.REPLICA_ROUTING["PROBE"]
    return {
        "host": probe["HOST"],
        "port": probe["PORT"],
        "user": database["USER"],
        "password": database["PASSWORD"],
        "dbname": database["NAME"],
        # psycopg waits at least 2 s for a connection; the query itself gets one second.
        "connect_timeout": 2,
        "options": "-c statement_timeout=1000",
    }


def mark_down(alias: str, error: BaseException) -> None:
    """A query on the replica failed between probes: skip it until the next probe after RETRY_SECONDS."""
    _state(alias).answered = False
    _mark(alias, _state(alias), False, f"down: {_first_line(error)}", retry_after=_limits()["RETRY_SECONDS"])


def answers(alias: str) -> bool:
    """Whether the replica answered when last asked, though it may be skipped for reads."""
    return _state(alias).answered


def count_stale_read(alias: str) -> None:
    state = _state(alias)
    with _lock:
        state.stale_reads += 1


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


def _mark(alias: str, state: ReplicaState, ok: bool, reason: str, *, retry_after: float) -> None:
    with _lock:
        state.suspect = False
        changed = state.usable != ok or state.reason.split(":")[0] != reason.split(":")[0]
        state.usable, state.reason = ok, reason
        state.next_probe = time.monotonic() + retry_after
    metrics.REPLICA_USABLE.set(1 if ok else 0)
    if changed and ok:
        logger.warning("replica %s is back: reads go to it again", alias)
    elif changed:
        logger.warning("replica %s skipped, reads go to the primary: %s", alias, reason)


def _state(alias: str) -> ReplicaState:
    with _lock:
        return _states.setdefault(alias, ReplicaState())


def _limits() -> dict[str, float]:
    routing = settings.REPLICA_ROUTING
    return {key: float(routing[key]) for key in ("MAX_LAG_SECONDS", "RETRY_SECONDS", "CHECK_SECONDS")}


def report() -> dict[str, Any]:
    """This process's view of each replica, for operators (``/ops/replica``)."""
    with _lock:
        return {
            alias: {
                "usable": state.usable,
                "reason": state.reason,
                "lag_seconds": state.lag_seconds,
                "probes": state.probes,
                "reads_sent_to_primary": dict(state.fallbacks),
                "reads_served_stale": state.stale_reads,
            }
            for alias, state in _states.items()
        }


def reset() -> None:
    """Forget every mark (tests; an operator who fixed the replica need not: probes notice)."""
    with _lock:
        _states.clear()
