"""Posts teams publish to the public feed, and the comments signed-in users leave."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

#: The longest comment anyone may post: the model, the form, the service and the API all read this.
COMMENT_MAX_LENGTH = 5000


class Post(models.Model):
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="posts", db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts", db_index=False)
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    #: How many comments it has, kept by ``app.posts.counters`` as comments are saved and deleted,
    #: so a page of posts reads its counts with the posts instead of counting per row.
    comment_count = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.post}"
