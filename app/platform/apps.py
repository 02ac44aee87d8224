from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "app.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from app.platform import checks, seams  # noqa: F401  (registers checks and signal handlers)

        # Every app's jobs.py, so a worker can find any job by the name in its message.
        autodiscover_modules("jobs")
