"""Member-centre pages for webhooks (main account only): endpoints, their secrets, a test ping
and the delivery log with "send again"."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import member_page
from core import webhooks
from core.errors import BusinessRuleError
from core.flash import run_and_report
from core.models import WebhookDelivery


class EndpointForm(forms.Form):
    url = forms.CharField(label=gettext_lazy("接收地址"), max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://erp.example.cn/hooks/tradeplatform"}))
    events = forms.MultipleChoiceField(label=gettext_lazy("事件"), choices=list(webhooks.EVENTS.items()),
                                       widget=forms.CheckboxSelectMultiple)


@member_page(main_only=True)
def webhook_endpoints(request):
    company = request.user.membership.company
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.add_endpoint(by=request.user, url=form.cleaned_data["url"], events=form.cleaned_data["events"])
        except BusinessRuleError as error:
            for field, message in error.details.items():
                form.add_error(field if field in form.fields else None, message)
            if not error.details:
                form.add_error(None, error.message)
        else:
            return redirect("member:webhooks")
    status = request.GET.get("status", "")
    deliveries = webhooks.deliveries_of(company)
    if status in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return render(request, "member/webhooks.html", {
        "form": form, "endpoints": webhooks.endpoints_of(company), "events": webhooks.EVENTS,
        "deliveries": Paginator(deliveries, 30).get_page(request.GET.get("page")),
        "statuses": WebhookDelivery.Status.choices, "status": status,
    })


# Each action runs one service; another company's endpoint or delivery is "not found" there.

@require_POST
@member_page(main_only=True)
def webhook_endpoint_active(request, endpoint_id):
    active = request.POST.get("active") == "1"
    run_and_report(request, lambda: webhooks.set_endpoint_active(by=request.user, endpoint_id=endpoint_id,
                                                                 active=active),
                   _("已启用该接收地址。") if active else _("已暂停该接收地址，暂停期间的事件不会发送。"))
    return redirect("member:webhooks")


@require_POST
@member_page(main_only=True)
def webhook_endpoint_rotate(request, endpoint_id):
    run_and_report(request, lambda: webhooks.rotate_secret(by=request.user, endpoint_id=endpoint_id),
                   _("已更换签名密钥，请同步更新接收方的验签密钥。"))
    return redirect("member:webhooks")


@require_POST
@member_page(main_only=True)
def webhook_endpoint_remove(request, endpoint_id):
    run_and_report(request, lambda: webhooks.remove_endpoint(by=request.user, endpoint_id=endpoint_id),
                   _("已删除该接收地址及其投递记录。"))
    return redirect("member:webhooks")


@require_POST
@member_page(main_only=True)
def webhook_endpoint_test(request, endpoint_id):
    run_and_report(request, lambda: webhooks.send_test(by=request.user, endpoint_id=endpoint_id),
                   _("测试消息已排队发送，结果见下方投递记录。"))
    return redirect("member:webhooks")


@require_POST
@member_page(main_only=True)
def webhook_delivery_redeliver(request, delivery_id):
    run_and_report(request, lambda: webhooks.redeliver(by=request.user, delivery_id=delivery_id),
                   _("已重新排队发送。"))
    return redirect("member:webhooks")
