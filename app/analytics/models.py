"""Page-view events, one per feed or post view."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PageView(models.Model):
    """One view of a page. Its foreign keys are not constrained in the database: views reach it
    in batches, seconds later, and a view of a post deleted meanwhile is still a view (one
    row that fails a constraint would fail its whole batch)."""

    #: Set by whoever records the view; a redelivered event hits ``pageview_event_once`` and is dropped.
    event_id = models.CharField(max_length=32)
    path = models.CharField(max_length=500)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    post = models.ForeignKey(
        "posts.Post",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # A constraint, not ``unique=True``: on PostgreSQL Django pairs a unique CharField with a
        # second, ``varchar_pattern_ops`` index for LIKE queries, which nobody runs on an event id
        # and which every one of the many views written would have to update.
        constraints = [models.UniqueConstraint(fields=["event_id"], name="pageview_event_once")]

    def __str__(self) -> str:
        return self.path
