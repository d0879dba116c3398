"""Django admin for the major-client and credit models. Business changes go through the back-office
pages (services, audit trail); the admin is for inspection and for the few settings tables
(rebate ladder, CRM settings). Records written by services (reviews, changes, scores,
receivables, collections) are read-only here."""

from django.contrib import admin

from crm.models import (
    ClientNote,
    ClientProfile,
    Collection,
    CollectionAllocation,
    CreditApplication,
    CreditLine,
    CreditScore,
    CrmSettings,
    Handover,
    RebateAccrual,
    RebateRule,
    Receivable,
    ReminderOptOut,
    ReorderReminder,
    ReviewTask,
    Scorecard,
    TierChange,
    TierReview,
    TierRule,
    Visit,
    VolumeAlert,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records only services write: visible, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CrmSettings)
class CrmSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "credit_hold_days_overdue", "reminder_lead_days", "volume_rise_alert_percent",
                    "volume_fall_alert_percent", "updated_at"]


@admin.register(TierRule)
class TierRuleAdmin(ReadOnlyAdmin):
    # Edited on the back-office rules page, which checks the thresholds' order and audits.
    list_display = ["tier", "min_purchases_12m", "min_years_on_platform", "strategic_qualifies", "is_active",
                    "updated_by", "updated_at"]


@admin.register(RebateRule)
class RebateRuleAdmin(admin.ModelAdmin):
    list_display = ["min_annual_purchases", "rate_percent", "is_active"]
    list_editable = ["rate_percent", "is_active"]


@admin.register(ClientProfile)
class ClientProfileAdmin(ReadOnlyAdmin):
    list_display = ["company", "tier", "purchases_12m", "is_strategic", "primary_manager", "assistant_manager",
                    "chief_manager", "reviewed_at"]
    list_filter = ["tier", "is_strategic"]
    search_fields = ["company__name"]
    list_select_related = ["company", "primary_manager", "assistant_manager", "chief_manager"]


@admin.register(TierReview)
class TierReviewAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "started_by", "companies_reviewed", "changes"]


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ["company", "from_tier", "to_tier", "purchases_12m", "reason", "changed_at"]
    list_filter = ["to_tier"]
    search_fields = ["company__name"]
    list_select_related = ["company"]


@admin.register(RebateAccrual)
class RebateAccrualAdmin(ReadOnlyAdmin):
    list_display = ["company", "year", "purchases", "rate_percent", "amount", "computed_at"]
    list_filter = ["year"]
    search_fields = ["company__name"]
    list_select_related = ["company"]


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    list_display = ["company", "role", "from_manager", "to_manager", "handed_over_by", "handed_over_at"]
    list_filter = ["role"]
    search_fields = ["company__name"]


@admin.register(ReviewTask)
class ReviewTaskAdmin(ReadOnlyAdmin):
    list_display = ["company", "quarter", "manager", "due_on", "status", "completed_at"]
    list_filter = ["status", "quarter"]
    search_fields = ["company__name"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["company", "kind", "occurred_on", "recorded_by"]
    list_filter = ["kind"]
    search_fields = ["company__name", "summary"]


@admin.register(ClientNote)
class ClientNoteAdmin(ReadOnlyAdmin):
    list_display = ["company", "__str__", "author", "created_at"]
    search_fields = ["company__name", "body"]


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ["version", "trained_at", "sample_size", "is_active"]


@admin.register(CreditScore)
class CreditScoreAdmin(ReadOnlyAdmin):
    list_display = ["company", "score", "probability_of_default", "scorecard", "scored_at"]
    search_fields = ["company__name"]
    list_select_related = ["company", "scorecard"]


@admin.register(CreditApplication)
class CreditApplicationAdmin(ReadOnlyAdmin):
    list_display = ["company", "requested_limit", "requested_term_days", "status", "submitted_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["company__name"]


@admin.register(CreditLine)
class CreditLineAdmin(ReadOnlyAdmin):
    list_display = ["company", "limit", "term_days", "outstanding", "on_hold", "updated_at"]
    list_filter = ["on_hold", "term_days"]
    search_fields = ["company__name"]


class CollectionAllocationInline(admin.TabularInline):
    model = CollectionAllocation
    extra = 0
    can_delete = False
    readonly_fields = ["receivable", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Receivable)
class ReceivableAdmin(ReadOnlyAdmin):
    list_display = ["company", "order", "amount", "settled", "issued_on", "due_on", "status"]
    list_filter = ["status"]
    search_fields = ["company__name", "order__number"]
    list_select_related = ["company", "order"]


@admin.register(Collection)
class CollectionAdmin(ReadOnlyAdmin):
    list_display = ["company", "received_on", "document_number", "amount", "method", "receiving_bank"]
    list_filter = ["method"]
    search_fields = ["company__name", "document_number"]
    inlines = [CollectionAllocationInline]


@admin.register(ReorderReminder)
class ReorderReminderAdmin(ReadOnlyAdmin):
    list_display = ["company", "product", "category", "predicted_need_on", "status", "sent_at"]
    list_filter = ["status"]
    search_fields = ["company__name"]


@admin.register(ReminderOptOut)
class ReminderOptOutAdmin(ReadOnlyAdmin):
    list_display = ["company", "product", "category", "created_at"]


@admin.register(VolumeAlert)
class VolumeAlertAdmin(ReadOnlyAdmin):
    list_display = ["company", "period", "direction", "previous_amount", "current_amount", "change_percent",
                    "manager", "created_at"]
    list_filter = ["direction"]
    search_fields = ["company__name"]
