from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField
from core.permissions import CompanyPermission


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
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
    email = models.EmailField(_("邮箱"), unique=True)
    mobile = models.CharField(_("手机号"), max_length=20, unique=True, null=True, blank=True)
    full_name = models.CharField(_("姓名"), max_length=60, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.full_name or self.email

    @property
    def display_name(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name


class Company(models.Model):
    """An enterprise member (企业会员): buys, sells, barters and resolves debts on the platform."""

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", _("未认证")
        PENDING = "pending", _("审核中")
        VERIFIED = "verified", _("已认证")
        REJECTED = "rejected", _("已驳回")

    class Standing(models.TextChoices):
        ACTIVE = "active", _("正常")
        FROZEN = "frozen", _("已冻结")
        DEREGISTERED = "deregistered", _("已注销")

    name = models.CharField(_("企业名称"), max_length=120)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    unified_social_credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True,
    )
    province = models.ForeignKey(
        "core.Region", verbose_name=_("注册省份"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    city = models.ForeignKey(
        "core.Region", verbose_name=_("注册城市"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=60, blank=True)
    registered_capital = MoneyField(_("注册资本"), null=True, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    verification = models.CharField(
        _("认证状态"), max_length=12, choices=Verification.choices, default=Verification.UNVERIFIED,
    )
    verified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)
    standing = models.CharField(_("账户状态"), max_length=14, choices=Standing.choices, default=Standing.ACTIVE)
    created_at = models.DateTimeField(_("入驻时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_verified(self):
        return self.verification == self.Verification.VERIFIED

    @property
    def can_trade(self):
        """Verified and neither frozen nor deregistered (the accounts issue adds pending changes)."""
        return self.is_verified and self.standing == self.Standing.ACTIVE


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
