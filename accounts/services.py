"""Writes on companies and their people.

Each service checks its rule (accounts.rules), runs in one transaction, records audit events
(the company's operation log) and queues notifications on commit.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.documents import delete_document_file, store_document
from accounts.models import Application, Company, CompanyDocument, FreezeRecord, Membership, User
from accounts.states import company_transition
from accounts.validators import is_valid_credit_code, is_valid_id_number
from core import apikeys, audit
from core.errors import BusinessRuleError, Conflict, NotAllowed
from core.notifications import notify
from core.permissions import CompanyPermission, StaffRole, has_staff_role
from core.workdays import working_deadline

S = Company.Status
REVIEW_WORKING_DAYS = 3  # promised to applicants: 1–3 working days
APPLICATION_FIELDS = [
    "name", "unified_social_credit_code", "province", "city", "legal_representative",
    "legal_representative_id_number", "contact_name", "contact_phone", "contact_email", "taxpayer_type",
    "invoice_title", "tax_number", "invoice_address", "invoice_phone", "bank_name", "bank_account",
]
CHANGEABLE_FIELDS = ["name", "legal_representative", "legal_representative_id_number"]
REVIEWER_ROLES = (StaffRole.REVIEWER, StaffRole.CUSTOMER_SERVICE, StaffRole.ADMINISTRATOR)
FREEZE_ROLES = (StaffRole.CUSTOMER_SERVICE, StaffRole.ADMINISTRATOR)


# --- people -----------------------------------------------------------------------------------

@transaction.atomic
def create_user(*, email, password, full_name="", mobile=None, is_staff=False, email_verified=False):
    """A login with its allauth e-mail address (verified when created by staff or the demo world)."""
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email=email, password=password, full_name=full_name, mobile=mobile,
                                    is_staff=is_staff)
    if user.email:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    return user


def end_sessions(*, users):
    """Sign the users out everywhere, at once (their session hash changes)."""
    User.objects.filter(pk__in=[user.pk for user in users]).update(session_epoch=F("session_epoch") + 1)


def _company_users(company):
    return list(User.objects.filter(membership__company=company))


def notify_company(company, *, kind, key, title, body="", link="", permission=None):
    """Tell the company's main account, and the sub-accounts holding `permission` when one is named."""
    members = company.memberships.filter(is_active=True).select_related("user")
    for membership in members:
        if membership.is_main or (permission and permission in membership.permissions):
            notify(recipient=membership.user, kind=kind, key=f"{key}:{membership.user_id}", title=title, body=body,
                   link=link)


# --- verification -----------------------------------------------------------------------------

def _check_details(details):
    errors = {}
    if not is_valid_credit_code(details.get("unified_social_credit_code", "")):
        errors["unified_social_credit_code"] = _("统一社会信用代码无效：应为 18 位，且校验位符合 GB 32100-2015。")
    if not is_valid_id_number(details.get("legal_representative_id_number", "")):
        errors["legal_representative_id_number"] = _(
            "法定代表人身份证号码无效：应为 18 位，且校验位符合 GB 11643-1999。")
    city, province = details.get("city"), details.get("province")
    if province is None or city is None or city.province_id != province.pk:
        errors["city"] = _("请选择注册省份及其下属城市。")
    if errors:
        raise BusinessRuleError(_("提交的企业信息有误，请检查后重试。"), code="invalid_details", details=errors)


def _check_code_free(code, *, company=None):
    taken = Company.objects.exclude(status=S.DEREGISTERED).filter(unified_social_credit_code=code)
    if company is not None:
        taken = taken.exclude(pk=company.pk)
    if taken.exists():
        raise BusinessRuleError(
            _("该统一社会信用代码已有企业账户。平台不支持账户合并，如需找回账户请联系客服。"), code="credit_code_taken",
            details={"unified_social_credit_code": _("已被其他企业账户使用。")},
        )


def _store_uploads(*, company, documents, by, application=None, freeze=None):
    stored = []
    for kind, uploads in documents.items():
        for upload in uploads:
            stored.append(store_document(company=company, kind=kind, upload=upload, by=by, application=application,
                                         freeze=freeze))
    return stored


def _new_application(*, company, kind, by, details):
    now = timezone.now()
    return Application.objects.create(
        company=company, kind=kind, submitted_by=by, submitted_at=now,
        due_at=working_deadline(now, REVIEW_WORKING_DAYS), **{field: details.get(field) or "" for field in
                                                               APPLICATION_FIELDS if field not in ("province", "city")},
        province=details.get("province"), city=details.get("city"),
    )


