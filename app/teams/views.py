"""Teams: the list, creating one and its owner settings (a team's public page, which shows its
posts and products too, is composed above the apps: ``app.web.team_page``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from app.accounts.http import SignedInRequest
from app.platform.errors import DomainError
from app.platform.http.pages import page_number
from app.teams.forms import MemberForm, TeamForm, WebhookForm
from app.teams.selectors import require_owner, team_get, teams_page
from app.teams.services import team_add_member, team_create, team_set_webhook

TEAMS_PAGE_SIZE = 24


def team_list(request: HttpRequest) -> HttpResponse:
    page = teams_page(page=page_number(request.GET.get("page")), page_size=TEAMS_PAGE_SIZE)
    return render(request, "teams/list.html", {"page": page}, status=page.status)


@login_required
@require_http_methods(["GET", "POST"])
def team_new(request: SignedInRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_create(owner=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"Team {team.name} created. You are its owner.")
            return redirect("team_detail", slug=team.slug)
    return render(request, "teams/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def team_settings(request: SignedInRequest, slug: str) -> HttpResponse:
    team = team_get(slug=slug)
    require_owner(user=request.user, team=team)
    webhook_form = WebhookForm(initial={"webhook_url": team.webhook_url})
    member_form = MemberForm()
    if request.method == "POST" and "webhook_url" in request.POST:
        webhook_form = WebhookForm(request.POST)
        if webhook_form.is_valid():
            try:
                team_set_webhook(actor=request.user, team=team, url=webhook_form.cleaned_data["webhook_url"])
            except DomainError as exc:
                webhook_form.add_error("webhook_url", exc.message)
            else:
                messages.success(request, "Webhook saved.")
                return redirect("team_settings", slug=team.slug)
    elif request.method == "POST":
        member_form = MemberForm(request.POST)
        if member_form.is_valid():
            try:
                membership = team_add_member(actor=request.user, team=team, **member_form.cleaned_data)
            except DomainError as exc:
                member_form.add_error("username", exc.message)
            else:
                messages.success(request, f"{membership.user.username} joined {team.name}.")
                return redirect("team_settings", slug=team.slug)
    members = team.memberships.select_related("user").order_by("role", "user__username")
    context = {"team": team, "webhook_form": webhook_form, "member_form": member_form, "members": members}
    return render(request, "teams/settings.html", context)
