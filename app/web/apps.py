from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "app.web"
    label = "web"

    def ready(self) -> None:
        from django.urls import register_converter

        from app.web.converters import IdConverter, UnicodeSlugConverter

        # Ids in URLs are at most 18 digits, so every one fits the database's integers; slugs may
        # be in any script. Registered here, before any URLconf that uses them is imported.
        register_converter(IdConverter, "id")
        register_converter(UnicodeSlugConverter, "uslug")
