from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.utils.encoders import JSONEncoder

from core.permissions import CompanyPermission


class Region(models.Model):
    """A province-level division or a city in it (data: seeds/000_*, core/data/regions.json)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")

    name = models.CharField(_("名称"), max_length=40)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    province = models.ForeignKey(
        "self", verbose_name=_("所属省份"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="cities",
    )
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("地区")
        verbose_name_plural = _("地区")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["province", "name"], name="region_unique_name_in_province"),
            models.CheckConstraint(
                condition=(models.Q(level="province", province__isnull=True)
                           | models.Q(level="city", province__isnull=False)),
                name="region_city_has_province",
            ),
        ]

    def __str__(self):
        if self.province_id and self.province.name != self.name:
            return f"{self.province.name} {self.name}"
        return self.name


class AuditEvent(models.Model):
    """One recorded change: who did what to which object, from what to what, when and from where.

    Written only through core.audit.record(), in the same transaction as the change itself.
    """

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    actor_is_staff = models.BooleanField(_("平台员工操作"), default=False)
    company = models.ForeignKey(
        "accounts.Company", verbose_name=_("企业"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="audit_events",
    )
    action = models.CharField(_("动作"), max_length=80, db_index=True)
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), null=True, blank=True, on_delete=models.SET_NULL,
    )
    subject_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    subject_repr = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.CharField(_("变更前"), max_length=200, blank=True)
    after = models.CharField(_("变更后"), max_length=200, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    api_key = models.ForeignKey(
        "core.ApiKey", verbose_name=_("API 密钥"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-occurred_at"], name="audit_company_time"),
            models.Index(fields=["subject_type", "subject_id"], name="audit_subject"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.subject_repr}"

    @property
    def source(self):
        if self.api_key_id:
            return f"API {self.api_key.prefix}" if self.api_key else "API"
        return self.ip_address or ""


class Notification(models.Model):
    """A message to one user, in the site inbox and (optionally) by email.

    `dedup_key` makes sending idempotent: the same key to the same recipient is stored once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("收件人"), on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=60)
    dedup_key = models.CharField(_("去重键"), max_length=200)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    send_email = models.BooleanField(_("发送邮件"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedup_key"], name="notification_once_per_key"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.title


class ApiKey(models.Model):
    """A partner system's credential: belongs to a company, carries scopes, stored hashed.

    The full key (`tp_<prefix>_<secret>`) is shown once at creation; only its SHA-256 is kept.
    """

    company = models.ForeignKey(
        "accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="api_keys",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="api_keys",
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True)
    hashed_secret = models.CharField(_("密钥摘要"), max_length=64)
    scopes = ArrayField(
        models.CharField(max_length=20, choices=CompanyPermission.choices), verbose_name=_("权限范围"),
        default=list, blank=True,
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self):
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed for repeats."""

    owner = models.CharField(max_length=40)  # "key:<id>" or "user:<id>"
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)  # null while the first request runs
    # The response's data as DRF rendered it (its encoder knows dates, decimals, lazy text).
    response_body = models.JSONField(null=True, encoder=JSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_once_per_owner")]

    def __str__(self):
        return f"{self.owner} {self.key}"


class WebhookEndpoint(models.Model):
    """Where a company's systems want to hear of events (orders, payments, shipments, barter
    deals): an HTTPS URL, the events it takes, and the secret every delivery is signed with."""

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="webhook_endpoints")
    url = models.URLField(_("接收地址"), max_length=500)
    events = ArrayField(models.CharField(max_length=40), verbose_name=_("事件"), default=list)
    secret = models.CharField(_("签名密钥"), max_length=64)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 地址")
        verbose_name_plural = _("Webhook 地址")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "is_active"])]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint: the delivery log. Pending deliveries are
    retried with growing pauses until delivered or out of attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")

    endpoint = models.ForeignKey(WebhookEndpoint, verbose_name=_("接收地址"), on_delete=models.CASCADE,
                                 related_name="deliveries")
    event_id = models.UUIDField(_("事件编号"), unique=True)
    event = models.CharField(_("事件"), max_length=40)
    payload = models.JSONField(_("内容"), encoder=DjangoJSONEncoder)  # amounts as strings: "200.00"
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id}"
