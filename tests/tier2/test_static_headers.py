"""tier2's static files can sit behind a CDN: hashed names cached for a year, the rest briefly."""

from __future__ import annotations

from django.templatetags.static import static


def test_hashed_files_are_public_for_a_year_and_immutable(client):
    response = client.get(static("css/site.css"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_unhashed_names_are_cached_briefly(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=300, public"
