"""The catalogue: category tree with per-category attributes, listings under content review,
images, the stock ledger and reservations, buyers' inquiries, and import jobs."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
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


class CategoryAttribute(models.Model):
    """A structured attribute of the listings in a category and the categories below it
    (克重 in g/㎡ for paper, 固含量 for chemicals…). Number attributes are stored as numbers in
    `Product.attributes`, so buyers can filter by range."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("数值")
        CHOICE = "choice", _("选项")
        TEXT = "text", _("文本")

    category = models.ForeignKey(Category, verbose_name=_("类目"), on_delete=models.CASCADE,
                                 related_name="attribute_definitions")
    name = models.CharField(_("属性名"), max_length=30)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    choices = ArrayField(models.CharField(max_length=40), verbose_name=_("可选值"), default=list, blank=True)
    is_required = models.BooleanField(_("必填"), default=False)
    is_filter = models.BooleanField(_("用于筛选"), default=True)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("类目属性")
        verbose_name_plural = _("类目属性")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="category_attribute_unique_name")]

    def __str__(self):
        return f"{self.name} ({self.unit})" if self.unit else self.name


class ProductManager(models.Manager):
    """The search vector is only ever searched in SQL, never read in Python: rows are loaded
    without it (it is the widest column, and checkout and the storefront load products a lot)."""

    def get_queryset(self):
        return super().get_queryset().defer("search_vector")


class Product(models.Model):
    """A seller's listing (商品).

    Content review: draft → pending review → published | rejected → unlisted (catalog.states).
    An edit to a published listing's text or images is a `ProductRevision` under review while
    the published version stays on the storefront.

    Stock: `stock_on_hand` and `stock_reserved` are the running totals of the `StockMovement`
    ledger; available = on hand − reserved. Constraints keep both from going negative and
    reservations within what is on hand, whatever the application does.
    """

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
    seller_sku = models.CharField(_("商家编码"), max_length=40, blank=True,
                                  help_text=_("卖家自己的商品编码，导入导出时用来识别商品。"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    rejection_reason = models.TextField(_("驳回原因"), blank=True)
    is_featured = models.BooleanField(_("首页推荐"), default=False)
    stock_on_hand = models.DecimalField(_("在库数量"), default=0, **QUANTITY)
    stock_reserved = models.DecimalField(_("预留数量"), default=0, **QUANTITY)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("上架时间"), null=True, blank=True)

    objects = ProductManager()

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "category"], name="product_status_category"),
            models.Index(fields=["seller", "status"], name="product_seller_status"),
            GinIndex(fields=["search_vector"], name="product_search_vector"),
            GinIndex(fields=["attributes"], opclasses=["jsonb_path_ops"], name="product_attributes"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(condition=models.Q(min_order_quantity__gt=0), name="product_moq_positive"),
            models.CheckConstraint(condition=models.Q(stock_on_hand__gte=0), name="product_stock_on_hand_nonnegative"),
            models.CheckConstraint(condition=models.Q(stock_reserved__gte=0),
                                   name="product_stock_reserved_nonnegative"),
            models.CheckConstraint(condition=models.Q(stock_reserved__lte=models.F("stock_on_hand")),
                                   name="product_stock_reserved_within_on_hand"),
            models.UniqueConstraint(fields=["seller", "seller_sku"], condition=~models.Q(seller_sku=""),
                                    name="product_unique_seller_sku"),
        ]

    def __str__(self):
        return self.title

    @property
    def stock_available(self):
        return self.stock_on_hand - self.stock_reserved

    def live_images(self):
        """Images on the storefront (not those waiting in a revision); uses a prefetch when there is one."""
        return [image for image in self.images.all() if image.revision_id is None]


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


