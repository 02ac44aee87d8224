"""Log-in (saying why when a page sent you there), sign-up and the profile page (avatar and API tokens)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_http_methods

from app.accounts.forms import ApiTokenForm, AvatarForm, SignUpForm
from app.accounts.http import SignedInRequest
from app.accounts.login_reasons import login_reason
from app.accounts.models import User
from app.accounts.services import (
    api_token_create,
    api_token_revoke,
    api_tokens_of,
    confirmation_token,
    user_confirm,
    user_set_avatar,
    user_sign_up,
)
from app.platform.errors import DomainError
from app.platform.http import ratelimit
from app.platform.http.proxies import client_address


class LoginView(auth_views.LoginView):
    """Django's log-in, saying why you are here when a page that needs an account sent you."""

    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # ``next`` is "" unless it is a safe address on this site (LoginView checks it).
        context["reason"] = login_reason(context.get(self.redirect_field_name, ""))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Every attempt counts against the client's address; failed ones against the account too,
        so guessing one account's password from many addresses is slowed as well."""
        account = str(request.POST.get("username", "")).strip().casefold()[:150]
        ratelimit.enforce("login-address", client_address(request))
        ratelimit.check("login-account", account)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form again, with its error: a failed attempt
            ratelimit.count("login-account", account)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form (emails queued), limited per client address: each one sends mail."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ratelimit.enforce("password-reset-address", client_address(request))
        return super().post(request, *args, **kwargs)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """The same "check your inbox" page whether the address is new or already has an account."""
    if request.method == "POST":
        ratelimit.enforce("signup-address", client_address(request))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                confirm_url=lambda user: request.build_absolute_uri(
                    reverse(
                        "signup_confirm", args=[urlsafe_base64_encode(force_bytes(user.pk)), confirmation_token(user)]
                    )
                ),
            )
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return render(request, "accounts/check_inbox.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/signup.html", {"form": form})


def _confirm_url(request: HttpRequest, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return request.build_absolute_uri(reverse("signup_confirm", args=[uid, confirmation_token(user)]))


@require_http_methods(["GET"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = user_confirm(uidb64=uidb64, token=token)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome, {user.username}! Your address is confirmed.")
    return redirect("feed")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: SignedInRequest) -> HttpResponse:
    avatar_form = AvatarForm()
    token_form = ApiTokenForm()
    new_token = None
    if request.method == "POST" and "avatar" in request.FILES:
        avatar_form = AvatarForm(request.POST, request.FILES)
        if avatar_form.is_valid():
            user_set_avatar(user=request.user, image=avatar_form.cleaned_data["avatar"])
            messages.success(request, "Avatar updated.")
            return redirect("profile")
    elif request.method == "POST" and "revoke" in request.POST:
        try:
            api_token_revoke(user=request.user, token_id=int(request.POST["revoke"]))
        except (ValueError, DomainError):
            messages.error(request, "That token does not exist (any more).")
        else:
            messages.success(request, "Token revoked.")
        return redirect("profile")
    elif request.method == "POST":
        token_form = ApiTokenForm(request.POST)
        if token_form.is_valid():
            try:
                _, new_token = api_token_create(user=request.user, name=token_form.cleaned_data["name"])
            except DomainError as exc:
                token_form.add_error("name", exc.message)
            else:
                token_form = ApiTokenForm()
    tokens = api_tokens_of(request.user)
    context = {"avatar_form": avatar_form, "token_form": token_form, "tokens": tokens, "new_token": new_token}
    return render(request, "accounts/profile.html", context)
