from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField

QUANTITY = {"max_digits": 14, "decimal_places": 3}


class Category(models.Model):
    """A node of the category tree (纸浆 › 木浆 › 针叶浆 …)."""

    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    slug = models.SlugField(_("标识"), max_length=80, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级类目"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("类目")
        verbose_name_plural = _("类目")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name

    def display_name(self, language_code):
        return self.name_en if language_code == "en" and self.name_en else self.name


class Product(models.Model):
    """A seller's listing. The catalogue issue adds review, images, stock ledger and search."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PENDING_REVIEW = "pending_review", _("待审核")
        PUBLISHED = "published", _("已上架")
        REJECTED = "rejected", _("已驳回")
        UNLISTED = "unlisted", _("已下架")

    class Unit(models.TextChoices):
        TON = "ton", _("吨")
        PIECE = "piece", _("件")
        REAM = "ream", _("令")
        ROLL = "roll", _("卷")
        CASE = "case", _("箱")
        SHEET = "sheet", _("张")
        KILOGRAM = "kg", _("千克")
        SET = "set", _("套")

    seller = models.ForeignKey(
        "accounts.Company", verbose_name=_("卖家"), on_delete=models.PROTECT, related_name="products",
    )
    category = models.ForeignKey(Category, verbose_name=_("类目"), on_delete=models.PROTECT, related_name="products")
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("描述"), blank=True)
    attributes = models.JSONField(_("属性"), default=dict, blank=True)
    unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices, default=Unit.TON)
    price = MoneyField(_("单价"))
    min_order_quantity = models.DecimalField(_("起订量"), default=1, **QUANTITY)
    warehouse_region = models.ForeignKey(
        "core.Region", verbose_name=_("仓库所在地"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    is_featured = models.BooleanField(_("首页推荐"), default=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    published_at = models.DateTimeField(_("上架时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["status", "category"], name="product_status_category")]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(condition=models.Q(min_order_quantity__gt=0), name="product_moq_positive"),
        ]

    def __str__(self):
        return self.title


class PriceTier(models.Model):
    """Quantity price tier (阶梯价): from `min_quantity` on, the unit price is `unit_price`."""

    product = models.ForeignKey(Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="price_tiers")
    min_quantity = models.DecimalField(_("起始数量"), **QUANTITY)
    unit_price = MoneyField(_("单价"))

    class Meta:
        verbose_name = _("阶梯价")
        verbose_name_plural = _("阶梯价")
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["product", "min_quantity"], name="price_tier_unique_step"),
            models.CheckConstraint(condition=models.Q(unit_price__gt=0), name="price_tier_price_positive"),
        ]

    def __str__(self):
        return f"≥{self.min_quantity}: {self.unit_price}"