@transaction.atomic
def apply_for_verification(*, user, details, documents):
    """An individual member applies for enterprise verification (企业认证), or a rejected
    applicant resubmits. The company exists from now on, in review; the user is its main account.

    `details` holds APPLICATION_FIELDS (province/city as Regions); `documents` maps a
    CompanyDocument.Kind to a list of uploads and must include the business licence.
    """
    _check_details(details)
    if not documents.get(CompanyDocument.Kind.BUSINESS_LICENCE):
        raise BusinessRuleError(_("请上传营业执照。"), code="licence_required",
                                details={"business_licence": _("营业执照为必传资料。")})
    membership = getattr(user, "membership", None)
    company_fields = {field: details.get(field) or "" for field in APPLICATION_FIELDS}
    company_fields.update(province=details["province"], city=details["city"])
    if membership is None:
        _check_code_free(details["unified_social_credit_code"])
        try:
            with transaction.atomic():
                company = Company.objects.create(status=S.APPLYING, **company_fields)
        except IntegrityError as exc:  # the same code registered a moment ago
            raise BusinessRuleError(_("该统一社会信用代码已有企业账户。"), code="credit_code_taken") from exc
        Membership.objects.create(user=user, company=company, is_main=True)
        audit.record(actor=user, action="company.status", subject=company, before="individual", after=S.APPLYING,
                     reason=_("个人会员申请企业认证"))
    else:
        rules.ensure_main_account(user)
        company = Company.objects.select_for_update().get(pk=membership.company_id)
        if company.status != S.REJECTED:
            raise Conflict(_("企业认证申请已提交或已通过，无需重复提交。"), code="already_applied")
        _check_code_free(details["unified_social_credit_code"], company=company)
        for field, value in company_fields.items():
            setattr(company, field, value)
        company.save()
        company_transition(company_id=company.pk, to=S.APPLYING, actor=user, reason=_("修改后重新提交认证"))
    application = _new_application(company=company, kind=Application.Kind.VERIFICATION, by=user, details=details)
    _store_uploads(company=company, documents=documents, by=user, application=application)
    audit.record(actor=user, action="application.submit", subject=application, company=company,
                 after=application.kind)
    return application


@transaction.atomic
def request_company_change(*, user, changes, documents):
    """A verified company asks to change its name or legal representative (with a new business
    licence). Until staff decide, it cannot place or accept new orders."""
    membership = rules.ensure_main_account(user)
    company = Company.objects.select_for_update().get(pk=membership.company_id)
    if company.status == S.CHANGE_PENDING:
        raise Conflict(_("已有一项信息变更正在审核中。"), code="change_pending")
    if company.status != S.VERIFIED:
        raise NotAllowed(rules.refusal_reason(company), code=f"company_{company.status}")
    if not documents.get(CompanyDocument.Kind.BUSINESS_LICENCE):
        raise BusinessRuleError(_("变更企业信息需上传新的营业执照。"), code="licence_required",
                                details={"business_licence": _("营业执照为必传资料。")})
    details = {field: getattr(company, field) for field in APPLICATION_FIELDS}
    details.update({field: value for field, value in changes.items() if field in CHANGEABLE_FIELDS and value})
    _check_details(details)
    application = _new_application(company=company, kind=Application.Kind.CHANGE, by=user, details=details)
    _store_uploads(company=company, documents=documents, by=user, application=application)
    company_transition(company_id=company.pk, to=S.CHANGE_PENDING, actor=user, reason=_("提交企业信息变更"))
    audit.record(actor=user, action="application.submit", subject=application, company=company,
                 after=application.kind)
    return application


@transaction.atomic
def review_application(*, application_id, reviewer, approve, reason=""):
    """Staff decide a verification or change application; the applicant is told either way."""
    if not has_staff_role(reviewer, *REVIEWER_ROLES):
        raise NotAllowed()
    application = Application.objects.select_for_update().select_related("company").get(pk=application_id)
    if application.status != Application.Status.PENDING:
        raise Conflict(_("该申请已经处理过了。"), code="already_decided")
    reason = reason.strip()
    if not approve and not reason:
        raise BusinessRuleError(_("驳回申请时必须填写原因，申请人会看到它。"), code="reason_required",
                                details={"reason": _("请填写驳回原因。")})
    application.status = Application.Status.APPROVED if approve else Application.Status.REJECTED
    application.decided_by, application.decided_at, application.decision_reason = reviewer, timezone.now(), reason
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    company = Company.objects.select_for_update().get(pk=application.company_id)
    if application.kind == Application.Kind.VERIFICATION:
        company_transition(company_id=company.pk, to=S.VERIFIED if approve else S.REJECTED, actor=reviewer,
                           reason=reason)
    else:
        if approve:
            for field in CHANGEABLE_FIELDS:
                setattr(company, field, getattr(application, field))
            company.save(update_fields=[*CHANGEABLE_FIELDS, "updated_at"])
        if company.status == S.CHANGE_PENDING:
            company_transition(company_id=company.pk, to=S.VERIFIED, actor=reviewer, reason=reason)
    audit.record(actor=reviewer, action="application.approve" if approve else "application.reject",
                 subject=application, company=company, before=Application.Status.PENDING,
                 after=application.status, reason=reason)
    kind = application.get_kind_display()
    title = (_("%(kind)s申请已通过") if approve else _("%(kind)s申请未通过")) % {"kind": kind}
    notify_company(company, kind="application.decision", key=f"application:{application.pk}", title=title,
                    body=reason, link=reverse("member:verification"))
    return application


