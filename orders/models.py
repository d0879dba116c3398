"""Orders (SPEC §3): the cart, one order per seller, its messages and agreed changes, offline
transfers confirmed by finance, shipments with tracking, refunds and returns, VAT invoices and
disputes. Every status lives in a `Status` choice and moves only through `orders.states`."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import private_storage
from catalog.models import QUANTITY
from core.money import MoneyField


def order_file_path(instance, filename):
    """Private storage path for slips, invoices and evidence: never guessable, never public."""
    return f"orders/{instance._meta.model_name}/{uuid.uuid4().hex}"


class CartItem(models.Model):
    """A line in a member's cart (购物车). Each member has their own cart; checkout turns the
    items of each seller into one order."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="cart_items")
    product = models.ForeignKey("catalog.Product", verbose_name=_("商品"), on_delete=models.CASCADE,
                                related_name="+")
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    added_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("购物车商品")
        verbose_name_plural = _("购物车商品")
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="cart_item_one_per_product"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="cart_item_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.product_id} × {self.quantity}"


class Order(models.Model):
    """One buyer's order from one seller, with both companies' details as they were when placed."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", _("待主账号审批")
        PENDING_PAYMENT = "pending_payment", _("待付款")
        PAID = "paid", _("已付款")
        SHIPPED = "shipped", _("已发货")
        RECEIVED = "received", _("已签收")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已取消")
        REFUND_REQUESTED = "refund_requested", _("退款中")
        REFUNDED = "refunded", _("已退款")
        IN_DISPUTE = "in_dispute", _("纠纷处理中")

    class PaymentMethod(models.TextChoices):
        TRANSFER = "transfer", _("对公转账")
        ON_ACCOUNT = "on_account", _("账期")
        BARTER = "barter", _("易货结算")
        GOODS_FOR_DEBT = "goods_for_debt", _("以货抵债")

    # Paid by something other than money: no transfer, no cash refund (the deal or case decides).
    SETTLED_WITHOUT_MONEY = (PaymentMethod.BARTER, PaymentMethod.GOODS_FOR_DEBT)

    number = models.CharField(_("订单号"), max_length=32, unique=True)
    buyer = models.ForeignKey(
        "accounts.Company", verbose_name=_("买家"), on_delete=models.PROTECT, related_name="purchases",
    )
    seller = models.ForeignKey(
        "accounts.Company", verbose_name=_("卖家"), on_delete=models.PROTECT, related_name="sales",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)
    total = MoneyField(_("订单金额"))
    amount_paid = MoneyField(_("已确认到账"), default=0)
    amount_refunded = MoneyField(_("已退款金额"), default=0)
    payment_method = models.CharField(_("付款方式"), max_length=16, choices=PaymentMethod.choices,
                                      default=PaymentMethod.TRANSFER)
    remittance_reference = models.CharField(_("汇款识别码"), max_length=20, unique=True, null=True, blank=True,
                                            help_text=_("买家转账时填写在附言中，财务据此对账。"))
    buyer_note = models.CharField(_("买家留言"), max_length=500, blank=True)
    # Where a refund or dispute returns the order to when it ends without a refund.
    resume_status = models.CharField(_("恢复状态"), max_length=20, choices=Status.choices, blank=True)
    buyer_snapshot = models.JSONField(_("买家信息快照"), default=dict)
    seller_snapshot = models.JSONField(_("卖家信息快照"), default=dict)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("下单人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("下单时间"), default=timezone.now, db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    payment_due_at = models.DateTimeField(_("付款截止时间"), null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-placed_at"], name="order_buyer_time"),
            models.Index(fields=["seller", "-placed_at"], name="order_seller_time"),
            models.Index(fields=["status", "payment_due_at"], name="order_status_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(condition=models.Q(amount_paid__gte=0), name="order_paid_not_negative"),
            models.CheckConstraint(condition=models.Q(amount_refunded__gte=0, amount_refunded__lte=models.F(
                "amount_paid")), name="order_refund_within_paid"),
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
    reservation = models.OneToOneField(
        "catalog.StockReservation", verbose_name=_("库存预留"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="order_line",
    )
    title = models.CharField(_("商品名称"), max_length=120)
    seller_sku = models.CharField(_("商家编码"), max_length=40, blank=True)
    attributes = models.JSONField(_("商品属性"), default=dict, blank=True)
    unit = models.CharField(_("单位"), max_length=10)
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    list_price = MoneyField(_("标价"), default=0)
    price_tiers = models.JSONField(_("阶梯价快照"), default=list, blank=True)
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


class OrderSettings(models.Model):
    """Order timings staff change in the back office (one row)."""

    payment_window_hours = models.PositiveIntegerField(_("付款期限（小时）"), default=72)
    auto_receive_days = models.PositiveIntegerField(_("送达后自动签收（天）"), default=10)
    refund_auto_approve_hours = models.PositiveIntegerField(_("卖家未处理退款自动同意（小时）"), default=48)
    complete_after_days = models.PositiveIntegerField(_("签收后自动完成（天）"), default=7)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("订单设置")
        verbose_name_plural = _("订单设置")

    def __str__(self):
        return str(_("订单设置"))


class OrderMessage(models.Model):
    """A message on the order page between buyer and seller (给买家留言)."""

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发送人"), null=True,
                               on_delete=models.SET_NULL, related_name="+")
    from_seller = models.BooleanField(_("卖家发送"), default=False)
    body = models.TextField(_("内容"), max_length=2000)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("订单留言")
        verbose_name_plural = _("订单留言")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.body[:40]


class OrderAdjustment(models.Model):
    """The seller's change of price or quantity before payment; it applies when the buyer accepts."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待买家确认")
        ACCEPTED = "accepted", _("买家已确认")
        DECLINED = "declined", _("买家已拒绝")
        WITHDRAWN = "withdrawn", _("卖家已撤回")

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="adjustments")
    # [{"line": id, "quantity": "12.000", "unit_price": "4700.00"}, ...] for every line of the order.
    lines = models.JSONField(_("调整明细"))
    total_before = MoneyField(_("调整前金额"))
    total_after = MoneyField(_("调整后金额"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("订单调整")
        verbose_name_plural = _("订单调整")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=models.Q(status="proposed"),
                                    name="order_one_open_adjustment"),
        ]

    def __str__(self):
        return f"{self.order} {self.total_before} → {self.total_after}"


