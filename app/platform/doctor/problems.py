"""The milestone problems the doctor can name: which tier's milestone fixes each, what to do
when the deployment is already on that tier, and what not to do yet.

A problem is fixed by a milestone, not by the next tier wholesale: the advice names the one
change (an index, eager loading, a pooler) so a team moves up only as far as it must.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    key: str
    title: str
    #: The tier whose milestone fixes it, and how.
    fixed_by: str
    fix: str
    #: What to look at when the deployment already runs that tier.
    already: str
    #: The tempting move that would not help yet.
    not_yet: str


PROBLEMS = {
    problem.key: problem
    for problem in (
        Problem(
            "missing-index",
            "sequential scans on a big table",
            "tier1",
            "the index milestone: add the index the query needs, CONCURRENTLY, in a migration of "
            "app.indexes (make bench S=index shows the difference)",
            "the query is new or changed since the indexes were chosen: add its index to app.indexes",
            "do not add a read replica or a cache to hide it; a replica runs the same full scan",
        ),
        Problem(
            "n-plus-one",
            "queries per request grow with the page (N+1)",
            "tier1",
            "eager loading: LOADING_STRATEGY = EagerLoading (select_related/prefetch_related in the "
            "page's queryset), so a page costs the same few queries at any size",
            "a code path loads lazily despite the strategy: prefetch what the template touches",
            "do not cache the page to hide it: every miss and every signed-in view still pays it",
        ),
        Problem(
            "connection-saturation",
            "database connections near max_connections",
            "tier2",
            "PgBouncer in transaction mode in front of PostgreSQL, so app processes share a few server connections",
            "the pool is too small for the load or transactions are held open: look at idle in "
            "transaction sessions before growing default_pool_size",
            "do not raise max_connections: every server connection costs memory and contention",
        ),
        Problem(
            "queue-backing-up",
            "a job queue is backing up",
            "tier2",
            "a worker per queue with priorities (critical, default, bulk), so slow bulk work cannot "
            "hold up e-mails, and queue-depth alerts",
            "check that the queue's workers are running (make ps), then add concurrency to that "
            "queue's worker (WORKERS) or find the job that got slow",
            "do not add a second broker or shard: one Redis moves thousands of jobs a second",
        ),
        Problem(
            "outbox-backlog",
            "committed jobs are not reaching the broker",
            "tier1",
            "the transactional outbox and its relay re-send what the broker did not get",
            "the broker is unreachable or the relay is not running: make ps, then the broker's log",
            "do not delete JobRun rows: each is a committed job (an e-mail, an invoice) still owed",
        ),
        Problem(
            "replica-lag",
            "the read replica is behind",
            "tier2",
            "reads move to a streaming replica, and a replica past MAX_LAG_SECONDS is skipped",
            "reads already fall back to the primary; find the long query or the WAL burst "
            "holding replay back (pg_stat_activity on the replica)",
            "do not add replicas before the lag is explained: each replays the same WAL",
        ),
        Problem(
            "low-cache-hit-ratio",
            "the application cache misses too often",
            "tier3",
            "cache-aside with versioned keys on a Redis of its own for the pages and aggregates",
            "entries are invalidated too broadly or expire too soon: look at the topics a write "
            "invalidates and at FRESH_SECONDS",
            "do not add tier4's layered cache before the shared one hits",
        ),
        Problem(
            "slow-requests",
            "p95 latency is high",
            "tier3",
            "cache the pages and aggregates that cost the most, and run more app instances",
            "CPU is the limit once the cache hits (make bench S=scale-out): more instances, or cores",
            "do not shard (tier4) while one primary still keeps up: fix the query, the N+1 or the cache first",
        ),
    )
}


def tier_number(tier: str) -> int:
    return int(tier.removeprefix("tier"))
