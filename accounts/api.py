from datetime import date

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts import rules, selectors, services
from accounts.models import Company
from core import apikeys
from core.api.permissions import IsCompanyMember, caller_company
from core.api.views import ApiListView, ApiView
from core.errors import NotFound
from core.models import AuditEvent
from core.permissions import CompanyPermission


class CompanyOutput(serializers.ModelSerializer):
    province = serializers.StringRelatedField()
    city = serializers.StringRelatedField()

    class Meta:
        model = Company
        fields = ["id", "name", "unified_social_credit_code", "province", "city", "status"]


class CompanyProfileOutput(CompanyOutput):
    status_label = serializers.CharField(source="get_status_display")
    can_trade = serializers.BooleanField()
    trading_notice = serializers.SerializerMethodField()

    class Meta(CompanyOutput.Meta):
        fields = [*CompanyOutput.Meta.fields, "status_label", "can_trade", "trading_notice", "short_name",
                  "legal_representative", "contact_name", "contact_phone", "contact_email", "taxpayer_type",
                  "invoice_title", "tax_number", "invoice_address", "invoice_phone", "bank_name", "bank_account",
                  "verified_at", "created_at"]

    def get_trading_notice(self, company) -> str | None:
        return None if company.can_trade else str(rules.refusal_reason(company))


class CompanyView(ApiView):
    """The caller's company: profile, status and whether it can trade now (and why not)."""

    permission_classes = [IsCompanyMember]

    @extend_schema(responses=CompanyProfileOutput)
    def get(self, request):
        return Response(CompanyProfileOutput(caller_company(request)).data)


class SubAccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")
    mobile = serializers.CharField(source="user.mobile", allow_null=True)
    job_title = serializers.CharField()
    is_main_account = serializers.BooleanField(source="is_main")
    permissions = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


def _main_account(request):
    """Sub-accounts and the operation log are the main account's (its keys' too)."""
    rules.ensure_main_account(request.user)
    return caller_company(request)


class SubAccountListView(ApiView):
    """The company's logins. POST (main account) creates a sub-account; without `password`
    the employee gets an e-mail invitation to set one."""

    permission_classes = [IsCompanyMember]

    class SubAccountInput(serializers.Serializer):
        name = serializers.CharField(max_length=60)
        email = serializers.EmailField()
        mobile = serializers.RegexField(r"^1\d{10}$", required=False, allow_blank=True)
        job_title = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
        permissions = serializers.ListField(child=serializers.ChoiceField(choices=CompanyPermission.choices),
                                            allow_empty=True)
        password = serializers.CharField(required=False, allow_blank=True, write_only=True)

    @extend_schema(responses=SubAccountOutput(many=True))
    def get(self, request):
        return Response(SubAccountOutput(selectors.members_of(_main_account(request)), many=True).data)

    @extend_schema(request=SubAccountInput, responses={201: SubAccountOutput})
    def post(self, request):
        _main_account(request)
        payload = self.SubAccountInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        membership = services.create_sub_account(
            by=request.user, full_name=data["name"], email=data["email"], mobile=data.get("mobile") or None,
            permissions=data["permissions"], job_title=data["job_title"], password=data.get("password") or None,
        )
        return Response(SubAccountOutput(membership).data, status=status.HTTP_201_CREATED)


class SubAccountDetailView(ApiView):
    """Read a sub-account; PATCH its permissions or job title."""

    permission_classes = [IsCompanyMember]

    class SubAccountChangeInput(serializers.Serializer):
        permissions = serializers.ListField(child=serializers.ChoiceField(choices=CompanyPermission.choices))
        job_title = serializers.CharField(max_length=60, required=False, allow_blank=True)

    def _membership(self, request, membership_id):
        membership = selectors.sub_account_of(company=_main_account(request), membership_id=membership_id)
        if membership is None:
            raise NotFound()
        return membership

    @extend_schema(responses=SubAccountOutput)
    def get(self, request, membership_id):
        return Response(SubAccountOutput(self._membership(request, membership_id)).data)

    @extend_schema(request=SubAccountChangeInput, responses=SubAccountOutput)
    def patch(self, request, membership_id):
        membership = self._membership(request, membership_id)
        payload = self.SubAccountChangeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = services.update_sub_account(by=request.user, membership_id=membership.pk,
                                                 permissions=payload.validated_data["permissions"],
                                                 job_title=payload.validated_data.get("job_title"))
        return Response(SubAccountOutput(membership).data)


