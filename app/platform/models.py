"""The record every tracked job leaves behind: the outbox row, proof it ran once, or why it failed."""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    """One enqueued job, from the transaction that caused it to its last attempt.

    From tier1 the row is the *outbox*: it is written in the same transaction as the change
    that causes the job, so the two commit or roll back together, and ``sent_at`` says
    whether (and when) it was handed to the broker. ``delivery_id`` makes a redelivered job
    a no-op once it has succeeded; ``lease_until`` keeps a second copy from starting while an
    attempt runs, without holding a transaction open for the length of the job.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        RETRYING = "retrying"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    delivery_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    queue = models.CharField(max_length=50)
    arguments = models.JSONField(default=dict)
    #: The team whose data the job works on (``app.platform.tenancy``); empty for no team. A plain
    #: number, not a foreign key: the platform knows no teams, and tier4 keeps jobs on a team's shard.
    team_id = models.BigIntegerField(null=True, blank=True)
    #: The request that enqueued it (``app.platform.telemetry``), sent again with every
    #: publish, so the relay's and the sweeper's sends keep the id the logs find it by.
    request_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    #: When the job was last handed to the broker (for a retry: when it falls due); empty
    #: while it waits for the relay (the broker was down, or an operator asked to run it again).
    sent_at = models.DateTimeField(null=True, blank=True)
    #: How many times it was handed to the broker: more than one means a re-send.
    sends = models.PositiveIntegerField(default=0)
    #: The running attempt: until when it may run, its token, and ``host:pid`` of its process.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_holder = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} [{self.status}]"
