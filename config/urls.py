"""URL map. Media is served by the app itself only where the tier says so (``SERVE_MEDIA``)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from app.api.api import api
from app.platform.http import health
from app.web import team_page
from app.web import views as web_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("app.accounts.urls")),
    path("teams/", include("app.teams.urls")),
    # After the teams app's own paths (new/, <slug>/settings/): the page composed from three apps.
    path("teams/<uslug:slug>/", team_page.team_detail, name="team_detail"),
    path("ping", web_views.ping, name="ping"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("ops/queues", web_views.queue_status, name="queue_status"),
    path("ops/replica", web_views.replica_status, name="replica_status"),
    path("ops/shards", web_views.shard_status, name="shard_status"),
    path("ops/doctor", web_views.doctor, name="doctor"),
    path("", include("app.shop.urls")),
    path("", include("app.posts.urls")),
]

# A database that does not answer is a 503 with a message; anything else, Django's 500 page.
handler500 = "app.web.server_errors.server_error"

if settings.METRICS:  # tier3: Prometheus scrapes each instance (app.platform.telemetry.exposition)
    from app.platform.telemetry.exposition import metrics

    urlpatterns += [path("metrics", metrics, name="metrics")]

if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
