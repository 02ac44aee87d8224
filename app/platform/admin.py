from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from app.platform.jobs import resubmit
from app.platform.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("name", "queue", "status", "attempts", "sends", "sent_at", "created_at", "updated_at")
    list_filter = ("status", "queue", "name")
    search_fields = ("delivery_id", "name")
    readonly_fields = (
        "delivery_id",
        "name",
        "queue",
        "arguments",
        "attempts",
        "last_error",
        "sent_at",
        "sends",
        "lease_until",
        "lease_holder",
        "created_at",
        "updated_at",
    )

    actions = ["run_again"]

    @admin.action(description="Run the selected failed jobs again")
    def run_again(self, request: HttpRequest, queryset: QuerySet[JobRun]) -> None:
        count = resubmit(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Queued {count} failed job(s) to run again.", messages.SUCCESS)
