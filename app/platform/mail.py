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
from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend


class DeadlineEmailBackend(EmailBackend):
    """Django's SMTP backend, each call ended by ``EMAIL_DEADLINE_SECONDS``; ``fail_silently`` as there."""

    _deadline_at: float | None = None
    _smtp: smtplib.SMTP | None = None

    def open(self) -> bool | None:
        with self._deadline():
            return super().open()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        with self._deadline():
            return super().send_messages(email_messages)

    @contextlib.contextmanager
    def _deadline(self) -> Iterator[None]:
        """Arm the watchdog around the outermost call (``send_messages`` calls ``open``)."""
        if self._deadline_at is not None:
            yield
            return
        seconds = float(settings.EMAIL_DEADLINE_SECONDS)
        self._deadline_at = time.monotonic() + seconds
        watchdog = threading.Timer(seconds, self._expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            yield
        except OSError as exc:  # smtplib's errors are OSErrors too
            if time.monotonic() >= self._deadline_at:
                raise smtplib.SMTPException(f"the mail server took longer than {seconds:g} s") from exc
            raise
        finally:
            watchdog.cancel()
            self._deadline_at = None

    def _expire(self) -> None:
        """Shut down the socket the connection uses now (after STARTTLS, the TLS one)."""
        sock = getattr(self._smtp, "sock", None)
        if self._deadline_at is not None and sock is not None:
            with contextlib.suppress(OSError):  # already closed: the call finished or failed first
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
