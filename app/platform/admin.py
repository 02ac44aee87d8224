from django.contrib import admin

from app.platform.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("name", "queue", "status", "attempts", "created_at", "updated_at")
    list_filter = ("status", "queue", "name")
    search_fields = ("delivery_id", "name")
    readonly_fields = (
        "delivery_id",
        "name",
        "queue",
        "arguments",
        "attempts",
        "last_error",
        "created_at",
        "updated_at",
    )
