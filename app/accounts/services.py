"""Writes for accounts: sign-up, avatars and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode

from app.accounts import jobs
from app.accounts.models import ApiToken, PasswordResetRequest, User
from app.accounts.selectors import USERNAME_TAKEN, username_taken
from app.platform.caching import invalidate
from app.platform.errors import Conflict, DomainError, NotAuthenticated, NotFound
from app.platform.jobs import enqueue

TOKEN_BYTES = 32
logger = logging.getLogger(__name__)


def user_sign_up(*, username: str, email: str, password: str, confirm_url: Callable[[User], str]) -> User | None:
    """Start an account, in a way that does not tell whether the email address is known.

    A new address gets an inactive account and a welcome email with a link that confirms the
    address and signs the user in (``user_confirm``). An address that already has an account
    gets an email saying someone tried to sign up with it, and nothing else happens. Either
    way the caller shows the same page, and the request does the same work: one password hash
    and one queued email. Usernames are public, so a taken one is still said to be taken.
    """
    if username_taken(username):
        raise DomainError(USERNAME_TAKEN, field="username")
    hashed = make_password(password)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        enqueue(jobs.send_sign_up_notice, user_id=existing.pk)
        return None
    try:
        with transaction.atomic():
            user = User(username=username, email=email, password=hashed, is_active=False)
            user.save()
            enqueue(jobs.send_welcome_email, user_id=user.pk, confirm_url=confirm_url(user))
    except IntegrityError:  # lost a race with a concurrent sign-up of the same name or address
        raise DomainError(USERNAME_TAKEN, field="username") from None
    return user


def confirmation_token(user: User) -> str:
    """Single use: it stops working once the account is active and signed in (``last_login`` changes)."""
    return default_token_generator.make_token(user)


def user_confirm(*, uidb64: str, token: str) -> User:
    """Activate the account the link was made for; refused if the link is wrong or was used."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, OverflowError, UnicodeDecodeError, User.DoesNotExist):
        raise NotFound("This confirmation link is not valid.") from None
    if not default_token_generator.check_token(user, token):
        raise NotFound("This confirmation link is not valid, or was already used: log in instead.")
    if not user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
    return user


def user_set_avatar(*, user: User, image: UploadedFile) -> None:
    """Store a new avatar; its thumbnail is made by a job."""
    with transaction.atomic():
        user.avatar.save(image.name or "avatar", image, save=False)
        user.avatar_thumbnail = ""
        user.save(update_fields=["avatar", "avatar_thumbnail"])
        enqueue(jobs.make_avatar_thumbnail, user_id=user.pk)
        invalidate("people")


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


def _address_digest(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


def password_reset_record(*, email: str) -> None:
    """Count one reset asked for ``email`` (known or not), for the per-address limit."""
    PasswordResetRequest.objects.create(address_digest=_address_digest(email))


def password_reset_allowed(*, email: str, user: User) -> bool:
    """Whether one more reset email may go out: at most ``PASSWORD_RESETS_PER_HOUR`` per address
    and per account, so the form cannot be used to flood someone's inbox."""
    since = timezone.now() - dt.timedelta(hours=1)
    limit = settings.PASSWORD_RESETS_PER_HOUR
    recent = PasswordResetRequest.objects.filter(created_at__gte=since)
    by_address = recent.filter(address_digest=_address_digest(email), user__isnull=True).count()
    by_account = recent.filter(user=user, sent=True).count()
    if by_address > limit or by_account >= limit:
        logger.warning("password reset for account %s not sent: over %d an hour", user.pk, limit)
        return False
    PasswordResetRequest.objects.create(address_digest=_address_digest(email), user=user, sent=True)
    return True
