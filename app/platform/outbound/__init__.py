"""Talking to the outside under deadlines: webhooks over HTTP (SSRF-checked) and email."""
