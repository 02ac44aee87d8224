"""URL map. Media is served by the app itself only where the tier says so (``SERVE_MEDIA``)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from app.api.api import api
from app.web import views as web_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("app.accounts.urls")),
    path("teams/", include("app.teams.urls")),
    path("ping", web_views.ping, name="ping"),
    path("healthz", web_views.healthz, name="healthz"),
    path("readyz", web_views.readyz, name="readyz"),
    path("ops/queues", web_views.queue_status, name="queue_status"),
    path("ops/replica", web_views.replica_status, name="replica_status"),
    path("", include("app.shop.urls")),
    path("", include("app.posts.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
