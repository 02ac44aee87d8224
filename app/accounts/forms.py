"""Forms for sign-up, avatars, tokens and password reset."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm

from app.accounts import jobs
from app.accounts.models import User
from app.accounts.selectors import USERNAME_TAKEN, username_taken
from app.platform.errors import DomainError
from app.platform.inputs.images import ImageUploadField
from app.platform.inputs.names import clean_name
from app.platform.jobs import enqueue


class SignUpForm(UserCreationForm):
    # A form field, not the model's: the model's unique check would say an address is taken,
    # and whether it is, is user_sign_up's to decide and to keep to itself. The field still
    # checks the address's shape and length.
    email = forms.EmailField(required=True, max_length=254)

    class Meta:
        model = User
        fields = ("username",)

    def clean_username(self) -> str:
        try:
            username = clean_name(self.cleaned_data["username"], field="username", what="username")
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        if username_taken(username):
            raise forms.ValidationError(USERNAME_TAKEN)
        return username

    # No clean_email: whether an address already has an account is not for the visitor to learn
    # (user_sign_up tells the address's owner instead).


class AvatarForm(forms.Form):
    avatar = ImageUploadField()


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, initial="API token")


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset, answered the same way and as fast whether the address is known.

    The request only queues one job with the address as typed; the job looks the address up
    and sends the email (``app.accounts.jobs.send_password_reset``). So a known address costs
    the request exactly what an unknown one does (from tier1, where jobs leave the request).
    """

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Called as Django's ``PasswordResetView`` calls it (keywords); only these three count here."""
        request = kwargs.get("request")
        domain = kwargs.get("domain_override") or (request.get_host() if request is not None else "localhost")
        use_https = bool(kwargs.get("use_https", False))
        enqueue(jobs.send_password_reset, email=self.cleaned_data["email"], domain=domain, use_https=use_https)


class LimitedPasswordResetForm(PasswordResetForm):
    """Run inside the job: Django's lookup and email, limited per address and per account."""

    def get_users(self, email: str) -> Any:
        from app.accounts.services import password_reset_allowed

        return [user for user in super().get_users(email) if password_reset_allowed(email=email, user=user)]
