"""Member centre (会员中心) pages. Thin: a form in, one service call, render or redirect."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import mobile_reset, selectors, services
from accounts.access import member_page
from accounts.forms import (
    DOCUMENT_FIELDS,
    ApiKeyForm,
    CompanyChangeForm,
    DeregisterForm,
    FreezeForm,
    MobileResetForm,
    MobileResetRequestForm,
    OperationLogForm,
    SubAccountForm,
    SubAccountPermissionsForm,
    UnfreezeRequestForm,
    VerificationForm,
)
from accounts.models import Company, FreezeRecord
from core import apikeys
from core.backoffice import audit_csv_response
from core.context import client_ip
from core.errors import BusinessRuleError
from core.flash import show_refusal_on_form


@login_required
def member_home(request):
    membership = selectors.membership_of(request.user)
    return render(request, "member/home.html", {
        "membership": membership,
        "company": membership.company if membership else None,
        "members": selectors.members_of(membership.company) if membership and membership.is_main else [],
    })


# --- verification --------------------------------------------------------------------------------

def _verification_initial(company, application):
    if application is not None:
        source = application
    elif company is not None:
        source = company
    else:
        return {}
    return {name: getattr(source, name) for name in VerificationForm.base_fields if name not in DOCUMENT_FIELDS}


@login_required
def verification(request):
    """Apply for enterprise verification, upgrade from an individual member, see the status and,
    after a rejection, edit and resubmit."""
    membership = selectors.membership_of(request.user)
    company = membership.company if membership else None
    application = selectors.latest_application(company)
    can_apply = company is None or (company.status == Company.Status.REJECTED and membership.is_main)
    form = None
    if can_apply:
        form = VerificationForm(request.POST or None, request.FILES or None,
                                initial=_verification_initial(company, application))
        if request.method == "POST" and form.is_valid():
            try:
                services.apply_for_verification(user=request.user, details=form.details(),
                                                documents=form.documents())
            except BusinessRuleError as error:
                show_refusal_on_form(form, error)
            else:
                messages.success(request, _("认证申请已提交，平台将在 1–3 个工作日内完成审核。"))
                return redirect("member:verification")
    return render(request, "member/verification.html", {
        "company": company, "application": application, "form": form, "can_apply": can_apply,
        "documents": selectors.documents_of(company, application=application) if application else [],
    })


@member_page(main_only=True)
def company_change(request):
    """Change the company name or legal representative, with a new business licence."""
    company = request.user.membership.company
    pending = company.applications.filter(kind="change", status="pending").first()
    form = None
    if company.status == Company.Status.VERIFIED:
        form = CompanyChangeForm(request.POST or None, request.FILES or None, initial={
            "name": company.name, "legal_representative": company.legal_representative,
            "legal_representative_id_number": company.legal_representative_id_number,
        })
        if request.method == "POST" and form.is_valid():
            try:
                services.request_company_change(user=request.user, changes=form.changes(),
                                                documents={"business_licence": [form.cleaned_data["business_licence"]]})
            except BusinessRuleError as error:
                show_refusal_on_form(form, error)
            else:
                messages.success(request, _("变更申请已提交。审核期间不能下单或接单。"))
                return redirect("member:company-change")
    return render(request, "member/company_change.html", {
        "company": company, "form": form, "pending": pending,
        "history": company.applications.filter(kind="change").order_by("-submitted_at")[:10],
    })


@login_required
def document(request, document_id):
    """A company document, to the company's own members and to staff only."""
    found = selectors.document_for(user=request.user, document_id=document_id)
    if found is None:
        raise Http404
    try:
        stored = found.file.open("rb")
    except FileNotFoundError:  # the record outlived its file (storage restored without it)
        raise Http404 from None
    return FileResponse(stored, content_type=found.content_type, filename=found.original_name,
                        as_attachment=request.GET.get("download") == "1")


# --- sub-accounts ----------------------------------------------------------------------------------

@member_page(main_only=True)
def sub_accounts(request):
    company = request.user.membership.company
    form = SubAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_sub_account(
                by=request.user, full_name=data["full_name"], email=data["email"], mobile=data["mobile"] or None,
                permissions=data["permissions"], job_title=data["job_title"],
                password=data["password"] if data["how"] == "password" else None,
            )
        except BusinessRuleError as error:
            show_refusal_on_form(form, error)
        else:
            messages.success(request, _("子账号已创建。") if data["how"] == "password"
                             else _("子账号已创建，邀请邮件已发送到 %(email)s。") % {"email": data["email"]})
            return redirect("member:sub-accounts")
    return render(request, "member/sub_accounts.html", {
        "company": company, "form": form, "members": selectors.members_of(company),
    })


