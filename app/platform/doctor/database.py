"""Checks read from PostgreSQL's own statistics: full scans of big tables (and the statement
behind them, with a likely index) and connections against ``max_connections``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, connections

from app.platform.doctor.examination import Examination
from app.platform.doctor.index_hint import likely_index
from app.platform.doctor.report import Finding, Status, shorten

SEQ_SCANS = "sequential scans"
CONNECTIONS = "connections"


def _rows(sql: str, params: Iterable[Any] = (), using: str = "default") -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _on_postgresql(check: str, what: str) -> Finding | None:
    if connection.vendor == "postgresql":
        return None
    return Finding(check, Status.SKIPPED, f"{connection.vendor} keeps no {what}; PostgreSQL (tier1) does")


def servers() -> list[str]:
    """The aliases of the database servers reads run on: each keeps its own statistics."""
    return ["default", *([settings.REPLICA_ROUTING["ALIAS"]] if settings.REPLICA_ROUTING else [])]


def sequential_scans(exam: Examination) -> list[Finding]:
    """Tables of ``BIG_TABLE_ROWS`` or more that are mostly read by sequential scans: each such
    scan reads the whole table, so its cost grows with the data, not with the answer. Read on
    the primary and on the replica (where the tier has one): the reads it takes are scanned there."""
    if skipped := _on_postgresql(SEQ_SCANS, "scan statistics"):
        return [skipped]
    findings = [finding for alias in servers() for finding in _full_scans(exam, alias)]
    if findings:
        return findings
    return [
        Finding(
            SEQ_SCANS,
            Status.OK,
            f"no table of {exam['BIG_TABLE_ROWS']:,}+ rows is read mostly by sequential scans",
        )
    ]


def _full_scans(exam: Examination, alias: str) -> list[Finding]:
    # Its size from the planner's estimate (kept by VACUUM and ANALYZE), which a statistics reset
    # leaves alone, or from the live-row counter, whichever is larger.
    tables = _rows(
        """SELECT s.relname, greatest(c.reltuples::bigint, s.n_live_tup), s.seq_scan, s.seq_tup_read,
                  coalesce(s.idx_scan, 0)
             FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
            WHERE greatest(c.reltuples::bigint, s.n_live_tup) >= %s AND s.seq_scan >= %s
            ORDER BY s.seq_tup_read DESC""",
        [exam["BIG_TABLE_ROWS"], exam["MIN_SEQ_SCANS"]],
        alias,
    )
    where = "" if alias == "default" else f" on {alias}"
    findings = []
    for table, live, seq_scans, rows_read, index_scans in tables:
        share = seq_scans / (seq_scans + index_scans)
        if share < exam["SEQ_SCAN_SHARE"]:
            continue
        evidence = [
            f"{table}{where}: {live:,} rows, {seq_scans:,} sequential scans ({share:.0%} of its scans) "
            f"reading {rows_read:,} rows, {index_scans:,} index scans"
        ]
        evidence.extend(_statement_and_index(table, alias))
        findings.append(
            Finding(SEQ_SCANS, Status.PROBLEM, f"{table} is read by full scans{where}", evidence, "missing-index")
        )
    return findings


def _statement_and_index(table: str, alias: str) -> list[str]:
    """The costliest statements touching ``table`` (pg_stat_statements) and, for the first whose
    filter no index leads with, the index it likely needs."""
    if not _rows("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'", using=alias):
        return ["pg_stat_statements is not installed in this database: CREATE EXTENSION pg_stat_statements"]
    statements = _rows(
        """SELECT query, calls, total_exec_time
             FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query ~* '^\\s*select' AND query LIKE %s
            ORDER BY total_exec_time DESC
            LIMIT 5""",
        [f'%"{table}"%'],
        alias,
    )
    indexed = _index_columns(table, alias)
    for query, calls, total_ms in statements:
        if index := likely_index(query, table, indexed):
            return [
                f"statement ({calls:,} calls, {total_ms:,.0f} ms in all): {shorten(query)}",
                f"likely index: {index}",
            ]
    if statements:
        query, calls, total_ms = statements[0]
        return [f"statement ({calls:,} calls, {total_ms:,.0f} ms in all): {shorten(query)}"]
    return ["no statement on it in pg_stat_statements (reset since, or not tracked)"]


def _index_columns(table: str, alias: str) -> list[list[str]]:
    """Each index of ``table`` as its column names, in order."""
    rows = _rows(
        """SELECT array_agg(a.attname ORDER BY k.ord)
             FROM pg_index i
             JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = %s::regclass
            GROUP BY i.indexrelid""",
        [table],
        alias,
    )
    return [list(columns) for (columns,) in rows]


def connections_in_use(exam: Examination) -> list[Finding]:
    """Client connections against what the server allows: past ``CONNECTIONS_PROBLEM`` of them the
    next app process or worker to connect may be refused."""
    if skipped := _on_postgresql(CONNECTIONS, "connection limit"):
        return [skipped]
    try:
        ((in_use, idle_in_transaction, limit),) = _rows(
            """SELECT count(*) FILTER (WHERE backend_type = 'client backend'),
                      count(*) FILTER (WHERE state LIKE 'idle in transaction%%'),
                      current_setting('max_connections')::int
                      - current_setting('superuser_reserved_connections')::int
                 FROM pg_stat_activity"""
        )
    except OperationalError as exc:
        if "too many" not in str(exc):  # "sorry, too many clients already"
            raise
        return [
            Finding(
                CONNECTIONS,
                Status.PROBLEM,
                "the server refuses new connections",
                [" ".join(str(exc).split())],
                "connection-saturation",
            )
        ]
    share = in_use / limit
    summary = f"{in_use} of {limit} connections in use ({share:.0%})"
    evidence = [f"{idle_in_transaction} idle in transaction"] if idle_in_transaction else []
    if share >= exam["CONNECTIONS_PROBLEM"]:
        return [Finding(CONNECTIONS, Status.PROBLEM, summary, evidence, "connection-saturation")]
    if share >= exam["CONNECTIONS_WATCH"]:
        return [Finding(CONNECTIONS, Status.WATCH, summary, evidence, "connection-saturation")]
    return [Finding(CONNECTIONS, Status.OK, summary, evidence)]


def reset_statistics() -> str:
    """Start a new window: the scan and statement counters are cumulative since their last reset,
    so a fixed problem would otherwise keep showing until they are."""
    if connection.vendor != "postgresql":
        return f"{connection.vendor} keeps no statistics to reset."
    for alias in servers():
        _rows("SELECT pg_stat_reset()", using=alias)
        if _rows("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'", using=alias):
            _rows("SELECT pg_stat_statements_reset()", using=alias)
    return "Table and statement statistics reset; the doctor now judges what happens from here."
