from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts import selectors
from accounts.models import Company
from core import apikeys
from core.api.permissions import IsCompanyMember, caller_company
from core.api.views import ApiView
from core.errors import NotFound
from core.permissions import CompanyPermission


class CompanyOutput(serializers.ModelSerializer):
    province = serializers.StringRelatedField()
    city = serializers.StringRelatedField()

    class Meta:
        model = Company
        fields = ["id", "name", "unified_social_credit_code", "province", "city", "verification", "standing"]


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
