from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "app.posts"
    label = "posts"
