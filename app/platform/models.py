"""The record every tracked job leaves behind: proof it ran once, or why it failed."""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    """One enqueued job. ``delivery_id`` makes a redelivered job a no-op once it has succeeded."""

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
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} [{self.status}]"
