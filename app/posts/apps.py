from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "app.posts"
    label = "posts"

    def ready(self) -> None:
        from app.posts import counters  # noqa: F401  (connects the comment counter's signal handlers)
