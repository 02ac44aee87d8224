"""Sign-up and the profile page (avatar and API tokens)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from app.accounts.forms import ApiTokenForm, AvatarForm, SignUpForm
from app.accounts.services import api_token_create, api_token_revoke, api_tokens_of, user_set_avatar, user_sign_up
from app.platform.errors import DomainError


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}! We sent a welcome email to {user.email}.")
            return redirect("feed")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
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
