"""How django-allauth signs people up and in here: by e-mail or by a mainland-China mobile number.

- A member signs up with an e-mail address or a mobile number (either is enough) and a password;
  an e-mail address is verified by a link, a mobile number by a code sent by SMS
  (`core.sms`). Both log in with whichever they gave, plus the password.
- Mobile numbers are stored normalised as "+86" and the 11 digits (E.164, as allauth expects)
  in `User.mobile`; `User.mobile_verified` says whether the code was confirmed.
- Five wrong passwords lock the account for a while, counted per account, whichever login
  (e-mail or mobile) named it.
- Two-factor (TOTP) is for individuals, companies' main accounts and staff; a company's
  sub-account is refused (its company's main account answers for it).
"""

import re

from allauth.account import app_settings as account_settings
from allauth.account import stages
from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.internal.userkit import filter_users_by_email
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse, RateLimited
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.core.internal.ratelimit import parse_rates
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import sms

_MOBILE = re.compile(r"^(?:\+86)?(1\d{10})$")


def normalize_mobile(value: str) -> str | None:
    """'138 0013 8000', '138-0013-8000' or '+8613800138000' -> '+8613800138000'; None if it is
    not an 11-digit mainland mobile number starting with 1."""
    match = _MOBILE.match(re.sub(r"[\s-]", "", value or ""))
    return f"+86{match.group(1)}" if match else None


