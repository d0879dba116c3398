"""One error format for the whole API:

    {"error": {"code": "validation_error", "message": "…", "details": {…}}}
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import BusinessRuleError


class IdempotentReplay(Exception):
    """Carries the stored first response of a repeated request."""

    def __init__(self, status_code, data):
        self.status_code, self.data = status_code, data


def error_response(*, code, message, status_code, details=None, headers=None):
    body = {"error": {"code": code, "message": str(message), "details": details or {}}}
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, IdempotentReplay):
        return Response(exc.data, status=exc.status_code, headers={"Idempotent-Replayed": "true"})
    if isinstance(exc, BusinessRuleError):
        set_rollback()
        return error_response(code=exc.code, message=exc.message, status_code=exc.status_code, details=exc.details)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's 500 handler logs it
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        return error_response(code="validation_error", message=_("提交的数据有误，请检查后重试。"),
                              status_code=exc.status_code, details=exc.detail, headers=headers)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return error_response(code=code, message=exc.detail, status_code=exc.status_code, headers=headers)


UNPROCESSABLE = status.HTTP_422_UNPROCESSABLE_ENTITY
