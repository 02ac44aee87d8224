"""The development SMTP sink (the server itself is ``app/runner/smtp_sink.py``)."""

from __future__ import annotations

from pathlib import Path

from app.runner import processes
from app.runner.units.kinds import Context, Daemon


class SmtpSink(Daemon):
    """A local SMTP server that stores every message as a file, after an optional delay.

    The delay (``SMTP_DELAY_MS``) stands in for a real provider's latency, so the
    cost of sending mail inside a request shows up in development and benchmarks.
    """

    name = "smtp"

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port("SMTP_PORT")]

    def command(self, ctx: Context) -> list[str]:
        return [
            ctx.python,
            "-m",
            "app.runner.smtp_sink",
            "--port",
            str(ctx.port("SMTP_PORT")),
            "--maildir",
            str(self.maildir(ctx)),
            "--delay-ms",
            ctx.env.get("SMTP_DELAY_MS", "0"),
        ]

    def ready(self, ctx: Context) -> bool:
        return processes.port_open(ctx.port("SMTP_PORT"))

    def address(self, ctx: Context) -> str:
        return f"smtp://127.0.0.1:{ctx.port('SMTP_PORT')} → {self.maildir(ctx)}"

    @staticmethod
    def maildir(ctx: Context) -> Path:
        return ctx.var_dir / "mail"

    @classmethod
    def messages(cls, ctx: Context) -> list[str]:
        """Every message received so far, in file-name order (the sink names them by arrival)."""
        return [path.read_text(errors="replace") for path in sorted(cls.maildir(ctx).glob("*.eml"))]
