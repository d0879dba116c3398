"""One small hierarchy of business errors.

A service raises one of these with a stable `code` and a translated `message`; the HTML layer
shows the message, the API returns both (see core/api/errors.py).
"""

from django.utils.translation import gettext_lazy as _


class BusinessRuleError(Exception):
    """A request that breaks a business rule. HTTP 422 over the API."""

    code = "business_rule"
    status_code = 422
    default_message = _("该操作不符合业务规则。")

    def __init__(self, message=None, *, code=None, details=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details or {}
        super().__init__(str(self.message))


class NotAllowed(BusinessRuleError):
    """The actor lacks the right to do this. HTTP 403."""

    code = "not_allowed"
    status_code = 403
    default_message = _("您没有执行此操作的权限。")


class NotFound(BusinessRuleError):
    """The object does not exist for this actor (other companies' objects included). HTTP 404."""

    code = "not_found"
    status_code = 404
    default_message = _("未找到该对象。")


class Conflict(BusinessRuleError):
    """The object changed under the request, or the request repeats a finished one. HTTP 409."""

    code = "conflict"
    status_code = 409
    default_message = _("该对象已被他人修改，请刷新后重试。")


class InvalidTransition(BusinessRuleError):
    """A state change the transition table does not allow."""

    code = "invalid_transition"

    def __init__(self, current, target, *, label=None):
        from django.utils.translation import gettext

        super().__init__(
            gettext("不能从“%(current)s”变更为“%(target)s”。")
            % {"current": label(current) if label else current, "target": label(target) if label else target},
            details={"from": str(current), "to": str(target)},
        )