# --- sub-accounts ---------------------------------------------------------------------------------

def _check_permissions(permissions):
    unknown = set(permissions) - set(CompanyPermission.values)
    if unknown:
        raise BusinessRuleError(_("未知的权限：%(names)s") % {"names": ", ".join(sorted(unknown))},
                                code="unknown_permission")
    return sorted(set(permissions))


def _member_company(by):
    membership = rules.ensure_main_account(by)
    company = membership.company
    if company.status in {S.FROZEN, S.DEREGISTERED}:
        raise NotAllowed(rules.refusal_reason(company), code=f"company_{company.status}")
    return company


@transaction.atomic
def create_sub_account(*, by, full_name, email, permissions, password=None, mobile=None, job_title=""):
    """The main account adds an employee login (子账号). Without a password, the employee gets an
    e-mail invitation to set one."""
    company = _member_company(by)
    permissions = _check_permissions(permissions)
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise BusinessRuleError(_("该邮箱已注册，请换一个邮箱。"), code="email_taken",
                                details={"email": _("已被使用。")})
    if mobile and User.objects.filter(mobile=mobile).exists():
        raise BusinessRuleError(_("该手机号已注册。"), code="mobile_taken", details={"mobile": _("已被使用。")})
    if password:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise BusinessRuleError(" ".join(exc.messages), code="weak_password",
                                    details={"password": exc.messages}) from exc
    # The main account vouches for its employees' addresses; an invitation proves it again.
    user = create_user(email=email, password=password or None, full_name=full_name, mobile=mobile or None,
                       email_verified=True)
    membership = Membership.objects.create(user=user, company=company, is_main=False, permissions=permissions,
                                           job_title=job_title)
    audit.record(actor=by, action="member.create", subject=membership, company=company,
                 after=",".join(permissions))
    if not password:
        _invite(user=user, company=company)
    return membership


def _invite(*, user, company):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    link = reverse("account_reset_password_from_key",
                   kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)})
    notify(recipient=user, kind="member.invitation", key=f"invitation:{user.pk}",
           title=_("%(company)s 邀请您加入纸业通 B2B 平台") % {"company": company.name},
           body=_("请点击链接设置登录密码，之后即可用本邮箱登录。"), link=link)


def _sub_account(*, by, membership_id):
    company = _member_company(by)
    membership = (Membership.objects.select_for_update().select_related("user")
                  .filter(pk=membership_id, company=company, is_main=False).first())
    if membership is None:
        raise BusinessRuleError(_("未找到该子账号。"), code="not_found")
    return company, membership


@transaction.atomic
def update_sub_account(*, by, membership_id, permissions, job_title=None):
    company, membership = _sub_account(by=by, membership_id=membership_id)
    before = ",".join(membership.permissions)
    membership.permissions = _check_permissions(permissions)
    if job_title is not None:
        membership.job_title = job_title
    membership.save(update_fields=["permissions", "job_title"])
    audit.record(actor=by, action="member.permissions", subject=membership, company=company, before=before,
                 after=",".join(membership.permissions))
    return membership


@transaction.atomic
def set_purchase_approval_limit(*, by, membership_id, limit):
    """The main account sets the amount above which a sub-account's order waits for its
    approval (None: no approval needed)."""
    from core.money import to_money

    company, membership = _sub_account(by=by, membership_id=membership_id)
    if limit is not None:
        limit = to_money(limit)
        if limit < 0:
            raise BusinessRuleError(_("审批限额不能为负数。"), code="invalid_limit",
                                    details={"purchase_approval_limit": _("审批限额不能为负数。")})
    before = membership.purchase_approval_limit
    membership.purchase_approval_limit = limit
    membership.save(update_fields=["purchase_approval_limit"])
    audit.record(actor=by, action="member.purchase_limit", subject=membership, company=company,
                 before="" if before is None else before, after="" if limit is None else limit)
    return membership