class MobileField(forms.CharField):
    """A mainland mobile number; cleans to the normalised form."""

    default_error_messages = {"invalid": _("请输入 11 位中国大陆手机号（以 1 开头，可带 +86）。")}

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("手机号"))
        kwargs.setdefault("widget", forms.TextInput(
            attrs={"placeholder": _("手机号"), "autocomplete": "tel", "type": "tel", "inputmode": "tel"},
        ))
        kwargs.pop("validators", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        mobile = normalize_mobile(value)
        if mobile is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return mobile


class SignupForm(AllauthSignupForm):
    """allauth's signup form with the e-mail address optional when a mobile number is given.

    ACCOUNT_SIGNUP_FIELDS lists "email*" because allauth's mandatory e-mail verification insists
    on it; `email_required=False` is allauth's own switch for waiving it per form, and `clean`
    puts back the real rule: one of the two.
    """

    def __init__(self, *args, **kwargs):
        kwargs["email_required"] = False
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("邮箱")
        self.fields["email"].help_text = _("邮箱和手机号填写其中一项即可。")
        self.fields["phone"].label = _("手机号")

    def clean(self):
        cleaned_data = super().clean()
        given = cleaned_data.get("email") or cleaned_data.get("phone")
        if not given and not self.has_error("email") and not self.has_error("phone"):
            raise ValidationError(_("请填写邮箱或手机号。"), code="email_or_mobile_required")
        return cleaned_data


class EmailVerificationStage(stages.EmailVerificationStage):
    """allauth's mandatory e-mail verification, except for an account that has no e-mail
    address at all (signed up by mobile): there is nothing to verify, and its mobile number was
    verified by the phone stage that runs before this one."""

    def handle(self):
        user = self.login.user
        if user is not None and not user.email and not EmailAddress.objects.filter(user_id=user.pk).exists():
            return None, True
        return super().handle()


class PhoneVerificationStage(stages.PhoneVerificationStage):
    """allauth's phone verification, answering a refused text (allauth's `verify_phone` rate
    limit, e.g. a second signup with the same number within 30 s) with a message on the login
    page instead of a server error. The account, if just created, stays: logging in with the
    mobile number and password later sends a new code."""

    def handle(self):
        try:
            return super().handle()
        except RateLimited:
            get_adapter().add_message(self.request, messages.ERROR, message=gettext(
                "验证码发送过于频繁。请稍后用手机号和密码登录，完成手机验证。"
            ))
            return headed_redirect_response("account_login"), False


def _lockout_minutes() -> int:
    rates = parse_rates(account_settings.RATE_LIMITS.get("login_failed"))
    return max(1, int(max((rate.duration for rate in rates if rate.per == "key"), default=300) // 60))


class AccountAdapter(DefaultAccountAdapter):
    # --- mobile numbers (allauth's phone interface) ----------------------------------------
    def phone_form_field(self, **kwargs):
        return MobileField(**kwargs)

    def get_phone(self, user):
        return (user.mobile, user.mobile_verified) if user.mobile else None

    def set_phone(self, user, phone, verified):
        user.mobile, user.mobile_verified = phone, verified
        if user.pk:  # at signup allauth sets the number before the user is saved
            user.save(update_fields=["mobile", "mobile_verified"])

    def set_phone_verified(self, user, phone):
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone):
        mobile = normalize_mobile(phone)
        return User.objects.filter(mobile=mobile).first() if mobile else None

    def send_verification_code_sms(self, user, phone, code, **kwargs):
        minutes = account_settings.PHONE_VERIFICATION_TIMEOUT // 60
        text = gettext("【纸业通】您的验证码是 %(code)s，%(minutes)s 分钟内有效。请勿泄露。")
        sms.send_sms(to=phone, text=text % {"code": code, "minutes": minutes})

    def send_account_already_exists_sms(self, phone):
        # Signing up with a number already registered: tell the owner, not the screen (enumeration).
        sms.send_sms(to=phone, text=gettext(
            "【纸业通】有人尝试用本手机号注册，但该号码已注册。如是您本人，请直接登录或找回密码。"
        ))

    # --- signup ------------------------------------------------------------------------------
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        # A member who signed up by mobile has no address: NULL, never "" (the column is unique).
        user.email = user.email or None
        if commit:
            user.save()
        return user

    def get_login_stages(self):
        ours = {
            "allauth.account.stages.PhoneVerificationStage": "accounts.adapters.PhoneVerificationStage",
            "allauth.account.stages.EmailVerificationStage": "accounts.adapters.EmailVerificationStage",
        }
        return [ours.get(path, path) for path in super().get_login_stages()]

    # --- lockout after wrong passwords ------------------------------------------------------
    def _get_login_attempts_cache_key(self, request, **credentials):
        """Failed passwords count per account, so its e-mail and its mobile share one counter;
        allauth's own key is the e-mail or username typed, which is empty for every mobile login.
        A login that names no account counts on its own (normalised) text."""
        user = None
        if credentials.get("phone"):
            user = self.get_user_by_phone(credentials["phone"])
        elif credentials.get("email"):
            user = next(iter(filter_users_by_email(credentials["email"], prefer_verified=True, for_login=True)),
                        None)
        if user is not None:
            return f"user:{user.pk}"
        typed = credentials.get("phone") or credentials.get("email") or credentials.get("username") or ""
        return f"login:{normalize_mobile(typed) or typed.lower()}"

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            raise ValidationError(
                gettext("登录失败次数过多，账户已被暂时锁定。请 %(minutes)s 分钟后再试，或通过“忘记密码”重设密码。")
                % {"minutes": _lockout_minutes()},
                code="account_locked",
            ) from None


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "totp_not_allowed": _("企业子账号不能开启两步验证，登录安全由企业主账号统一管理。"),
    }

    def can_activate_totp(self, user) -> bool:
        return user.may_use_two_factor


class ActivateTOTPForm(AllauthActivateTOTPForm):
    """allauth's TOTP activation form, refusing whom `MFAAdapter.can_activate_totp` refuses.

    allauth 65.21 has no adapter hook for "may this user add an authenticator"; this form is
    built both for the page that shows the QR code and for the POST that activates, so checking
    here refuses both (back to the two-factor page with the reason), before a secret is made.
    """

    def __init__(self, *args, **kwargs):
        adapter = get_mfa_adapter()
        request = adapter.request
        if not adapter.can_activate_totp(kwargs["user"]):
            messages.error(request, adapter.error_messages["totp_not_allowed"])
            raise ImmediateHttpResponse(redirect("mfa_index"))
        super().__init__(*args, **kwargs)