@member_page(main_only=True)
def sub_account_detail(request, membership_id):
    company = request.user.membership.company
    membership = selectors.sub_account_of(company=company, membership_id=membership_id)
    if membership is None:
        raise Http404
    form = SubAccountPermissionsForm(request.POST or None, initial={
        "permissions": membership.permissions, "job_title": membership.job_title,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.update_sub_account(by=request.user, membership_id=membership.pk,
                                        permissions=form.cleaned_data["permissions"],
                                        job_title=form.cleaned_data["job_title"])
        except BusinessRuleError as error:
            show_refusal_on_form(form, error)
        else:
            messages.success(request, _("权限已更新。"))
            return redirect("member:sub-account", membership_id=membership.pk)
    return render(request, "member/sub_account_detail.html", {
        "company": company, "membership": membership, "form": form,
        "events": selectors.operation_log(company=company, actor_id=membership.user_id)[:20],
    })


@require_POST
@member_page(main_only=True)
def sub_account_active(request, membership_id):
    active = request.POST.get("active") == "1"
    try:
        services.set_sub_account_active(by=request.user, membership_id=membership_id, active=active)
    except BusinessRuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("子账号已启用。") if active else _("子账号已停用，其登录和 API 密钥已失效。"))
    return redirect("member:sub-account", membership_id=membership_id)


# --- operation log ---------------------------------------------------------------------------------

@member_page(main_only=True)
def operation_log(request):
    """Every write by anyone in the company: who, what, which object, when, from where."""
    company = request.user.membership.company
    form = OperationLogForm(request.GET or None, members=selectors.members_of(company))
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.operation_log(
        company=company, actor_id=filters.get("actor"), action=filters.get("action", ""),
        text=filters.get("q", ""), since=filters.get("since"), until=filters.get("until"),
    )
    if request.GET.get("format") == "csv":
        return audit_csv_response(events, filename="operation-log.csv")
    return render(request, "member/operation_log.html", {
        "company": company, "form": form, "page": Paginator(events, 50).get_page(request.GET.get("page")),
        "query": request.GET.urlencode(),
    })


# --- freeze, unfreeze, deregistration ------------------------------------------------------------------

@member_page(main_only=True)
def freeze(request):
    """Emergency freeze by the company itself (password re-entered)."""
    company = request.user.membership.company
    form = FreezeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.freeze_company(company=company, by=request.user, channel=FreezeRecord.Channel.SELF_SERVICE,
                                    reason=form.cleaned_data["reason"], password=form.cleaned_data["password"])
        except BusinessRuleError as error:
            show_refusal_on_form(form, error)
        else:
            return redirect("member:frozen")
    return render(request, "member/freeze.html", {"company": company, "form": form})


@login_required
def frozen(request):
    """What a frozen company's members see: why, and the unfreeze request."""
    membership = selectors.membership_of(request.user)
    company = membership.company if membership else None
    if company is None or company.status != Company.Status.FROZEN:
        return redirect("member:home")
    record = services.active_freeze(company)
    form = UnfreezeRequestForm(request.POST or None) if membership.is_main else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.request_unfreeze(by=request.user, note=form.cleaned_data["note"])
        except BusinessRuleError as error:
            show_refusal_on_form(form, error)
        else:
            messages.success(request, _("解冻申请已提交，平台审核后会通知您。"))
            return redirect("member:frozen")
    return render(request, "member/frozen.html", {"company": company, "record": record, "form": form})


@member_page(main_only=True)
def deregister(request):
    company = request.user.membership.company
    open_items = services.open_obligations(company)
    form = DeregisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.deregister_company(by=request.user, password=form.cleaned_data["password"])
        except BusinessRuleError as error:
            show_refusal_on_form(form, error)
        else:
            logout(request)
            return render(request, "member/deregistered.html", {"company_name": company.name})
    return render(request, "member/deregister.html", {"company": company, "form": form, "open_items": open_items,
                                                      "frozen": company.status == Company.Status.FROZEN})


# --- API keys ----------------------------------------------------------------------------------------

@member_page()
def api_keys(request):
    company = request.user.membership.company
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _key, new_key = apikeys.issue_api_key(
                company=company, created_by=request.user, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except BusinessRuleError as error:
            form.add_error(None, error.message)
        else:
            form = ApiKeyForm()
    return render(request, "member/api_keys.html", {
        "form": form, "new_key": new_key, "keys": selectors.api_keys_of(company),
    })


@require_POST
@member_page()
def api_key_revoke(request, key_id):
    company = request.user.membership.company
    key = selectors.api_keys_of(company).filter(pk=key_id).first()
    if key is None:
        raise Http404
    apikeys.revoke_api_key(key=key, by=request.user, reason=_("企业自行吊销"))
    messages.success(request, _("API 密钥“%(name)s”已吊销。") % {"name": key.name})
    return redirect("member:api-keys")


def help_accounts(request):
    return render(request, "storefront/help_accounts.html")



# --- password reset by text message (members without an e-mail address) -------------------------

MOBILE_RESET_SESSION_KEY = "accounts.mobile_reset"


def mobile_password_reset(request):
    form = MobileResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        try:
            mobile_reset.send_reset_code(mobile=mobile, ip=client_ip(request) or "")
        except BusinessRuleError as error:
            form.add_error(None, error.message)
        else:
            request.session[MOBILE_RESET_SESSION_KEY] = mobile
            messages.info(request, _("如果该手机号已注册，验证码已发送，10 分钟内有效。"))
            return redirect("account_reset_password_mobile_confirm")
    return render(request, "account/password_reset_mobile.html", {"form": form})


def mobile_password_reset_confirm(request):
    mobile = request.session.get(MOBILE_RESET_SESSION_KEY)
    if not mobile:
        return redirect("account_reset_password_mobile")
    form = MobileResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mobile_reset.reset_password(mobile=mobile, code=form.cleaned_data["code"],
                                        password=form.cleaned_data["password1"])
        except BusinessRuleError as error:
            show_refusal_on_form(form, error)
        except ValidationError as error:  # the password validators
            form.add_error("password1", error)
        else:
            request.session.pop(MOBILE_RESET_SESSION_KEY, None)
            messages.success(request, _("密码已重设，所有设备上的登录已退出。请用新密码登录。"))
            return redirect("account_login")
    return render(request, "account/password_reset_mobile_confirm.html", {"form": form, "mobile": mobile})
