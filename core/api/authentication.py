from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core import apikeys, context


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key tp_xxxxxxxx_…`; authenticates as the key's creator, scoped to its company."""

    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header.startswith(self.keyword + " "):
            return None
        key = apikeys.find_active_key(header[len(self.keyword) + 1:])
        if key is None or not apikeys.key_is_usable(key):
            raise exceptions.AuthenticationFailed(_("API 密钥无效或已被吊销。"))
        apikeys.touch(key)
        context.current().api_key_id = key.pk
        request._request.api_key = key
        return key.created_by, key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Api-Key <key>`; the key is shown once when a company creates it."}
