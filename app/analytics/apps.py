from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "app.analytics"
    label = "analytics"
