"""checkout-latency: POST /api/v1/orders with the SMTP sink answering at once vs after 300 ms.

tier0 sends the confirmation email inside the request, so a slow mail provider is
the customer's wait. Both runs happen here, one after the other; every order placed
must also have its email in the sink (they are counted).
"""

from __future__ import annotations

import time

from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack, probe, token_for

DELAYS_MS = (0, 300)
BODY = '{"product_id": 1, "quantity": 1}'


def run(*, seconds: float) -> Report:
    rows, medians, figures = [], {}, {}
    for delay in DELAYS_MS:
        with bench_stack("tier0", f"checkout-latency-{delay}", SMTP_DELAY_MS=str(delay)) as stack:
            lua = wrk.post_json(BODY, token_for(stack))
            before = probe(stack, "orders")
            load = wrk.run(stack.url() + "api/v1/orders", seconds=seconds, connections=4, lua=lua, timeout="30s")
            placed = probe(stack, "orders") - before
            emails = _confirmations(stack, placed)
        if not load.ok:
            raise wrk.NoRequests(f"no checkout completed with the SMTP sink delaying {delay} ms")
        medians[delay] = load.p50_ms
        figures[f"smtp_delay_{delay}ms"] = {"load": load.__dict__, "orders": placed, "emails": emails}
        rows.append(
            [
                f"tier0, SMTP delay {delay} ms",
                load.requests,
                load.p50_ms,
                load.p95_ms,
                load.non_2xx + load.errors,
                placed,
                emails,
            ]
        )
    return Report(
        scenario="checkout-latency",
        columns=["run", "checkouts", "p50 ms", "p95 ms", "errors", "orders", "emails"],
        rows=rows,
        ratio=medians[300] / medians[0],
        ratio_label="tier0 median checkout with a 300 ms mail provider / with an instant one",
        notes=["wrk -c4 POST /api/v1/orders as the demo user; emails counted in the SMTP sink's folder"],
        figures=figures,
        chart=[(f"p50, SMTP delay {d} ms", medians[d]) for d in DELAYS_MS],
        chart_unit="ms",
    )


def _confirmations(stack, expected: int, timeout: float = 30) -> int:  # type: ignore[no-untyped-def]
    """Order-confirmation emails in the sink, waiting for stragglers up to ``expected``."""
    deadline = time.monotonic() + timeout
    while True:
        count = sum(
            "Subject: Your order #" in p.read_text(errors="replace") for p in (stack.ctx.var_dir / "mail").glob("*.eml")
        )
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.2)
