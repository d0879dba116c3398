from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import QUANTITY
from core.money import MoneyField


class Order(models.Model):
    """One buyer's order from one seller, with both companies' details as they were when placed."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("待付款")
        PAID = "paid", _("已付款")
        SHIPPED = "shipped", _("已发货")
        RECEIVED = "received", _("已签收")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已取消")
        REFUND_REQUESTED = "refund_requested", _("退款中")
        REFUNDED = "refunded", _("已退款")

    number = models.CharField(_("订单号"), max_length=32, unique=True)
    buyer = models.ForeignKey(
        "accounts.Company", verbose_name=_("买家"), on_delete=models.PROTECT, related_name="purchases",
    )
    seller = models.ForeignKey(
        "accounts.Company", verbose_name=_("卖家"), on_delete=models.PROTECT, related_name="sales",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)
    total = MoneyField(_("订单金额"))
    buyer_snapshot = models.JSONField(_("买家信息快照"), default=dict)
    seller_snapshot = models.JSONField(_("卖家信息快照"), default=dict)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("下单人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("下单时间"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-placed_at"], name="order_buyer_time"),
            models.Index(fields=["seller", "-placed_at"], name="order_seller_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(condition=~models.Q(buyer=models.F("seller")), name="order_not_to_self"),
        ]

    def __str__(self):
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="order_lines",
    )
    category = models.ForeignKey(
        "catalog.Category", verbose_name=_("类目"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("商品名称"), max_length=120)
    unit = models.CharField(_("单位"), max_length=10)
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    unit_price = MoneyField(_("单价"))
    amount = MoneyField(_("金额"))

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.title} × {self.quantity}"
