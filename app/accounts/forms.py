"""Forms for sign-up, avatars, tokens and password reset."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.template import loader

from app.accounts import jobs
from app.accounts.models import User
from app.platform.images import ImageUploadField
from app.platform.jobs import enqueue


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True)

    class Meta:
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("A user with that username already exists.")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with that email already exists.")
        return email


class AvatarForm(forms.Form):
    avatar = ImageUploadField()


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, initial="API token")


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset, with the email sent through the jobs seam (a critical job)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else None
        enqueue(jobs.deliver_email, to=to_email, subject=subject, body=body, html_body=html)
