"""checkout-latency: POST /api/v1/orders while the mail provider takes 300 ms per message.

tier0 sends the confirmation email inside the request, so the provider's latency is the
customer's wait; tier1 hands it to a worker after commit. A tier0 run with an instant
provider shows what checkout costs without mail. tier1 runs twice, with its transactional
outbox and with jobs only published after commit, to show what the outbox costs a checkout
(its three ``JobRun`` inserts in the order's transaction). Every order placed must also have
its email in the SMTP sink: they are counted (tier1's arrive after the load, from the worker).
"""

from __future__ import annotations

import time

from app.runner.stack import Stack
from app.runner.units.smtp import SmtpSink
from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack, probe, token_for

#: (tier, SMTP delay in ms, settings variant or None for the tier's own)
RUNS = (
    ("tier0", 0, None),
    ("tier0", 300, None),
    ("tier1", 300, "bench.settings.tier1_publish_on_commit"),
    ("tier1", 300, None),
)
VARIANT_LABEL = {None: "", "bench.settings.tier1_publish_on_commit": " without outbox"}
PRODUCT_ID = 1
BODY = f'{{"product_id": {PRODUCT_ID}, "quantity": 1}}'
#: Two shoppers, each checking out again 250 ms after the last answer: latency under a
#: realistic checkout rate, not the throughput of a flood (which on two shared cores would
#: measure the worker's PDF rendering competing with gunicorn for the CPU).
SHOPPERS, PAUSE_MS = 2, 250


def run(*, seconds: float, quick: bool = False) -> Report:
    rows, medians, runs = [], {}, {}
    for tier, delay, variant in RUNS:
        label = f"{tier}{VARIANT_LABEL[variant]}"
        with bench_stack(
            tier, f"checkout-latency-{tier}-{delay}-{bool(variant)}", settings_module=variant, SMTP_DELAY_MS=str(delay)
        ) as stack:
            lua = wrk.post_json(BODY, token_for(stack), pause_ms=PAUSE_MS)
            probe(stack, "restock", str(PRODUCT_ID))
            before = probe(stack, "orders")
            load = wrk.run(
                stack.url() + "api/v1/orders",
                seconds=seconds,
                connections=SHOPPERS,
                threads=SHOPPERS,
                lua=lua,
                timeout="30s",
            )
            placed = probe(stack, "orders") - before
            emails = _confirmations(stack, placed)
        if not load.ok:
            raise wrk.NoRequests(f"no checkout completed on {tier} with the SMTP sink delaying {delay} ms")
        medians[label, delay] = load.p50_ms
        runs[f"{label.replace(' ', '_')}_smtp_{delay}ms"] = {"load": vars(load), "orders": placed, "emails": emails}
        errors = load.non_2xx + load.errors
        rows.append([f"{label}, SMTP {delay} ms", load.requests, load.p50_ms, load.p95_ms, errors, placed, emails])
    outbox_cost = medians["tier1", 300] / medians["tier1 without outbox", 300]
    return Report(
        scenario="checkout-latency",
        columns=["run", "checkouts", "p50 ms", "p95 ms", "errors", "orders", "emails"],
        rows=rows,
        ratio=medians["tier0", 300] / medians["tier1", 300],
        ratio_label="median checkout with a 300 ms mail provider: tier0 / tier1",
        notes=[
            f"wrk -c{SHOPPERS}, each pausing {PAUSE_MS} ms between checkouts, POST /api/v1/orders as the demo user",
            "emails counted in each stack's SMTP sink folder once the queue is drained",
            f"outbox cost: tier1 median checkout with the outbox / without = {outbox_cost:.2f} (target ≤ 1.10)",
        ],
        figures={"runs": runs, "outbox_cost": outbox_cost},
        chart=[(f"{label} p50, SMTP {delay} ms", median) for (label, delay), median in medians.items()],
        chart_unit="ms",
    )


def _confirmations(stack: Stack, expected: int, timeout: float = 120) -> int:
    """Order-confirmation emails in the sink, waiting (for a worker's queue to drain) up to ``expected``."""
    deadline = time.monotonic() + timeout
    while True:
        count = sum("Subject: Your order #" in message for message in SmtpSink.messages(stack.ctx))
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.5)
