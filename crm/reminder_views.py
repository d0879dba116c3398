"""Reorder reminders in the member centre (补货提醒) and over the API; volume alerts in the back
office. Thin: parse the request, call one service or selector, render or redirect."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.access import member_page
from core.api.permissions import HasCompanyPermission, IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiView
from core.errors import BusinessRuleError, NotFound
from core.permissions import CompanyPermission, staff_required
from crm import alerts, reminders
from crm.models import ReminderOptOut, ReorderReminder, VolumeAlert

purchasing_page = member_page(permission=CompanyPermission.PURCHASING)


def _company(request):
    return request.user.membership.company


def _back():
    return redirect("member-crm:reminders")


def _show(request, error):
    if isinstance(error, NotFound):  # another company's reminder, or none: the page does not exist
        raise Http404(error.message)
    messages.error(request, error.message)


# --- member centre --------------------------------------------------------------------------------

@purchasing_page
def reminder_list(request):
    company = _company(request)
    today = timezone.localdate()
    rows = [{"reminder": reminder, "days_left": reminders.days_left(reminder, today=today),
             "subject": reminders.subject_label(reminder)}
            for reminder in reminders.reminders_for(company=company)]
    return render(request, "member/crm/reminders.html", {
        "rows": rows, "opt_outs": reminders.opt_outs_for(company=company),
        "opted_out": reminders.company_opted_out(company=company), "snooze_days": reminders.SNOOZE_DAYS,
        "lead_days": reminders.crm_settings().reminder_lead_days,
    })


@purchasing_page
@require_POST
def reminder_reorder(request, reminder_id):
    try:
        item = reminders.reorder_from_reminder(by=request.user, reminder_id=reminder_id)
    except BusinessRuleError as error:
        _show(request, error)
        return _back()
    messages.success(request, _("已按上次采购数量加入购物车：%(title)s。") % {"title": item.product.title})
    return redirect("cart:view")


@purchasing_page
@require_POST
def reminder_snooze(request, reminder_id):
    try:
        reminder = reminders.snooze_reminder(by=request.user, reminder_id=reminder_id, days=request.POST.get("days"))
        messages.success(request, _("好的，%(date)s 再提醒您。") % {"date": f"{reminder.snoozed_until:%Y-%m-%d}"})
    except BusinessRuleError as error:
        _show(request, error)
    return _back()


@purchasing_page
@require_POST
def reminder_opt_out(request, reminder_id):
    try:
        opt_out = reminders.opt_out_of_reminder(by=request.user, reminder_id=reminder_id)
        messages.success(request, _("已不再提醒：%(subject)s。可在下方“已关闭的提醒”中恢复。") % {
            "subject": reminders.subject_label(opt_out)})
    except BusinessRuleError as error:
        _show(request, error)
    return _back()


@purchasing_page
@require_POST
def opt_out_undo(request, opt_out_id):
    try:
        reminders.undo_opt_out(by=request.user, opt_out_id=opt_out_id)
        messages.success(request, _("已恢复补货提醒。"))
    except BusinessRuleError as error:
        _show(request, error)
    return _back()


@purchasing_page
@require_POST
def reminders_switch(request):
    opted_out = request.POST.get("enabled") != "1"
    try:
        reminders.set_reminders_opted_out(by=request.user, opted_out=opted_out)
        messages.success(request, _("已关闭全部补货提醒。") if opted_out else _("已开启补货提醒。"))
    except BusinessRuleError as error:
        _show(request, error)
    return _back()


member_urlpatterns = [
    path("reminders/", reminder_list, name="reminders"),
    path("reminders/switch/", reminders_switch, name="reminders-switch"),
    path("reminders/<int:reminder_id>/reorder/", reminder_reorder, name="reminder-reorder"),
    path("reminders/<int:reminder_id>/snooze/", reminder_snooze, name="reminder-snooze"),
    path("reminders/<int:reminder_id>/opt-out/", reminder_opt_out, name="reminder-opt-out"),
    path("reminders/opt-outs/<int:opt_out_id>/undo/", opt_out_undo, name="reminder-opt-out-undo"),
]


# --- back office: volume alerts -------------------------------------------------------------------

def _alert_filters(request):
    acknowledged = {"yes": True, "no": False}.get(request.GET.get("acknowledged", "no"))
    direction = request.GET.get("direction", "")
    return {
        "direction": direction if direction in VolumeAlert.Direction.values else "",
        "period": request.GET.get("period", "").strip()[:7],
        "acknowledged": acknowledged,
        "manager": request.user if request.GET.get("mine") == "1" else None,
    }


@staff_required(*alerts.ALERT_ROLES)
def alert_list(request):
    filters = _alert_filters(request)
    page = Paginator(alerts.volume_alerts(**filters), 30).get_page(request.GET.get("page"))
    return render(request, "backoffice/crm/alerts.html", {
        "page": page, "filters": filters, "periods": alerts.alert_periods(),
        "direction_choices": VolumeAlert.Direction.choices, "acknowledged": request.GET.get("acknowledged", "no"),
        "mine": request.GET.get("mine") == "1",
    })


@staff_required(*alerts.ALERT_ROLES)
@require_POST
def alert_acknowledge(request, alert_id):
    try:
        alert = alerts.acknowledge_alert(by=request.user, alert_id=alert_id)
        messages.success(request, _("已处理：%(company)s %(period)s。") % {"company": alert.company.name,
                                                                         "period": alert.period})
    except BusinessRuleError as error:
        messages.error(request, error.message)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith(reverse("backoffice-crm:alerts")) else "backoffice-crm:alerts")


backoffice_urlpatterns = [
    path("alerts/", alert_list, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", alert_acknowledge, name="alert-acknowledge"),
]


# --- API ------------------------------------------------------------------------------------------

class ReminderOutput(serializers.ModelSerializer):
    product = serializers.IntegerField(source="product_id", allow_null=True)
    product_title = serializers.CharField(source="product.title", allow_null=True, default=None)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    days_left = serializers.SerializerMethodField()

    class Meta:
        model = ReorderReminder
        fields = ["id", "product", "product_title", "category", "purchases", "typical_interval_days",
                  "last_purchased_on", "predicted_need_on", "days_left", "status", "snoozed_until", "sent_at"]

    def get_days_left(self, reminder) -> int:
        return reminders.days_left(reminder)


class OptOutOutput(serializers.ModelSerializer):
    product = serializers.IntegerField(source="product_id", allow_null=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ReminderOptOut
        fields = ["id", "product", "category", "created_at"]


class PurchasingView:
    permission_classes = [IsCompanyMember, HasCompanyPermission]
    required_permission = CompanyPermission.PURCHASING
    permission_for_reads = True


class ReminderListView(PurchasingView, ApiListView):
    """The own company's open reorder reminders (sent or snoozed), soonest need first."""

    serializer_class = ReminderOutput

    def get_queryset(self):
        return reminders.reminders_for(company=caller_company(self.request))


