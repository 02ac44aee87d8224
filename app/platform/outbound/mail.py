"""Sending e-mail within one total deadline.

Django's SMTP backend gives every socket operation ``EMAIL_TIMEOUT`` seconds, so a mail
server that sends its greeting, or each reply, a byte at a time can hold the sender for as
long as it likes. This backend bounds each ``send_messages`` call — connect, greeting, every
command and reply — and each ``open`` (``with get_connection() as connection:``) by
``EMAIL_DEADLINE_SECONDS``: a watchdog shuts the connection's socket down when the deadline
passes, which ends whatever read is blocked on it.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

_T = TypeVar("_T")


class DeadlineEmailBackend(EmailBackend):
    """Django's SMTP backend, each call ended by ``EMAIL_DEADLINE_SECONDS``; ``fail_silently`` as there."""

    _deadline_at: float | None = None
    _expired = False
    _smtp: smtplib.SMTP | None = None

    def open(self) -> bool | None:
        return self._within_deadline(super().open)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        return self._within_deadline(super().send_messages, email_messages)

    def _within_deadline(self, call: Callable[..., _T], *args: Any) -> _T:
        """``call(*args)`` with the watchdog armed, unless an outer call armed it (``send_messages`` opens)."""
        if self._deadline_at is not None:
            return call(*args)
        seconds = float(settings.EMAIL_DEADLINE_SECONDS)
        deadline_at = self._deadline_at = time.monotonic() + seconds
        self._expired = False
        watchdog = threading.Timer(seconds, self._expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            result = call(*args)
        except OSError as exc:  # smtplib's errors are OSErrors too
            if self._expired or time.monotonic() >= deadline_at:
                raise _late(seconds) from exc
            raise
        finally:
            watchdog.cancel()
            self._deadline_at = None
        if self._expired:  # smtplib took a reply cut short (b"220") for a whole one: the connection is dead
            self.close()
            if not self.fail_silently:
                raise _late(seconds)
        return result

    def _expire(self) -> None:
        """At the deadline: shut down the socket the connection uses now (after STARTTLS, the TLS one)."""
        if self._deadline_at is None:
            return  # the call ended as the timer fired
        self._expired = True
        sock = getattr(self._smtp, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: the call failed first
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    @property
    def connection_class(self) -> Any:
        base = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
        backend = self

        class DeadlineSMTP(base):  # type: ignore[misc, valid-type]
            def _get_socket(self, host: str, port: int, timeout: Any) -> socket.socket:
                """Connect within what is left of the deadline; let the watchdog find this connection."""
                backend._smtp = self
                remaining = (backend._deadline_at or 0.0) - time.monotonic()  # open() runs under one
                if remaining <= 0:
                    raise TimeoutError("no time left to connect to the mail server")
                limit = min(timeout, remaining) if isinstance(timeout, int | float) else remaining
                return super()._get_socket(host, port, limit)

        return DeadlineSMTP


def _late(seconds: float) -> smtplib.SMTPException:
    return smtplib.SMTPException(f"the mail server took longer than {seconds:g} s")
