"""Writes for accounts: sign-up, avatars and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from app.accounts import jobs
from app.accounts.models import ApiToken, User
from app.platform.errors import Conflict, DomainError, NotAuthenticated, NotFound
from app.platform.jobs import enqueue

TOKEN_BYTES = 32


def user_sign_up(*, username: str, email: str, password: str) -> User:
    """Create a user and send the welcome email once the user is committed."""
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("A user with that username already exists.", field="username")
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError("A user with that email already exists.", field="email")
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            enqueue(jobs.send_welcome_email, user_id=user.pk)
    except IntegrityError as exc:  # lost a race with a concurrent sign-up of the same name
        raise DomainError("A user with that username or email already exists.", field="username") from exc
    return user


def user_set_avatar(*, user: User, image: UploadedFile) -> None:
    """Store a new avatar; its thumbnail is made by a job."""
    with transaction.atomic():
        user.avatar.save(image.name or "avatar", image, save=False)
        user.avatar_thumbnail = ""
        user.save(update_fields=["avatar", "avatar_thumbnail"])
        enqueue(jobs.make_avatar_thumbnail, user_id=user.pk)


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; the raw token is returned here and never again.

    A user holds at most ``settings.API_TOKENS_PER_USER`` live tokens: one more is refused
    (409) until one is revoked, so a script that asks for a token per run cannot pile them up.
    """
    if api_tokens_of(user).count() >= settings.API_TOKENS_PER_USER:
        raise Conflict(
            f"You already hold {settings.API_TOKENS_PER_USER} API tokens; revoke one before making another.",
            field="name",
        )
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(
        user=user,
        name=name or "API token",
        key_hash=_digest(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + dt.timedelta(days=settings.API_TOKEN_LIFETIME_DAYS),
        password_mark=_password_mark(user),
    )
    return token, raw


def api_token_issue(*, username: str, password: str, name: str = "API token") -> str:
    """Check the credentials and return a new raw token for them."""
    user = authenticate(username=username, password=password)
    if user is None:
        raise NotAuthenticated("Invalid username or password.")
    return api_token_create(user=user, name=name)[1]


def api_token_authenticate(raw: str) -> User | None:
    """The active user a live raw token belongs to, or ``None``."""
    token = ApiToken.objects.select_related("user").filter(key_hash=_digest(raw)).first()
    now = timezone.now()
    if token is None or not token.user.is_active or not _live(token, now):
        return None
    # Writing on every request would turn each API read into a write; once a minute is enough.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's live tokens, newest first: unexpired, issued under the current password."""
    return ApiToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), password_mark=_password_mark(user)
    ).order_by("-created_at", "-id")


def api_token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens (another user's is "not found", not "forbidden")."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound("No such token.", field="token_id")


def _live(token: ApiToken, now: dt.datetime) -> bool:
    return token.expires_at is not None and token.expires_at > now and token.password_mark == _password_mark(token.user)


def _password_mark(user: User) -> str:
    """Changes whenever the password does; a digest, so the token table never holds the hash."""
    return hashlib.sha256(f"api-token:{user.password}".encode()).hexdigest()


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