@transaction.atomic
def set_sub_account_active(*, by, membership_id, active):
    """Disable (or re-enable) an employee login. Disabling signs it out everywhere and revokes
    its API keys; re-enabling does not bring the keys back."""
    company, membership = _sub_account(by=by, membership_id=membership_id)
    if membership.is_active == active:
        return membership
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    user = membership.user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        end_sessions(users=[user])
        for key in user.api_keys.filter(revoked_at__isnull=True):
            apikeys.revoke_api_key(key=key, by=by, reason=_("子账号已停用"))
    audit.record(actor=by, action="member.active", subject=membership, company=company,
                 before=str(not active).lower(), after=str(active).lower())
    return membership


# --- emergency freeze -----------------------------------------------------------------------------

@transaction.atomic
def freeze_company(*, company, by, reason, channel, password=None, proofs=None):
    """Emergency freeze (账号被盗紧急冻结): at once every session and API key of the company is
    revoked and trading stops. The company does it itself with its password; customer service
    does it for the company with proof (business licence and legal representative's ID)."""
    reason = (reason or "").strip()
    if not reason:
        raise BusinessRuleError(_("请说明冻结原因。"), code="reason_required", details={"reason": _("必填。")})
    proofs = proofs or {}
    if channel == FreezeRecord.Channel.SELF_SERVICE:
        membership = rules.ensure_main_account(by)
        if membership.company_id != company.pk:
            raise NotAllowed()
        if not password or not by.check_password(password):
            raise NotAllowed(_("密码不正确，未冻结。"), code="wrong_password", details={"password": _("密码不正确。")})
    elif channel == FreezeRecord.Channel.CUSTOMER_SERVICE:
        if not has_staff_role(by, *FREEZE_ROLES):
            raise NotAllowed()
        needed = {CompanyDocument.Kind.BUSINESS_LICENCE, CompanyDocument.Kind.LEGAL_REPRESENTATIVE_ID}
        missing = [str(CompanyDocument.Kind(kind).label) for kind in needed if not proofs.get(kind)]
        if missing:
            raise BusinessRuleError(_("客服代为冻结需上传证明材料：%(missing)s") % {"missing": "、".join(missing)},
                                    code="proof_required")
    else:
        raise BusinessRuleError(_("未知的冻结方式。"), code="unknown_channel")
    company_transition(company_id=company.pk, to=S.FROZEN, actor=by, reason=reason)
    record = FreezeRecord.objects.create(company=company, channel=channel, reason=reason, frozen_by=by)
    _store_uploads(company=company, documents=proofs, by=by, freeze=record)
    apikeys.revoke_company_keys(company=company, by=by, reason=_("紧急冻结"))
    end_sessions(users=_company_users(company))
    notify_company(company, kind="company.frozen", key=f"freeze:{record.pk}", title=_("您的企业账户已紧急冻结"),
                    body=_("所有登录会话和 API 密钥已失效，交易已暂停。"
                           "如需解冻，请登录后提交解冻申请，平台审核后恢复。"),
                    link=reverse("member:frozen"))
    return record


def active_freeze(company):
    return company.freezes.filter(unfrozen_at__isnull=True).order_by("-frozen_at").first()


@transaction.atomic
def request_unfreeze(*, by, note):
    membership = rules.ensure_main_account(by)
    record = FreezeRecord.objects.select_for_update().filter(company=membership.company,
                                                             unfrozen_at__isnull=True).first()
    if record is None:
        raise Conflict(_("企业账户未被冻结。"), code="not_frozen")
    record.unfreeze_requested_at, record.unfreeze_request_note = timezone.now(), note.strip()
    record.save(update_fields=["unfreeze_requested_at", "unfreeze_request_note"])
    audit.record(actor=by, action="company.unfreeze_request", subject=membership.company, reason=note)
    return record


