"""The feed (home page), a post's page, publishing and commenting."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from app.accounts.http import SignedInRequest
from app.analytics.services import page_view_track
from app.platform.caching import shared_page
from app.platform.errors import DomainError
from app.platform.http.pages import page_number
from app.posts.forms import CommentForm, PostForm
from app.posts.models import Post
from app.posts.selectors import feed_page, post_detail
from app.posts.services import comment_add, post_page_topics, post_publish
from app.teams.selectors import teams_of

FEED_PAGE_SIZE = 20


def feed(request: HttpRequest) -> HttpResponse:
    return shared_page(request, depends_on=["posts"], render=_feed, after=_count_view)


def _count_view(request: HttpRequest) -> None:
    page_view_track(request=request)


def _feed(request: HttpRequest) -> HttpResponse:
    page = feed_page(page=page_number(request.GET.get("page")), page_size=FEED_PAGE_SIZE)
    return render(request, "posts/feed.html", {"page": page}, status=page.status)


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, post_id: int) -> HttpResponse:
    if request.method != "POST":
        return shared_page(
            request,
            depends_on=post_page_topics(post_id),
            render=lambda r: _detail(r, post_id),
            after=partial(_count_post_view, post_id=post_id),
        )
    return _detail(request, post_id)


def _count_post_view(request: HttpRequest, *, post_id: int) -> None:
    page_view_track(request=request, post_id=post_id)


def _detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_detail(post_id=post_id)
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if form.is_valid():
            try:
                comment_add(author=request.user, post=post, body=form.cleaned_data["body"])
            except DomainError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, "Thanks, your comment is posted.")
                return redirect("post_detail", post_id=post.pk)
    return render(request, "posts/detail.html", {"post": post, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: SignedInRequest) -> HttpResponse:
    teams = teams_of(user=request.user)
    form = PostForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            post: Post = post_publish(author=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, "Published.")
            return redirect("post_detail", post_id=post.pk)
    return render(request, "posts/publish.html", {"form": form, "has_team": teams.exists()})
