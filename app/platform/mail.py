"""Sending e-mail within one total deadline.

Django's SMTP backend gives every socket operation ``EMAIL_TIMEOUT`` seconds, so a mail
server that sends its greeting, or each reply, a byte at a time can hold the sender for as
long as it likes. This backend bounds a whole ``send_messages`` call — connect, greeting,
every command and reply — by ``EMAIL_DEADLINE_SECONDS``: a watchdog shuts the connection's
socket down when the deadline passes, which ends whatever read is blocked on it.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend


class DeadlineEmailBackend(EmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        deadline = float(settings.EMAIL_DEADLINE_SECONDS)
        self._deadline_at = time.monotonic() + deadline
        self._watchdogs: list[threading.Timer] = []
        try:
            return super().send_messages(email_messages)
        except (smtplib.SMTPException, OSError) as exc:
            if time.monotonic() >= self._deadline_at:
                raise smtplib.SMTPException(f"the mail server took longer than {deadline:g} s") from exc
            raise
        finally:
            for watchdog in self._watchdogs:
                watchdog.cancel()

    @property
    def connection_class(self) -> Any:
        base = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
        backend = self

        class DeadlineSMTP(base):  # type: ignore[misc, valid-type]
            def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
                remaining = backend._deadline_at - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no time left to connect to the mail server")
                sock = super()._get_socket(host, port, min(timeout, remaining))
                watchdog = threading.Timer(remaining, _shut, [sock])
                watchdog.daemon = True
                watchdog.start()
                backend._watchdogs.append(watchdog)
                return sock

        return DeadlineSMTP


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: the send finished or failed first
        sock.shutdown(socket.SHUT_RDWR)
