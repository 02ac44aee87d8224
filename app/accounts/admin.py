from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from app.accounts.models import ApiToken, User


@admin.register(User)
class MilestonesUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Avatar", {"fields": ("avatar", "avatar_thumbnail")}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_select_related = ("user",)
    readonly_fields = ("key_hash", "prefix")
    search_fields = ("name", "user__username")
