import warnings

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "app.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from app.platform import checks, error_tracking, seams  # noqa: F401  (registers checks and signal handlers)

        # Every app's jobs.py, so a worker can find any job by the name in its message.
        autodiscover_modules("jobs")

        # Pillow refuses to open an image of more than twice this many pixels (and warns above it):
        # the same bound as uploads, so nothing anywhere decodes a decompression bomb.
        from django.conf import settings
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS
        # Between one and two times the limit Pillow only warns; validate_image_size refuses those.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)

        # Sentry, where the tier reports errors: started here, in the process that runs the app.
        error_tracking.start(settings)
