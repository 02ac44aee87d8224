from django.apps import AppConfig


class IndexesConfig(AppConfig):
    """tier1's index milestone. Installed from tier1 on; its migrations create every index concurrently."""

    name = "app.indexes"
    label = "indexes"