class ReminderSnoozeView(PurchasingView, ApiView):
    """Remind again after 7, 14 or 30 days."""

    class SnoozeInput(serializers.Serializer):
        days = serializers.ChoiceField(choices=reminders.SNOOZE_DAYS)

    @extend_schema(request=SnoozeInput, responses=ReminderOutput)
    def post(self, request, pk):
        payload = self.SnoozeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        reminder = reminders.snooze_reminder(by=request.user, reminder_id=pk, days=payload.validated_data["days"])
        return Response(ReminderOutput(reminder).data)


class ReminderOptOutView(PurchasingView, ApiView):
    """No more reminders for this reminder's product (or category); its open reminders are dismissed."""

    @extend_schema(request=None, responses={201: OptOutOutput})
    def post(self, request, pk):
        opt_out = reminders.opt_out_of_reminder(by=request.user, reminder_id=pk)
        return Response(OptOutOutput(opt_out).data, status=201)


api_urlpatterns = [
    path("crm/reminders/", ReminderListView.as_view(), name="api-crm-reminders"),
    path("crm/reminders/<int:pk>/snooze/", ReminderSnoozeView.as_view(), name="api-crm-reminder-snooze"),
    path("crm/reminders/<int:pk>/opt-out/", ReminderOptOutView.as_view(), name="api-crm-reminder-opt-out"),
]
