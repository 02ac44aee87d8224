from django.contrib import admin

from app.platform.sharding.admin import TeamRowsAdmin
from app.shop.models import Order, OrderItem, Product


@admin.register(Product)
class ProductAdmin(TeamRowsAdmin):
    list_display = ("name", "team", "price", "stock")
    list_select_related = ("team",)
    raw_id_fields = ("team",)
    search_fields = ("name",)


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Order)
class OrderAdmin(TeamRowsAdmin):
    list_display = ("id", "user", "team", "total", "status", "created_at")
    list_select_related = ("user", "team")
    raw_id_fields = ("user", "team")
    inlines = [OrderItemInline]


@admin.register(OrderItem)
class OrderItemAdmin(TeamRowsAdmin):
    list_display = ("order", "product", "quantity", "unit_price")
    list_select_related = ("order", "product")
    raw_id_fields = ("order", "product")
