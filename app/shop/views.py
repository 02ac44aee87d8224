"""The catalogue, checkout, "My orders", invoices and the owner's dashboard."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from app.accounts.http import SignedInRequest
from app.platform.caching import cached, shared_page
from app.platform.errors import DomainError
from app.platform.http.pages import page_number
from app.shop.forms import CheckoutForm, ProductForm
from app.shop.selectors import (
    DASHBOARD_DAYS,
    order_get_for_user,
    orders_for_user,
    product_get,
    product_list,
    team_dashboard,
)
from app.shop.services import order_checkout, product_create
from app.teams.http import owned_team
from app.teams.selectors import is_member, team_get

PAGE_SIZE = 20


def catalogue(request: HttpRequest) -> HttpResponse:
    return shared_page(request, depends_on=["products"], render=_catalogue)


def _catalogue(request: HttpRequest) -> HttpResponse:
    page = product_list(page=page_number(request.GET.get("page")), page_size=PAGE_SIZE)
    return render(request, "shop/catalogue.html", {"page": page}, status=page.status)


@require_http_methods(["GET", "POST"])
def product_detail(request: HttpRequest, team_slug: str, slug: str) -> HttpResponse:
    product = product_get(team_slug=team_slug, slug=slug)
    form = CheckoutForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if form.is_valid():
            try:
                order = order_checkout(
                    user=request.user,
                    product_id=product.pk,
                    quantity=form.cleaned_data["quantity"],
                    idempotency_key=f"form:{form.cleaned_data['once']}",
                )
            except DomainError as exc:
                form.add_error("quantity", exc.message)
            else:
                messages.success(
                    request, f"Thank you! Order #{order.pk} is placed; a confirmation email is on its way."
                )
                return redirect("order_detail", order_id=order.pk)
    return render(request, "shop/product.html", {"product": product, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def product_new(request: SignedInRequest, team_slug: str) -> HttpResponse:
    team = team_get(slug=team_slug)
    if not is_member(user=request.user, team=team):
        return render(request, "error.html", {"message": "Only the team's members can list products."}, status=403)
    form = ProductForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = product_create(actor=request.user, team=team, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"{product.name} is on sale.")
            return redirect("product_detail", team_slug=team.slug, slug=product.slug)
    return render(request, "shop/product_new.html", {"form": form, "team": team})


@login_required
def my_orders(request: SignedInRequest) -> HttpResponse:
    page = orders_for_user(user=request.user, page=page_number(request.GET.get("page")), page_size=PAGE_SIZE)
    return render(request, "shop/orders.html", {"page": page}, status=page.status)


@login_required
def order_detail(request: SignedInRequest, order_id: int) -> HttpResponse:
    order = order_get_for_user(user=request.user, order_id=order_id)
    return render(request, "shop/order.html", {"order": order})


@login_required
def invoice(request: SignedInRequest, order_id: int) -> HttpResponseBase:
    order = order_get_for_user(user=request.user, order_id=order_id)
    if not order.invoice:
        context = {"order": order}
        return render(request, "shop/invoice_pending.html", context, status=202)
    return FileResponse(order.invoice.open("rb"), content_type="application/pdf", filename=f"invoice-{order.pk}.pdf")


@login_required
def dashboard(request: SignedInRequest, team_slug: str) -> HttpResponse:
    team = owned_team(request, team_slug)
    today = timezone.localdate()
    # The figures, charts and tables are the same for every owner of the team: rendered once and
    # kept whole in the application cache (tier3) until the team's next order.
    figures = cached(
        f"dashboard-html:{team.pk}:{today.isoformat()}:{get_language()}:{timezone.get_current_timezone_name()}",
        depends_on=[f"team:{team.pk}:orders"],
        compute=lambda: render_to_string(
            "shop/_dashboard_figures.html", {"dashboard": team_dashboard(team=team, today=today)}
        ),
    )
    context = {
        "team": team,
        "first_day": today - dt.timedelta(days=DASHBOARD_DAYS - 1),
        "last_day": today,
        "figures": mark_safe(figures),  # noqa: S308 — rendered by our own template, escaped there
    }
    return render(request, "shop/dashboard.html", context)
