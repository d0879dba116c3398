from django.contrib import admin

from core.models import ApiKey, AuditEvent, Notification, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "province", "position"]
    list_filter = ["level"]
    search_fields = ["name"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "actor_label", "company", "action", "subject_repr", "before", "after", "ip_address"]
    list_filter = ["action", "actor_is_staff"]
    search_fields = ["subject_repr", "actor_label", "company__name"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__email"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "company", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "hashed_secret"]
    search_fields = ["name", "prefix", "company__name"]
