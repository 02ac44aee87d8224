"""Every call to someone else's server ends by its deadline, however slowly the other side answers."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.mail import EmailMessage, get_connection, send_mail

from app.platform.models import JobRun
from app.platform.outbound import http as outbound
from app.shop.services import order_checkout
from app.teams.services import team_set_webhook
from tests.factories import ProductFactory, TeamFactory, UserFactory
from tests.webhook_receiver import start_receiver

pytestmark = pytest.mark.tier_independent

DEADLINE = 1.5
#: What finishing "by the deadline" allows for: the event loop's start and the socket's close.
SLACK = 1.0
#: A checkout around the webhook also writes the order and its outbox rows; on a loaded machine that
#: took 2.3 s more. Still bounded: the trickling receiver would hold an unbounded call for hours.
CHECKOUT_SLACK = 5.0


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()


def post(url: str) -> outbound.Answer:
    return outbound.post(url, body=b"{}", headers={"Content-Type": "application/json"}, deadline=DEADLINE)


@pytest.mark.parametrize("trickle", ["headers", "body", "silent"])
def test_a_receiver_that_trickles_or_never_answers_is_cut_off_at_the_deadline(receiver, trickle):
    receiver.trickle = trickle
    began = time.monotonic()
    with pytest.raises(outbound.OutboundError, match=f"took longer than {DEADLINE:g} s"):
        post(receiver.url)
    assert time.monotonic() - began < DEADLINE + SLACK


def test_an_answer_within_the_deadline_is_read(receiver):
    answer = post(receiver.url)
    assert answer.ok
    assert answer.status == 204
    assert len(receiver.deliveries) == 1


def test_a_refusal_is_an_answer_not_an_error(receiver):
    receiver.fail_next = 1
    answer = post(receiver.url)
    assert (answer.ok, answer.status) == (False, 500)


def test_nothing_listening_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(outbound.OutboundError, match="could not reach"):
        post(f"http://127.0.0.1:{port}/")


def test_a_redirect_is_not_followed():
    with _raw_server(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/\r\nContent-Length: 0\r\n\r\n") as url:
        assert post(url).status == 302


def test_a_name_that_takes_long_to_resolve_is_cut_off_at_the_deadline(monkeypatch):
    """A lookup cannot be cancelled; the call returns at the deadline and leaves it behind."""
    resolve = socket.getaddrinfo

    def hanging_resolver(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "slow.example":
            time.sleep(DEADLINE + 3)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging_resolver)
    began = time.monotonic()
    with pytest.raises(outbound.OutboundError, match=f"took longer than {DEADLINE:g} s"):
        post("http://slow.example/hook")
    assert time.monotonic() - began < DEADLINE + SLACK


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("inline_jobs")
def test_a_checkout_is_not_held_by_a_trickling_webhook(settings, receiver):
    """At tier0 the webhook job runs inside the checkout request: the deadline bounds the request."""
    settings.WEBHOOK_TIMEOUT_SECONDS = DEADLINE
    receiver.trickle = "body"
    owner = UserFactory()
    team = team_set_webhook(actor=owner, team=TeamFactory(owner=owner), url=receiver.url)
    began = time.monotonic()
    order = order_checkout(user=UserFactory(), product_id=ProductFactory(team=team).pk, quantity=1)
    assert time.monotonic() - began < DEADLINE + CHECKOUT_SLACK
    assert order.pk
    run = JobRun.objects.get(name="app.shop.jobs.deliver_order_webhook")
    assert run.status == JobRun.Status.FAILED
    assert f"took longer than {DEADLINE:g} s" in run.last_error


def trickle_greeting(conn: socket.socket) -> None:
    """A mail server that sends its greeting one byte every half second, never idle for long."""
    for byte in b"220 slow.example ESMTP\r\n" * 100:
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


def answer_smtp(conn: socket.socket) -> None:
    """Just enough of a mail server for smtplib to deliver: 250 to every command, 354 to DATA."""
    conn.sendall(b"220 mail.example ESMTP\r\n")
    lines = conn.makefile("rb")
    for line in lines:
        verb = line[:4].upper()
        if verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        if verb == b"DATA":
            conn.sendall(b"354 go ahead\r\n")
            for data in lines:
                if data == b".\r\n":
                    break
        conn.sendall(b"250 ok\r\n")


@contextlib.contextmanager
def mail_server(settings: Any, handle: Callable[[socket.socket], None]) -> Iterator[None]:
    """An SMTP server on 127.0.0.1 that talks to each connection with ``handle``; settings point at it."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):  # the listener was closed: the test is over
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=talk, args=[conn], daemon=True).start()

    def talk(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client hung up, as it should
            handle(conn)

    threading.Thread(target=serve, daemon=True).start()
    settings.EMAIL_BACKEND = "app.platform.outbound.mail.DeadlineEmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_DEADLINE_SECONDS = DEADLINE
    try:
        yield
    finally:
        listener.close()


def test_a_mail_server_that_trickles_its_replies_is_cut_off_at_the_deadline(settings):
    with mail_server(settings, trickle_greeting):
        began = time.monotonic()
        with pytest.raises(smtplib.SMTPException, match=f"took longer than {DEADLINE:g} s"):
            send_mail("Hello", "body", None, ["someone@example.com"])
    assert time.monotonic() - began < DEADLINE + SLACK


def test_opening_a_connection_yourself_is_bounded_too(settings):
    with mail_server(settings, trickle_greeting):
        began = time.monotonic()
        with pytest.raises(smtplib.SMTPException, match=f"took longer than {DEADLINE:g} s"):
            get_connection().open()  # as ``with get_connection() as connection:`` does
    assert time.monotonic() - began < DEADLINE + SLACK


def test_fail_silently_still_fails_silently_by_the_deadline(settings):
    with mail_server(settings, trickle_greeting):
        began = time.monotonic()
        assert send_mail("Hello", "body", None, ["someone@example.com"], fail_silently=True) == 0
    assert time.monotonic() - began < DEADLINE + SLACK


def test_a_connection_kept_open_outlives_the_deadline_of_the_call_that_opened_it(settings):
    """Each call gets its own deadline; the watchdog of a finished call leaves the connection alone."""
    with mail_server(settings, answer_smtp), get_connection() as connection:
        message = EmailMessage("Hello", "body", None, ["someone@example.com"])
        assert connection.send_messages([message]) == 1
        time.sleep(DEADLINE + 0.2)
        assert connection.send_messages([message]) == 1


class _raw_server:  # noqa: N801 - used as a context manager, like a function
    """Answers every connection with ``reply`` and closes it."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()

    def __enter__(self) -> str:
        def serve() -> None:
            with self.listener:
                try:
                    conn, _ = self.listener.accept()
                except OSError:
                    return
                with conn:
                    conn.recv(65536)
                    conn.sendall(self.reply)

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/"

    def __exit__(self, *exc: object) -> None:
        self.listener.close()


def test_it_works_where_an_event_loop_already_runs(receiver):
    """A caller inside a running loop (an async view, a test's browser driver) still gets its answer."""
    import asyncio

    async def inside_a_loop() -> outbound.Answer:
        return post(receiver.url)

    # In a thread of its own, whose loop is ours: this test's thread may already run one (Playwright's).
    answers: list[outbound.Answer] = []
    caller = threading.Thread(target=lambda: answers.append(asyncio.run(inside_a_loop())))
    caller.start()
    caller.join(timeout=30)
    assert [answer.status for answer in answers] == [204]
