from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Application, Company, CompanyDocument, FreezeRecord, Membership, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "mobile", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "full_name", "mobile"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("个人信息"), {"fields": ["full_name", "mobile"]}),
        (_("权限"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("重要日期"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "unified_social_credit_code", "province", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["status"]  # status moves only through accounts.states.company_transition
    search_fields = ["name", "unified_social_credit_code"]
    inlines = [MembershipInline]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "status", "submitted_at", "due_at", "decided_by"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "unified_social_credit_code"]
    readonly_fields = ["status", "decided_by", "decided_at"]  # decided in the back office's review queue


@admin.register(CompanyDocument)
class CompanyDocumentAdmin(admin.ModelAdmin):
    list_display = ["company", "kind", "original_name", "content_type", "size", "uploaded_at"]
    list_filter = ["kind"]
    exclude = ["file"]  # served only through the permission-checked view


@admin.register(FreezeRecord)
class FreezeRecordAdmin(admin.ModelAdmin):
    list_display = ["company", "channel", "frozen_at", "unfreeze_requested_at", "unfrozen_at"]
    list_filter = ["channel"]
