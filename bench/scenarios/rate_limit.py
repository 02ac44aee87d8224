"""rate-limit: a log-in attack from one address at a fixed rate, against tier3's limits.

Through HAProxy, as the internet would reach it: the attacker connects from 127.0.0.3 and tries
a different username and password ``RATE`` times a second; a neighbour, from 127.0.0.4, logs in
to the demo account once a second meanwhile. HAProxy appends each one's address to
``X-Forwarded-For`` and the app counts per address (``RATE_LIMITS["login-address"]``), so the
attack must be cut to the limit while every one of the neighbour's log-ins succeeds.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.report import Report
from bench.stacks import bench_stack

ATTACKER = "127.0.0.3"
NEIGHBOUR = "127.0.0.4"
RATE = 10.0
NEIGHBOUR_EVERY = 1.0


def _client(base: str, source: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(
        base_url=base, timeout=30, transport=httpx.HTTPTransport(local_address=source), follow_redirects=False
    )
    page = client.get("accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the log-in page"
    return client, token.group(1)


def _attempt(client: httpx.Client, token: str, base: str, username: str, password: str) -> int:
    return client.post(
        "accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "accounts/login/"},
    ).status_code


def run(*, seconds: float, quick: bool = False) -> Report:
    duration = max(seconds, 6.0)
    with bench_stack("tier3", "rate-limit") as stack:
        base = stack.url()
        limit = stack.ctx.settings.RATE_LIMITS["login-address"]
        attacker, attacker_token = _client(base, ATTACKER)
        attack: Counter[int] = Counter()
        calm: Counter[int | str] = Counter()
        stop = threading.Event()

        def neighbourly() -> None:
            while not stop.is_set():  # a visitor opening the log-in page, then logging in
                try:
                    neighbour, token = _client(base, NEIGHBOUR)
                    try:
                        calm[_attempt(neighbour, token, base, "demo", "demo12345")] += 1
                    finally:
                        neighbour.close()
                except (httpx.HTTPError, AssertionError) as exc:
                    calm[f"failed: {type(exc).__name__}: {exc}"[:120]] += 1
                stop.wait(NEIGHBOUR_EVERY)

        calm_thread = threading.Thread(target=neighbourly)
        calm_thread.start()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = []
            for number in range(int(duration * RATE)):
                time.sleep(max(0.0, started + number / RATE - time.monotonic()))
                futures.append(pool.submit(_attempt, attacker, attacker_token, base, f"guess{number}", "wrong"))
            for future in futures:
                attack[future.result()] += 1
        stop.set()
        calm_thread.join()
        attacker.close()
    sent = sum(attack.values())
    let_through = sent - attack[429]
    neighbour_ok = calm[302]
    rows = [
        ["attacker " + ATTACKER, sent, let_through, attack[429], dict(attack)],
        ["neighbour " + NEIGHBOUR, sum(calm.values()), neighbour_ok, calm[429], dict(calm)],
    ]
    return Report(
        scenario="rate-limit",
        columns=["client", "log-ins sent", "let through", "refused (429)", "statuses"],
        rows=rows,
        ratio=let_through / limit["count"],
        ratio_label=(
            f"attacker's log-ins let through ÷ the limit ({limit['count']} per {limit['seconds']}s): ≤ 1 means cut "
            "to the limit"
        ),
        notes=[
            f"through HAProxy for {duration:.0f}s: the attacker at {RATE:g}/s, a different username each time; "
            f"the neighbour logs in every {NEIGHBOUR_EVERY:g}s",
            f"neighbour's log-ins that succeeded: {neighbour_ok} of {sum(calm.values())}",
        ],
        figures={"attack": dict(attack), "neighbour": dict(calm), "limit": limit},
        chart=[
            ("attacker sent", float(sent)),
            ("attacker let through", float(let_through)),
            ("neighbour sent", float(sum(calm.values()))),
            ("neighbour succeeded", float(neighbour_ok)),
        ],
        chart_unit="log-ins",
    )
