from django.apps import AppConfig


class SeedingConfig(AppConfig):
    name = "app.seeding"
    label = "seeding"