class Payment(models.Model):
    """An offline corporate transfer (对公转账) the buyer recorded, confirmed or refused by finance."""

    class Status(models.TextChoices):
        RECORDED = "recorded", _("待财务确认")
        CONFIRMED = "confirmed", _("已确认到账")
        REJECTED = "rejected", _("未到账")

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField(_("转账金额"))
    payer_name = models.CharField(_("付款户名"), max_length=100)
    payer_account = models.CharField(_("付款账号"), max_length=40, blank=True)
    bank_reference = models.CharField(_("银行流水号"), max_length=40)
    transferred_on = models.DateField(_("转账日期"))
    slip = models.FileField(_("转账凭证"), storage=private_storage, upload_to=order_file_path, max_length=300,
                            blank=True)
    slip_name = models.CharField(_("凭证文件名"), max_length=200, blank=True)
    payer_name_matches = models.BooleanField(_("户名与买家一致"), default=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.RECORDED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("财务处理人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.CharField(_("财务备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("转账记录")
        verbose_name_plural = _("转账记录")
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            # One bank transfer can be confirmed once, whichever order it was recorded against.
            models.UniqueConstraint(fields=["bank_reference"], condition=models.Q(status="confirmed"),
                                    name="payment_transfer_confirmed_once"),
        ]

    def __str__(self):
        return f"{self.order} {self.amount} ({self.bank_reference})"


class Shipment(models.Model):
    """Goods on their way: the seller's delivery, or the buyer's return of them."""

    class Direction(models.TextChoices):
        DELIVERY = "delivery", _("发货")
        RETURN = "return", _("退货")

    class Carrier(models.TextChoices):
        JD = "jd", _("京东物流")
        SF = "sf", _("顺丰速运")
        OFFLINE = "offline", _("其他物流（线下）")

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="shipments")
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices, default=Direction.DELIVERY)
    carrier = models.CharField(_("承运商"), max_length=10, choices=Carrier.choices)
    carrier_name = models.CharField(_("承运商名称"), max_length=60, blank=True)
    waybill_number = models.CharField(_("运单号"), max_length=40)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("最近查询时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("物流单")
        verbose_name_plural = _("物流单")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "waybill_number"], name="shipment_waybill_unique"),
        ]

    def __str__(self):
        return f"{self.get_carrier_display()} {self.waybill_number}"


