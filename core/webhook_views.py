"""Webhooks for the main account: member-centre pages (endpoints, their secrets, a test ping,
the delivery log with "send again") and the same through the API."""

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts import rules
from accounts.access import member_page
from core import webhooks
from core.api.permissions import IsCompanyMember
from core.api.views import ApiListView, ApiView
from core.errors import BusinessRuleError
from core.flash import run_and_report, show_refusal_on_form
from core.models import WebhookDelivery, WebhookEndpoint


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
            show_refusal_on_form(form, error)
        else:
            return redirect("member:webhooks")
    shown = request.GET.get("status", "")
    return render(request, "member/webhooks.html", {
        "form": form, "endpoints": webhooks.endpoints_of(company),
        "deliveries": Paginator(webhooks.deliveries_of(company, status=shown), 30).get_page(request.GET.get("page")),
        "statuses": WebhookDelivery.Status.choices, "status": shown,
    })


# What the buttons beside an endpoint do: one service each, and what to say when it worked.
ENDPOINT_ACTIONS = {
    "resume": (lambda by, pk: webhooks.set_endpoint_active(by=by, endpoint_id=pk, active=True),
               gettext_lazy("已启用该接收地址。")),
    "pause": (lambda by, pk: webhooks.set_endpoint_active(by=by, endpoint_id=pk, active=False),
              gettext_lazy("已暂停该接收地址，暂停期间的事件不会发送。")),
    "rotate": (lambda by, pk: webhooks.rotate_secret(by=by, endpoint_id=pk),
               gettext_lazy("已更换签名密钥，请同步更新接收方的验签密钥。")),
    "remove": (lambda by, pk: webhooks.remove_endpoint(by=by, endpoint_id=pk),
               gettext_lazy("已删除该接收地址及其投递记录。")),
    "test": (lambda by, pk: webhooks.send_test(by=by, endpoint_id=pk),
             gettext_lazy("测试消息已排队发送，结果见下方投递记录。")),
}


@require_POST
@member_page(main_only=True)
def webhook_endpoint_action(request, endpoint_id, action):
    """Another company's endpoint is "not found" to the service, and said so."""
    if action not in ENDPOINT_ACTIONS:
        raise Http404
    service, success = ENDPOINT_ACTIONS[action]
    run_and_report(request, lambda: service(request.user, endpoint_id), success)
    return redirect("member:webhooks")


@require_POST
@member_page(main_only=True)
def webhook_delivery_redeliver(request, delivery_id):
    run_and_report(request, lambda: webhooks.redeliver(by=request.user, delivery_id=delivery_id),
                   _("已重新排队发送。"))
    return redirect("member:webhooks")


# --- API: partner systems manage their own endpoints (keys created by the main account) --------------

class EndpointOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "secret", "is_active", "created_at"]


class DeliveryOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "event_id", "event", "status", "attempts", "next_attempt_at", "last_status_code",
                  "last_error", "created_at", "delivered_at", "payload"]


def _main_company(request):
    return rules.ensure_main_account(request.user).company


class WebhookEndpointListView(ApiView):
    """The company's webhook endpoints (main account's keys only). POST adds one; the answer
    carries the signing secret. Events: order.placed, order.status_changed, payment.confirmed,
    shipment.created, barter.deal.status_changed."""

    permission_classes = [IsCompanyMember]

    class EndpointInput(serializers.Serializer):
        url = serializers.CharField(max_length=500, help_text="An HTTPS URL outside the platform's network.")
        events = serializers.ListField(child=serializers.ChoiceField(choices=list(webhooks.EVENTS)), min_length=1)

    @extend_schema(responses=EndpointOutput(many=True))
    def get(self, request):
        return Response(EndpointOutput(webhooks.endpoints_of(_main_company(request)), many=True).data)

    @extend_schema(request=EndpointInput, responses={201: EndpointOutput})
    def post(self, request):
        _main_company(request)
        payload = self.EndpointInput(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = webhooks.add_endpoint(by=request.user, **payload.validated_data)
        return Response(EndpointOutput(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(ApiView):
    """PATCH `is_active` pauses or resumes; DELETE removes the endpoint and its log."""

    permission_classes = [IsCompanyMember]

    class ActiveInput(serializers.Serializer):
        is_active = serializers.BooleanField()

    @extend_schema(request=ActiveInput, responses=EndpointOutput)
    def patch(self, request, endpoint_id):
        payload = self.ActiveInput(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = webhooks.set_endpoint_active(by=request.user, endpoint_id=endpoint_id,
                                                active=payload.validated_data["is_active"])
        return Response(EndpointOutput(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request, endpoint_id):
        webhooks.remove_endpoint(by=request.user, endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(ApiListView):
    """The delivery log, newest first (30 days); `?status=pending|delivered|failed`."""

    serializer_class = DeliveryOutput
    permission_classes = [IsCompanyMember]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return webhooks.deliveries_of(_main_company(self.request), status=self.request.query_params.get("status", ""))
