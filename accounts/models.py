import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField
from core.permissions import CompanyPermission


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email and not extra_fields.get("mobile"):
            raise ValueError("an e-mail address or a mobile number is required")
        user = self.model(email=self.normalize_email(email).lower() if email else None, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in: a member (个人会员), a company's employee, or platform staff.

    Logs in with email (or mobile, see accounts issue); has no separate username.
    """

    username = None
    first_name = None
    last_name = None
    # E-mail or mobile: a member may register with either (PostgreSQL allows many NULLs here).
    email = models.EmailField(_("邮箱"), unique=True, null=True, blank=True)
    mobile = models.CharField(_("手机号"), max_length=20, unique=True, null=True, blank=True)
    mobile_verified = models.BooleanField(_("手机已验证"), default=False)
    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    # Part of the session hash: raising it ends every session of the user at once (freeze, disable).
    session_epoch = models.PositiveIntegerField(_("会话版本"), default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.full_name or self.email or self.mobile or f"#{self.pk}"

    def get_full_name(self):
        return self.display_name

    @property
    def may_use_two_factor(self):
        """Individuals (no company), main accounts and staff may turn on TOTP; a company's
        sub-account may not (its main account answers for its security)."""
        if self.is_staff:
            return True
        membership = getattr(self, "membership", None)
        return membership is None or membership.is_main

    def _get_session_auth_hash(self, secret=None):
        # Django checks this hash on every request; including the epoch lets one UPDATE
        # revoke all of a user's sessions (accounts.services.end_sessions).
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}:{self.session_epoch}", secret=secret,
                           algorithm="sha256").hexdigest()

    def get_short_name(self):
        return self.display_name


class Company(models.Model):
    """An enterprise member (企业会员): buys, sells, barters and resolves debts on the platform.

    Its status is a state machine (accounts/states.py); what each status allows is in
    accounts/rules.py. The details here are the current, approved ones; orders keep a snapshot.
    """

    class Status(models.TextChoices):
        APPLYING = "applying", _("认证审核中")
        REJECTED = "rejected", _("认证被驳回")
        VERIFIED = "verified", _("已认证")
        CHANGE_PENDING = "change_pending", _("变更审核中")
        FROZEN = "frozen", _("已冻结")
        DEREGISTERED = "deregistered", _("已注销")

    class TaxpayerType(models.TextChoices):
        GENERAL = "general", _("一般纳税人")
        SMALL_SCALE = "small_scale", _("小规模纳税人")

    name = models.CharField(_("企业名称"), max_length=120)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    unified_social_credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    province = models.ForeignKey(
        "core.Region", verbose_name=_("注册省份"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    city = models.ForeignKey(
        "core.Region", verbose_name=_("注册城市"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=60, blank=True)
    legal_representative_id_number = models.CharField(_("法定代表人身份证号"), max_length=18, blank=True)
    registered_capital = MoneyField(_("注册资本"), null=True, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    taxpayer_type = models.CharField(_("纳税人类型"), max_length=12, choices=TaxpayerType.choices, blank=True)
    invoice_title = models.CharField(_("发票抬头"), max_length=120, blank=True)
    tax_number = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    invoice_address = models.CharField(_("开票地址"), max_length=200, blank=True)
    invoice_phone = models.CharField(_("开票电话"), max_length=30, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=40, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.APPLYING)
    verified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("入驻时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]
        constraints = [
            # A deregistered company keeps its records, and the code may register again later.
            models.UniqueConstraint(
                fields=["unified_social_credit_code"], condition=~models.Q(status="deregistered"),
                name="company_credit_code_unique_while_registered",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_verified(self):
        """Verification passed (details may be under change review)."""
        return self.status in {self.Status.VERIFIED, self.Status.CHANGE_PENDING, self.Status.FROZEN}

    @property
    def can_trade(self):
        return self.status == self.Status.VERIFIED


def private_storage():
    return storages["private"]


def document_path(document, filename):
    return f"companies/{document.company_id}/{uuid.uuid4().hex}"


class CompanyDocument(models.Model):
    """A scanned document (licence, ID, proof), stored outside the public media root and served
    only through accounts.views.document, to the company's members and to staff."""

    class Kind(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("营业执照")
        TAX_REGISTRATION = "tax_registration", _("税务登记证")
        AUTHORISATION_LETTER = "authorisation_letter", _("授权书")
        LEGAL_REPRESENTATIVE_ID = "legal_representative_id", _("法定代表人身份证")
        FREEZE_PROOF = "freeze_proof", _("冻结证明材料")

    company = models.ForeignKey("Company", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="documents")
    application = models.ForeignKey(
        "Application", verbose_name=_("申请"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="documents",
    )
    freeze = models.ForeignKey(
        "FreezeRecord", verbose_name=_("冻结记录"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="documents",
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    file = models.FileField(_("文件"), storage=private_storage, upload_to=document_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件格式"), max_length=40)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("企业资料")
        verbose_name_plural = _("企业资料")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.original_name}"


class Application(models.Model):
    """A verification application (企业认证) or a change of company details (信息变更), with the
    details as submitted. Staff approve or reject it; the company's status follows."""

    class Kind(models.TextChoices):
        VERIFICATION = "verification", _("企业认证")
        CHANGE = "change", _("信息变更")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    company = models.ForeignKey("Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="applications")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    due_at = models.DateTimeField(_("审核期限"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审核意见"), blank=True)
    # The details as submitted (for a change request: the proposed new details).
    name = models.CharField(_("企业名称"), max_length=120)
    unified_social_credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    province = models.ForeignKey("core.Region", verbose_name=_("注册省份"), null=True, on_delete=models.PROTECT,
                                 related_name="+")
    city = models.ForeignKey("core.Region", verbose_name=_("注册城市"), null=True, on_delete=models.PROTECT,
                             related_name="+")
    legal_representative = models.CharField(_("法定代表人"), max_length=60)
    legal_representative_id_number = models.CharField(_("法定代表人身份证号"), max_length=18)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    taxpayer_type = models.CharField(_("纳税人类型"), max_length=12, choices=Company.TaxpayerType.choices, blank=True)
    invoice_title = models.CharField(_("发票抬头"), max_length=120, blank=True)
    tax_number = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    invoice_address = models.CharField(_("开票地址"), max_length=200, blank=True)
    invoice_phone = models.CharField(_("开票电话"), max_length=30, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("企业申请")
        verbose_name_plural = _("企业申请")
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company"], condition=models.Q(status="pending"),
                                    name="application_one_pending_per_company"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.name}"

    @property
    def is_overdue(self):
        return self.status == self.Status.PENDING and timezone.now() > self.due_at


class FreezeRecord(models.Model):
    """One emergency freeze (账号被盗紧急冻结) and how it ended."""

    class Channel(models.TextChoices):
        SELF_SERVICE = "self_service", _("企业自助冻结")
        CUSTOMER_SERVICE = "customer_service", _("客服代为冻结")

    company = models.ForeignKey("Company", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="freezes")
    channel = models.CharField(_("冻结方式"), max_length=20, choices=Channel.choices)
    reason = models.TextField(_("冻结原因"))
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("冻结人"), on_delete=models.PROTECT,
                                  related_name="+")
    frozen_at = models.DateTimeField(_("冻结时间"), default=timezone.now)
    unfreeze_requested_at = models.DateTimeField(_("申请解冻时间"), null=True, blank=True)
    unfreeze_request_note = models.TextField(_("解冻申请说明"), blank=True)
    unfrozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("解冻审核人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    unfrozen_at = models.DateTimeField(_("解冻时间"), null=True, blank=True)
    unfreeze_reason = models.TextField(_("解冻审核意见"), blank=True)

    class Meta:
        verbose_name = _("冻结记录")
        verbose_name_plural = _("冻结记录")
        ordering = ["-frozen_at", "-id"]

    def __str__(self):
        return f"{self.company} · {self.frozen_at:%Y-%m-%d}"

    @property
    def is_active(self):
        return self.unfrozen_at is None


class Membership(models.Model):
    """A user's place in a company: the main account (主账号) or a sub-account (子账号)."""

    user = models.OneToOneField(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="membership",
    )
    company = models.ForeignKey(
        Company, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="memberships",
    )
    is_main = models.BooleanField(_("主账号"), default=False)
    permissions = ArrayField(
        models.CharField(max_length=20, choices=CompanyPermission.choices), verbose_name=_("权限"),
        default=list, blank=True,
    )
    job_title = models.CharField(_("职务"), max_length=60, blank=True)
    # A sub-account's order above this amount waits for the main account's approval; empty: no limit.
    purchase_approval_limit = MoneyField(_("采购审批限额"), null=True, blank=True,
                                         help_text=_("子账号单笔订单超过此金额需主账号审批；留空表示无需审批。"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("企业成员")
        verbose_name_plural = _("企业成员")
        constraints = [
            models.UniqueConstraint(
                fields=["company"], condition=models.Q(is_main=True), name="membership_one_main_account",
            ),
        ]

    def __str__(self):
        return f"{self.company} / {self.user}"

    def allows(self, permission):
        """The main account may do everything; a sub-account what it was granted."""
        return self.is_active and (self.is_main or permission in self.permissions)