class ProductRevision(models.Model):
    """Proposed new text or images for a published listing, under review. The listing keeps
    showing its published version until a reviewer approves this."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")
        WITHDRAWN = "withdrawn", _("已撤回")

    product = models.ForeignKey(Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="revisions")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("描述"), blank=True)
    category = models.ForeignKey(Category, verbose_name=_("类目"), on_delete=models.PROTECT, related_name="+")
    attributes = models.JSONField(_("属性"), default=dict, blank=True)
    removed_image_ids = ArrayField(models.BigIntegerField(), verbose_name=_("删除的图片"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    rejection_reason = models.TextField(_("驳回原因"), blank=True)

    class Meta:
        verbose_name = _("商品修改")
        verbose_name_plural = _("商品修改")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product"], condition=models.Q(status="pending"),
                                    name="product_revision_one_pending"),
        ]

    def __str__(self):
        return f"{self.product} · {self.get_status_display()}"


def product_image_path(image, filename):
    return f"products/{image.product_id}/{uuid.uuid4().hex}.jpg"


def product_thumbnail_path(image, filename):
    return f"products/{image.product_id}/thumbs/{uuid.uuid4().hex}.jpg"


class ProductImage(models.Model):
    """A listing's picture, re-encoded as JPEG with a thumbnail (catalog.images). An image added
    to a published listing belongs to the pending revision until it is approved."""

    product = models.ForeignKey(Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="images")
    revision = models.ForeignKey(ProductRevision, verbose_name=_("所属修改"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="added_images")
    image = models.ImageField(_("图片"), upload_to=product_image_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("缩略图"), upload_to=product_thumbnail_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("商品图片")
        verbose_name_plural = _("商品图片")
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.product} #{self.position}"


class StockReservation(models.Model):
    """Stock held for a company (库存预留): for a major client by the seller, or for an order at
    checkout. While active it counts in `Product.stock_reserved`."""

    class Kind(models.TextChoices):
        MAJOR_CLIENT = "major_client", _("大客户预留")
        CHECKOUT = "checkout", _("下单预留")
        BARTER = "barter", _("易货预留")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        RELEASED = "released", _("已释放")
        CONSUMED = "consumed", _("已出库")
        EXPIRED = "expired", _("已过期")

    product = models.ForeignKey(Product, verbose_name=_("商品"), on_delete=models.PROTECT, related_name="reservations")
    holder = models.ForeignKey("accounts.Company", verbose_name=_("预留给"), on_delete=models.PROTECT,
                               related_name="stock_reservations")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.MAJOR_CLIENT)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    reference = models.CharField(_("关联单号"), max_length=40, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("库存预留")
        verbose_name_plural = _("库存预留")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="reservation_status_expiry")]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="reservation_quantity_positive")]

    def __str__(self):
        return f"{self.product} → {self.holder}: {self.quantity}"


class StockMovement(models.Model):
    """One line of a product's stock ledger (库存流水). Each line says how on-hand and reserved
    quantities changed, what they became, why, and who did it; the product's totals are the
    sum of the lines (checked by `catalog.selectors.ledger_balances`)."""

    class Kind(models.TextChoices):
        STOCK_IN = "in", _("入库")
        STOCK_OUT = "out", _("出库")
        ADJUSTMENT = "adjustment", _("盘点调整")
        RESERVATION = "reservation", _("预留")
        RELEASE = "release", _("释放预留")

    product = models.ForeignKey(Product, verbose_name=_("商品"), on_delete=models.PROTECT,
                                related_name="stock_movements")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    on_hand_change = models.DecimalField(_("在库变动"), **QUANTITY)
    reserved_change = models.DecimalField(_("预留变动"), **QUANTITY)
    on_hand_after = models.DecimalField(_("变动后在库"), **QUANTITY)
    reserved_after = models.DecimalField(_("变动后预留"), **QUANTITY)
    reservation = models.ForeignKey(StockReservation, verbose_name=_("预留"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="movements")
    reason = models.CharField(_("原因"), max_length=200)
    reference = models.CharField(_("关联单号"), max_length=40, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "-created_at"], name="stock_movement_product_time")]

    def __str__(self):
        return f"{self.product} {self.get_kind_display()} {self.on_hand_change}/{self.reserved_change}"


class Inquiry(models.Model):
    """A buyer's question about a listing (询价), and the thread the seller answers."""

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已关闭")

    product = models.ForeignKey(Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="inquiries")
    seller = models.ForeignKey("accounts.Company", verbose_name=_("卖家"), on_delete=models.CASCADE,
                               related_name="inquiries_received")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("询价人"), on_delete=models.CASCADE,
                              related_name="inquiries")
    buyer_company = models.ForeignKey("accounts.Company", verbose_name=_("询价企业"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="inquiries_sent")
    quantity = models.DecimalField(_("意向数量"), null=True, blank=True, **QUANTITY)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    seller_unread = models.BooleanField(_("卖家未读"), default=True)
    buyer_unread = models.BooleanField(_("买家未读"), default=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_message_at = models.DateTimeField(_("最新消息时间"), default=timezone.now)

    class Meta:
        verbose_name = _("询价")
        verbose_name_plural = _("询价")
        ordering = ["-last_message_at", "-id"]
        indexes = [models.Index(fields=["seller", "-last_message_at"], name="inquiry_seller_recent")]

    def __str__(self):
        return f"{self.product} · {self.buyer}"


class InquiryMessage(models.Model):
    inquiry = models.ForeignKey(Inquiry, verbose_name=_("询价"), on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发送人"), null=True,
                               on_delete=models.SET_NULL, related_name="+")
    from_seller = models.BooleanField(_("卖家回复"), default=False)
    body = models.TextField(_("内容"), max_length=2000)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("询价消息")
        verbose_name_plural = _("询价消息")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.body[:40]


class ImportJob(models.Model):
    """A seller's bulk upload of listings (CSV or Excel): all rows go in, or none do and the
    report names every bad row."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("导入成功")
        FAILED = "failed", _("导入失败")

    seller = models.ForeignKey("accounts.Company", verbose_name=_("卖家"), on_delete=models.CASCADE,
                               related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增商品数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.file_name} · {self.get_status_display()}"


class CatalogSettings(models.Model):
    """Storefront settings staff change in the back office (one row)."""

    class PriceVisibility(models.TextChoices):
        EVERYONE = "everyone", _("所有访客可见")
        VERIFIED = "verified", _("仅认证企业可见")

    price_visibility = models.CharField(_("价格展示"), max_length=10, choices=PriceVisibility.choices,
                                        default=PriceVisibility.EVERYONE)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("商城设置")
        verbose_name_plural = _("商城设置")

    def __str__(self):
        return str(_("商城设置"))
