"""tier1 serves static files content-hashed and pre-compressed, through WhiteNoise."""

from __future__ import annotations

import re

from django.templatetags.static import static


def test_static_urls_carry_a_content_hash_and_come_compressed(client):
    url = static("css/site.css")
    assert re.search(r"/static/css/site\.[0-9a-f]{12}\.css$", url), url
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] in {"gzip", "br"}
    assert "max-age" in response["Cache-Control"]
    assert response["Vary"] == "Accept-Encoding"
