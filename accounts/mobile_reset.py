"""Password reset by text message, for members who signed up with a mobile number only.

allauth resets passwords by e-mail; a member without an address gets a six-digit code by SMS
instead. The code lives in the cache (hashed, ten minutes, five tries), never in the database,
and the pages answer the same whether or not the number is registered, so they cannot be used
to find out who has an account. A successful reset signs the member out everywhere and is
recorded in the audit trail.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import end_sessions
from core import audit, sms
from core.errors import BusinessRuleError

CODE_TTL = 10 * 60
RESEND_AFTER = 60
MAX_TRIES = 5
SENDS_PER_IP_PER_HOUR = 10


def _key(kind, value):
    return f"accounts:mobile-reset:{kind}:{value}"


def _digest(mobile, code):
    return hmac.new(settings.SECRET_KEY.encode(), f"{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def send_reset_code(*, mobile: str, ip: str = "") -> None:
    """Text a reset code to `mobile` if an active member has it; refuse when asked too often."""
    if not cache.add(_key("cooldown", mobile), 1, RESEND_AFTER):
        raise BusinessRuleError(_("验证码发送过于频繁，请 %(seconds)s 秒后再试。") % {"seconds": RESEND_AFTER},
                                code="reset_code_too_frequent")
    if ip:
        ip_key = _key("ip", ip)
        cache.add(ip_key, 0, 3600)
        if cache.incr(ip_key) > SENDS_PER_IP_PER_HOUR:
            raise BusinessRuleError(_("验证码请求过多，请一小时后再试。"), code="reset_code_ip_limit")
    if not User.objects.filter(mobile=mobile, is_active=True).exists():
        return  # the same answer as for a member, so the page does not reveal who is registered
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_key("code", mobile), {"digest": _digest(mobile, code), "tries": 0}, CODE_TTL)
    text = _("【纸业通】您正在重设登录密码，验证码 %(code)s，%(minutes)s 分钟内有效。如非本人操作请忽略。")
    sms.send_sms(to=mobile, text=text % {"code": code, "minutes": CODE_TTL // 60})


def _check_code(*, mobile, code):
    wrong = BusinessRuleError(_("验证码错误或已过期，请重新获取。"), code="reset_code_invalid",
                              details={"code": _("验证码错误或已过期，请重新获取。")})
    stored = cache.get(_key("code", mobile))
    if not stored:
        raise wrong
    if not hmac.compare_digest(stored["digest"], _digest(mobile, (code or "").strip())):
        stored["tries"] += 1
        if stored["tries"] >= MAX_TRIES:
            cache.delete(_key("code", mobile))
        else:
            cache.set(_key("code", mobile), stored, CODE_TTL)
        raise wrong


@transaction.atomic
def reset_password(*, mobile: str, code: str, password: str) -> User:
    """Set a new password for the member with `mobile`, given the code texted to it."""
    _check_code(mobile=mobile, code=code)
    user = User.objects.select_for_update().filter(mobile=mobile, is_active=True).first()
    if user is None:  # the member was disabled after the code was sent
        raise BusinessRuleError(_("验证码错误或已过期，请重新获取。"), code="reset_code_invalid")
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    cache.delete(_key("code", mobile))
    end_sessions(users=[user])
    company = getattr(getattr(user, "membership", None), "company", None)
    audit.record(actor=user, action="user.password_reset", subject=user, company=company,
                 reason=_("通过短信验证码重设密码"))
    return user