class SubAccountActiveView(ApiView):
    """POST .../disable/ or .../enable/. Disabling signs the person out and revokes their keys."""

    permission_classes = [IsCompanyMember]
    active = False

    @extend_schema(request=None, responses=SubAccountOutput)
    def post(self, request, membership_id):
        company = _main_account(request)
        if selectors.sub_account_of(company=company, membership_id=membership_id) is None:
            raise NotFound()
        membership = services.set_sub_account_active(by=request.user, membership_id=membership_id,
                                                     active=self.active)
        return Response(SubAccountOutput(membership).data)


class AuditEventOutput(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    actor_id = serializers.IntegerField(allow_null=True)
    action = serializers.CharField()
    subject = serializers.CharField(source="subject_repr")
    subject_id = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()
    reason = serializers.CharField()
    ip_address = serializers.IPAddressField(allow_null=True)
    api_key = serializers.CharField(source="api_key.prefix", allow_null=True, default=None)


class OperationLogView(ApiListView):
    """Every write by anyone in the company, newest first (main account). Filters: `actor` (user
    id), `action` (prefix, e.g. `order.`), `q` (object or text), `since`/`until` (YYYY-MM-DD)."""

    serializer_class = AuditEventOutput
    permission_classes = [IsCompanyMember]
    filter_backends = []

    @extend_schema(parameters=[
        OpenApiParameter("actor", int), OpenApiParameter("action", str), OpenApiParameter("q", str),
        OpenApiParameter("since", OpenApiTypes.DATE), OpenApiParameter("until", OpenApiTypes.DATE),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        company = _main_account(self.request)
        params = self.request.query_params
        actor = params.get("actor", "")
        return selectors.operation_log(
            company=company, actor_id=int(actor) if actor.isdigit() else None, action=params.get("action", ""),
            text=params.get("q", ""), since=_date(params.get("since")), until=_date(params.get("until")),
        )


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValidationError({"date": _("日期格式应为 YYYY-MM-DD。")}) from None


class MeView(ApiView):
    """Who the caller is: user, company, permissions and (for a key) its scopes."""

    class MeOutput(serializers.Serializer):
        email = serializers.EmailField()
        name = serializers.CharField()
        is_main_account = serializers.BooleanField()
        permissions = serializers.ListField(child=serializers.CharField())
        scopes = serializers.ListField(child=serializers.CharField(), allow_null=True)
        company = CompanyOutput(allow_null=True)

    @extend_schema(responses=MeOutput)
    def get(self, request):
        membership = selectors.membership_of(request.user)
        key = request.auth if hasattr(request.auth, "scopes") else None
        data = {
            "email": request.user.email,
            "name": request.user.display_name,
            "is_main_account": bool(membership and membership.is_main),
            "permissions": (CompanyPermission.values if membership and membership.is_main
                            else list(membership.permissions) if membership else []),
            "scopes": list(key.scopes) if key else None,
            "company": membership.company if membership else None,
        }
        return Response(self.MeOutput(data).data)


class ApiKeyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiKeyListView(ApiView):
    permission_classes = [IsCompanyMember]

    class ApiKeyInput(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=CompanyPermission.choices), allow_empty=True,
        )

    class ApiKeyCreatedOutput(ApiKeyOutput):
        key = serializers.CharField(help_text="The full key. Shown only in this response.")

    @extend_schema(responses=ApiKeyOutput(many=True))
    def get(self, request):
        keys = selectors.api_keys_of(caller_company(request))
        return Response(ApiKeyOutput(keys, many=True).data)

    @extend_schema(request=ApiKeyInput, responses={201: ApiKeyCreatedOutput})
    def post(self, request):
        payload = self.ApiKeyInput(data=request.data)
        payload.is_valid(raise_exception=True)
        key, raw = apikeys.issue_api_key(company=caller_company(request), created_by=request.user,
                                         **payload.validated_data)
        key.key = raw
        return Response(self.ApiKeyCreatedOutput(key).data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(ApiView):
    permission_classes = [IsCompanyMember]

    def _key(self, request, key_id):
        key = selectors.api_keys_of(caller_company(request)).filter(pk=key_id).first()
        if key is None:
            raise NotFound()
        return key

    @extend_schema(responses=ApiKeyOutput)
    def get(self, request, key_id):
        return Response(ApiKeyOutput(self._key(request, key_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, key_id):
        apikeys.revoke_api_key(key=self._key(request, key_id), by=request.user, reason="revoked through the API")
        return Response(status=status.HTTP_204_NO_CONTENT)