@transaction.atomic
def unfreeze_company(*, company, by, reason):
    """Staff restore a frozen company after review. Revoked API keys stay revoked."""
    if not has_staff_role(by, *REVIEWER_ROLES):
        raise NotAllowed()
    record = FreezeRecord.objects.select_for_update().filter(company=company, unfrozen_at__isnull=True).first()
    if record is None:
        raise Conflict(_("企业账户未被冻结。"), code="not_frozen")
    if not reason.strip():
        raise BusinessRuleError(_("请填写解冻审核意见。"), code="reason_required", details={"reason": _("必填。")})
    record.unfrozen_by, record.unfrozen_at, record.unfreeze_reason = by, timezone.now(), reason.strip()
    record.save(update_fields=["unfrozen_by", "unfrozen_at", "unfreeze_reason"])
    change_pending = company.applications.filter(kind=Application.Kind.CHANGE,
                                                 status=Application.Status.PENDING).exists()
    company_transition(company_id=company.pk, to=S.CHANGE_PENDING if change_pending else S.VERIFIED, actor=by,
                       reason=reason)
    notify_company(company, kind="company.unfrozen", key=f"unfreeze:{record.pk}", title=_("您的企业账户已解冻"),
                    body=_("请重新登录。原有 API 密钥已失效，如需对接请重新创建。"), link=reverse("member:home"))
    return record


# --- deregistration ----------------------------------------------------------------------------

_deregistration_blockers = []


def register_deregistration_blocker(*, label, count):
    """Apps register what must be finished before a company may close: `count(company) -> int`."""
    _deregistration_blockers.append((label, count))


def open_obligations(company):
    """[(label, how many)] for everything still open; empty when the company may deregister."""
    open_items = []
    for label, count in _deregistration_blockers:
        number = count(company)
        if number:
            open_items.append((str(label), number))
    return open_items


@transaction.atomic
def deregister_company(*, by, password):
    """Close the company (注销): only with nothing open. Its logins are disabled, personal data
    is minimised, and its records (orders, audit trail) are kept. Accounts never merge."""
    membership = rules.ensure_main_account(by)
    if not password or not by.check_password(password):
        raise NotAllowed(_("密码不正确。"), code="wrong_password", details={"password": _("密码不正确。")})
    company = Company.objects.select_for_update().get(pk=membership.company_id)
    if company.status == S.FROZEN:
        raise NotAllowed(_("账户冻结期间不能注销，请先完成解冻审核。"), code="company_frozen")
    blockers = open_obligations(company)
    if blockers:
        listing = "；".join(f"{label} {number} 项" for label, number in blockers)
        raise BusinessRuleError(_("仍有未完结的事项，暂不能注销：%(items)s。") % {"items": listing},
                                code="open_obligations", details=dict(blockers))
    company.applications.filter(status=Application.Status.PENDING).update(
        status=Application.Status.REJECTED, decision_reason=_("企业已注销"), decided_at=timezone.now())
    company_transition(company_id=company.pk, to=S.DEREGISTERED, actor=by, reason=_("企业申请注销"))
    apikeys.revoke_company_keys(company=company, by=by, reason=_("企业注销"))
    users = _company_users(company)
    end_sessions(users=users)
    _minimise_personal_data(company=company, users=users)
    company.memberships.update(is_active=False)
    return company


def _minimise_personal_data(*, company, users):
    from allauth.account.models import EmailAddress

    for user in users:
        user.email = f"deregistered-{user.pk}@invalid.example"
        user.full_name, user.mobile, user.is_active = "", None, False
        user.set_unusable_password()
        user.save(update_fields=["email", "full_name", "mobile", "is_active", "password"])
    EmailAddress.objects.filter(user__in=users).delete()
    personal = ["legal_representative_id_number", "contact_phone", "contact_email"]
    Company.objects.filter(pk=company.pk).update(**dict.fromkeys(personal, ""))
    company.applications.update(**dict.fromkeys(personal, ""))
    for document in company.documents.filter(kind__in=[CompanyDocument.Kind.LEGAL_REPRESENTATIVE_ID,
                                                         CompanyDocument.Kind.FREEZE_PROOF]):
        delete_document_file(document)


# --- used by the demo world and tests ---------------------------------------------------------------

@transaction.atomic
def register_company(*, name, main_user, by=None, status=S.APPLYING, **details):
    """Create a company with `main_user` as its main account, skipping the application form
    (imports, the demo world, tests). Real members go through apply_for_verification."""
    if status == S.VERIFIED:
        details.setdefault("verified_at", timezone.now())
    company = Company.objects.create(name=name, status=status, **details)
    Membership.objects.create(user=main_user, company=company, is_main=True)
    audit.record(actor=by or main_user, action="company.status", subject=company, before="individual",
                 after=company.status)
    return company


@transaction.atomic
def add_member(*, company, user, permissions, by, job_title=""):
    membership = Membership.objects.create(
        user=user, company=company, is_main=False, permissions=_check_permissions(permissions), job_title=job_title,
    )
    audit.record(actor=by, action="member.create", subject=membership, company=company,
                 after=",".join(membership.permissions))
    return membership
