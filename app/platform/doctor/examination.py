"""Runs the checks ``settings.DOCTOR["CHECKS"]`` names, each on its own: a source that is down or
slow becomes a skipped finding with the reason, never an error page or a hang."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

from app.platform.doctor.report import Finding, Report, Status

log = logging.getLogger("milestones.doctor")

Check = Callable[["Examination"], Iterable[Finding]]


class Examination:
    """What the checks share in one run: the thresholds, and sources read once (the sampled pages)."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        prometheus = (settings.METRICS or {}).get("PROMETHEUS_URL", "")
        self.options: dict[str, Any] = {**settings.DOCTOR, "PROMETHEUS_URL": prometheus, **(options or {})}

    def __getitem__(self, name: str) -> Any:
        return self.options[name]

    @functools.cached_property
    def pages(self) -> list[Any]:
        from app.platform.doctor.pages import sample

        return sample(self["SAMPLE_PATHS"], self["SAMPLES_PER_PATH"])


def examine(options: dict[str, Any] | None = None) -> Report:
    exam = Examination(options)
    findings: list[Finding] = []
    for path in exam["CHECKS"]:
        name = path.rsplit(".", 1)[-1].replace("_", " ")
        try:
            check: Check = import_string(path)
            findings.extend(check(exam))
        except Exception as exc:  # one unreadable source must not hide the others
            log.warning("doctor: %s could not be checked: %s", name, exc)
            findings.append(Finding(name, Status.SKIPPED, f"could not be checked: {first_line(exc)}"))
            close_broken_connections()
    return Report(settings.TIER, findings)


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def close_broken_connections() -> None:
    """A check that failed mid-query leaves its connection in an aborted transaction; the next
    check must not inherit that."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.in_atomic_block:
            connection.close()
