from django.contrib import admin

from app.analytics.models import PageView


@admin.register(PageView)
class PageViewAdmin(admin.ModelAdmin):
    list_display = ("path", "user", "post", "created_at")
    list_select_related = ("user", "post")
    raw_id_fields = ("user", "post")
