"""Side effects of account changes, run by the jobs backend."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string

from app.platform import media
from app.platform.inputs.images import thumbnail_request
from app.platform.jobs import job


@job(queue="critical")
def send_welcome_email(*, user_id: int, confirm_url: str = "") -> None:
    from app.accounts.models import User

    user = User.objects.get(pk=user_id)
    body = render_to_string("emails/welcome.txt", {"user": user, "confirm_url": confirm_url})
    send_mail("Welcome to Milestones: confirm your address", body, None, [user.email])


@job(queue="critical")
def send_sign_up_notice(*, user_id: int) -> None:
    """Someone signed up with an address that has an account: tell its owner, tell the visitor nothing."""
    from app.accounts.models import User

    user = User.objects.get(pk=user_id)
    body = render_to_string("emails/sign_up_notice.txt", {"user": user})
    send_mail("Someone tried to sign up with your address", body, None, [user.email])


@job(queue="critical")
def deliver_email(*, to: str, subject: str, body: str, html_body: str | None = None) -> None:
    """Send an email whose content was rendered by the caller (e.g. a password-reset link)."""
    send_mail(subject, body, None, [to], html_message=html_body)


@job(queue="default")
def make_avatar_thumbnail(*, user_id: int) -> None:
    from app.accounts.models import User

    # Post pages show their authors' and commenters' avatars: "people" is invalidated once it is made.
    request = thumbnail_request(
        User.objects.get(pk=user_id), source="avatar", target="avatar_thumbnail", topics=["people"]
    )
    if request:
        media.submit(request)


@job(queue="critical")
def send_password_reset(*, email: str, domain: str, use_https: bool) -> None:
    """Look the address up and send Django's reset email to its account, within the limits."""
    from app.accounts.forms import LimitedPasswordResetForm
    from app.accounts.services import password_reset_record

    form = LimitedPasswordResetForm({"email": email})
    if not form.is_valid():
        return
    password_reset_record(email=email)
    form.save(domain_override=domain, use_https=use_https)
