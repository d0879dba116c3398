from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, Membership, User


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
    list_display = ["name", "unified_social_credit_code", "province", "verification", "standing", "created_at"]
    list_filter = ["verification", "standing"]
    search_fields = ["name", "unified_social_credit_code"]
    inlines = [MembershipInline]
