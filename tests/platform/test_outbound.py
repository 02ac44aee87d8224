"""Every call to someone else's server ends by its deadline, however slowly the other side answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.mail import send_mail

from app.platform import outbound
from tests.webhook_receiver import start_receiver

pytestmark = pytest.mark.tier_independent

DEADLINE = 1.5
#: What finishing "by the deadline" allows for: the event loop's start and the socket's close.
SLACK = 1.0


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


@pytest.fixture
def trickling_mail_server() -> Iterator[int]:
    """An SMTP server that sends its greeting one byte every half second."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                for byte in b"220 slow.example ESMTP\r\n" * 100:
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
                    time.sleep(0.5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_a_mail_server_that_trickles_its_replies_is_cut_off_at_the_deadline(settings, trickling_mail_server):
    settings.EMAIL_BACKEND = "app.platform.mail.DeadlineEmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", trickling_mail_server
    settings.EMAIL_DEADLINE_SECONDS = DEADLINE
    began = time.monotonic()
    with pytest.raises(Exception, match=f"took longer than {DEADLINE:g} s"):
        send_mail("Hello", "body", None, ["someone@example.com"])
    assert time.monotonic() - began < DEADLINE + SLACK


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

    assert asyncio.run(inside_a_loop()).status == 204