class TrackingEvent(models.Model):
    """One step on a shipment's tracking timeline, from the carrier or entered by hand."""

    class Kind(models.TextChoices):
        CREATED = "created", _("已下单")
        PICKED_UP = "picked_up", _("已揽收")
        IN_TRANSIT = "in_transit", _("运输中")
        OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
        DELIVERED = "delivered", _("已送达")
        EXCEPTION = "exception", _("异常")

    shipment = models.ForeignKey(Shipment, verbose_name=_("物流单"), on_delete=models.CASCADE,
                                 related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("时间"))
    location = models.CharField(_("地点"), max_length=100, blank=True)
    description = models.CharField(_("描述"), max_length=300)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("物流轨迹")
        verbose_name_plural = _("物流轨迹")
        ordering = ["occurred_at", "id"]
        constraints = [
            # Polling the carrier twice adds nothing twice.
            models.UniqueConstraint(fields=["shipment", "occurred_at", "kind", "description"],
                                    name="tracking_event_once"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description}"


class Refund(models.Model):
    """申请退款: before shipment the seller approves or rejects; after shipment the goods come back
    first. Finance records the refund transfer."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待卖家处理")
        AWAITING_RETURN = "awaiting_return", _("待买家退货")
        RETURN_SHIPPED = "return_shipped", _("退货运输中")
        AWAITING_PAYOUT = "awaiting_payout", _("待财务退款")
        REFUNDED = "refunded", _("已退款")
        REJECTED = "rejected", _("卖家已拒绝")
        WITHDRAWN = "withdrawn", _("买家已撤销")

    OPEN = (Status.REQUESTED, Status.AWAITING_RETURN, Status.RETURN_SHIPPED, Status.AWAITING_PAYOUT)

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="refunds")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(_("退款原因"), max_length=500)
    amount = MoneyField(_("退款金额"))
    needs_return = models.BooleanField(_("需退货"), default=False)
    return_shipment = models.OneToOneField(Shipment, verbose_name=_("退货物流"), null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="refund")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    seller_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("卖家处理人"), null=True,
                                          blank=True, on_delete=models.SET_NULL, related_name="+")
    seller_decided_at = models.DateTimeField(_("卖家处理时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("拒绝理由"), max_length=500, blank=True)
    return_received_at = models.DateTimeField(_("退货签收时间"), null=True, blank=True)
    payout_reference = models.CharField(_("退款流水号"), max_length=40, blank=True)
    paid_out_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("财务处理人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    paid_out_at = models.DateTimeField(_("退款时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("退款申请")
        verbose_name_plural = _("退款申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(status__in=[
                    "requested", "awaiting_return", "return_shipped", "awaiting_payout"]),
                name="refund_one_open_per_order"),
        ]

    def __str__(self):
        return f"{self.order} {self.amount}"


class InvoiceRequest(models.Model):
    """增值税专用发票 request after payment; finance issues it with its number and file."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待开票")
        ISSUED = "issued", _("已开票")
        REJECTED = "rejected", _("已退回")

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    amount = MoneyField(_("开票金额"))
    title = models.CharField(_("发票抬头"), max_length=100)
    tax_number = models.CharField(_("纳税人识别号"), max_length=20)
    address = models.CharField(_("注册地址"), max_length=200)
    phone = models.CharField(_("注册电话"), max_length=30)
    bank_name = models.CharField(_("开户银行"), max_length=100)
    bank_account = models.CharField(_("银行账号"), max_length=40)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    invoice_number = models.CharField(_("发票号码"), max_length=20, blank=True)
    invoice_file = models.FileField(_("发票文件"), storage=private_storage, upload_to=order_file_path,
                                    max_length=300, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("开票人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("开票时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("退回原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("发票申请")
        verbose_name_plural = _("发票申请")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=models.Q(status__in=["requested", "issued"]),
                                    name="invoice_one_per_order"),
            models.UniqueConstraint(fields=["invoice_number"], condition=~models.Q(invoice_number=""),
                                    name="invoice_number_unique"),
        ]

    def __str__(self):
        return f"{self.order} {self.invoice_number or self.get_status_display()}"


class Dispute(models.Model):
    """交易纠纷: decided by a rule when the records settle it, else by a mediator, else referred
    to arbitration with a dossier."""

    class Kind(models.TextChoices):
        NOT_SHIPPED = "not_shipped", _("付款后未发货")
        NOT_RECEIVED = "not_received", _("未收到货")
        NOT_AS_DESCRIBED = "not_as_described", _("货物与描述不符")
        QUALITY = "quality", _("质量问题")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        MEDIATION = "mediation", _("调解中")
        DECIDED = "decided", _("已裁决")
        ARBITRATION = "arbitration", _("已移交仲裁")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Outcome(models.TextChoices):
        FULL_REFUND = "full_refund", _("全额退款")
        PARTIAL_REFUND = "partial_refund", _("部分退款")
        NO_REFUND = "no_refund", _("驳回，不退款")

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="disputes")
    kind = models.CharField(_("纠纷类型"), max_length=20, choices=Kind.choices)
    claim = models.TextField(_("诉求说明"), max_length=3000)
    claimed_amount = MoneyField(_("要求退款金额"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    opened_by_seller = models.BooleanField(_("卖家发起"), default=False)
    opened_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("调解员"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("裁决结果"), max_length=16, choices=Outcome.choices, blank=True)
    refund_amount = MoneyField(_("裁决退款金额"), null=True, blank=True)
    rule = models.CharField(_("适用规则"), max_length=40, blank=True)
    decision = models.TextField(_("裁决说明"), blank=True)
    facts = models.JSONField(_("依据事实"), default=dict, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("裁决人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)
    referred_at = models.DateTimeField(_("移交仲裁时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("交易纠纷")
        verbose_name_plural = _("交易纠纷")
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=models.Q(status__in=["open", "mediation"]),
                                    name="dispute_one_open_per_order"),
        ]

    def __str__(self):
        return f"{self.order} {self.get_kind_display()}"


class DisputeEvidence(models.Model):
    dispute = models.ForeignKey(Dispute, verbose_name=_("纠纷"), on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=order_file_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    from_seller = models.BooleanField(_("卖家提交"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("纠纷证据")
        verbose_name_plural = _("纠纷证据")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name
