from django.contrib import admin

from .models import AuditEntry, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "endpoint", "extension")
    search_fields = ("user__username", "endpoint", "extension")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "channel_id", "channel_name", "outcome", "status", "source")
    list_filter = ("outcome", "action", "source")
    search_fields = ("username", "channel_id", "channel_name", "message")

    # The audit log is evidence: nobody edits or deletes it from the admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
