"""Users, their avatars and their API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from app.platform.inputs.images import validate_image_size


class User(AbstractUser):
    """A person. Usernames and emails are unique whatever their case: ``Ada`` and ``ada`` are one user."""

    email = models.EmailField("email address")
    avatar = models.ImageField(upload_to="avatars/", blank=True, validators=[validate_image_size])
    avatar_thumbnail = models.ImageField(upload_to="avatars/thumbs/", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.UniqueConstraint(
                Lower("email"), name="user_email_ci_unique", violation_error_message="That email address is taken."
            ),
        ]


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once.

    It works until ``expires_at``, until its owner revokes it, and only while the owner's
    password is the one it was issued under (``password_mark``): changing the password
    ends every token at once, whichever way it is changed (form, reset link, admin).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", db_index=False)
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True)
    #: A digest of the owner's password hash when the token was issued (never the hash itself).
    password_mark = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class PasswordResetRequest(models.Model):
    """One password-reset email asked for: counted to limit how many an address or account receives."""

    #: SHA-256 of the address as typed, case-folded: counted without keeping the address.
    address_digest = models.CharField(max_length=64)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, db_index=False)
    sent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reset asked {self.created_at:%Y-%m-%d %H:%M}"
