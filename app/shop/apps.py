from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "app.shop"
    label = "shop"
