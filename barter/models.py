"""Barter records: each company's barter profile, listings (haves and wants), matching runs and
the proposals (deals) a run finds, with their participants, transfers and cash settlements.

Lifecycles are tables in barter/states.py. Money is CNY (`MoneyField`); quantities have three
decimals, as the engine counts thousandths of a unit (barter/matching.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField

QUANTITY = {"max_digits": 14, "decimal_places": 3}


class BarterProfile(models.Model):
    """What a company states for barter: the most cash it will pay or receive to balance a deal."""

    company = models.OneToOneField("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                   related_name="barter_profile")
    cash_limit = MoneyField(_("现金差额上限"), default=0)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("易货资料")
        verbose_name_plural = _("易货资料")
        constraints = [models.CheckConstraint(condition=models.Q(cash_limit__gte=0),
                                              name="barter_profile_cash_limit_nonnegative")]

    def __str__(self):
        return f"{self.company}: {self.cash_limit}"


class Listing(models.Model):
    """A have (goods a company offers) or a want (goods it seeks), in the barter book while active."""

    class Kind(models.TextChoices):
        HAVE = "have", _("供货")
        WANT = "want", _("求购")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ACTIVE = "active", _("挂牌中")
        MATCHED = "matched", _("方案锁定中")
        TRADED = "traded", _("已成交")
        WITHDRAWN = "withdrawn", _("已撤回")
        EXPIRED = "expired", _("已过期")

    number = models.CharField(_("编号"), max_length=24, unique=True)
    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.PROTECT,
                                related_name="barter_listings")
    kind = models.CharField(_("类型"), max_length=4, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    category = models.ForeignKey("catalog.Category", verbose_name=_("类目"), on_delete=models.PROTECT,
                                 related_name="+")
    product = models.ForeignKey("catalog.Product", verbose_name=_("商品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="barter_listings")
    title = models.CharField(_("名称"), max_length=120)
    unit = models.CharField(_("单位"), max_length=10, blank=True)
    quantity = models.DecimalField(_("数量"), null=True, blank=True, **QUANTITY)
    unit_value = MoneyField(_("单位价值"), null=True, blank=True)
    budget = MoneyField(_("预算"), null=True, blank=True)
    max_unit_value = MoneyField(_("最高单位价值"), null=True, blank=True)
    location = models.CharField(_("所在城市"), max_length=40, blank=True)
    available_from = models.DateField(_("有效期自"))
    available_until = models.DateField(_("有效期至"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("易货挂牌")
        verbose_name_plural = _("易货挂牌")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "available_until"], name="barter_listing_status_until"),
                   models.Index(fields=["company", "kind", "status"], name="barter_listing_company")]
        constraints = [
            models.CheckConstraint(condition=models.Q(available_until__gte=models.F("available_from")),
                                   name="barter_listing_window_ordered"),
            models.CheckConstraint(
                condition=~models.Q(kind="have") | models.Q(quantity__gt=0, unit_value__gt=0),
                name="barter_have_quantity_and_value"),
            models.CheckConstraint(
                condition=~models.Q(kind="want") | models.Q(budget__gt=0, max_unit_value__gt=0),
                name="barter_want_budget_and_max"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_have(self):
        return self.kind == self.Kind.HAVE

    @property
    def offered_value(self):
        if self.is_have and self.quantity is not None and self.unit_value is not None:
            return self.quantity * self.unit_value
        return None


class MatchingRun(models.Model):
    """One run of the matching engine over the whole active book."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    stage = models.CharField(_("阶段"), max_length=60, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    haves = models.PositiveIntegerField(_("供货数"), default=0)
    wants = models.PositiveIntegerField(_("求购数"), default=0)
    companies = models.PositiveIntegerField(_("企业数"), default=0)
    excluded_wants = models.PositiveIntegerField(_("排除的求购数"), default=0)
    deals = models.PositiveIntegerField(_("方案数"), default=0)
    dropped_deals = models.PositiveIntegerField(_("未能锁定的方案数"), default=0)
    transfers = models.PositiveIntegerField(_("转移数"), default=0)
    total_value = MoneyField(_("撮合总价值"), default=0)
    build_seconds = models.FloatField(_("建簿耗时（秒）"), null=True, blank=True)
    solve_seconds = models.FloatField(_("求解耗时（秒）"), null=True, blank=True)
    save_seconds = models.FloatField(_("保存耗时（秒）"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("撮合运行")
        verbose_name_plural = _("撮合运行")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"#{self.pk} {self.get_status_display()}"


class ProposalQuerySet(models.QuerySet):
    def overdue(self, now=None):
        """Still waiting for answers after the deadline (the one rule; `Proposal.is_overdue`)."""
        return self.filter(status=Proposal.Status.PROPOSED, deadline__lte=now or timezone.now())


class Proposal(models.Model):
    """A deal the engine proposes (易货方案): balanced on its own, all-or-nothing."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待确认")
        EXECUTING = "executing", _("执行中")
        COMPLETED = "completed", _("已完成")
        LAPSED = "lapsed", _("已失效")

    number = models.CharField(_("方案号"), max_length=24, unique=True)
    run = models.ForeignKey(MatchingRun, verbose_name=_("撮合运行"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="proposals")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    total_value = MoneyField(_("货物总价值"), default=0)
    deadline = models.DateTimeField(_("确认截止时间"), db_index=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("全部确认时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    lapse_reason = models.CharField(_("失效原因"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("易货方案")
        verbose_name_plural = _("易货方案")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="barter_proposal_status_due")]

    def __str__(self):
        return self.number

    def is_overdue(self, now=None) -> bool:
        return self.status == self.Status.PROPOSED and self.deadline <= (now or timezone.now())


class Participant(models.Model):
    """A company in a proposal, its cash balance there and its answer."""

    class Answer(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已拒绝")

    proposal = models.ForeignKey(Proposal, verbose_name=_("方案"), on_delete=models.CASCADE,
                                 related_name="participants")
    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.PROTECT,
                                related_name="barter_participations")
    position = models.PositiveSmallIntegerField(_("环中顺序"), default=0)
    cash_amount = MoneyField(_("现金差额（收为正）"), default=0)
    gives_value = MoneyField(_("付出货物价值"), default=0)
    gets_value = MoneyField(_("得到货物价值"), default=0)
    answer = models.CharField(_("答复"), max_length=10, choices=Answer.choices, default=Answer.PENDING)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reason = models.CharField(_("拒绝原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("方案参与方")
        verbose_name_plural = _("方案参与方")
        ordering = ["proposal", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["proposal", "company"], name="barter_participant_once")]

    def __str__(self):
        return f"{self.proposal} {self.company}"


class Transfer(models.Model):
    """Goods moving from a have to a want in a proposal: its value (what the deal balances on) and
    quantity; once executed, the order it became."""

    proposal = models.ForeignKey(Proposal, verbose_name=_("方案"), on_delete=models.CASCADE,
                                 related_name="transfers")
    position = models.PositiveIntegerField(_("顺序"), default=0)
    have = models.ForeignKey(Listing, verbose_name=_("供货"), on_delete=models.PROTECT, related_name="gives")
    want = models.ForeignKey(Listing, verbose_name=_("求购"), on_delete=models.PROTECT, related_name="gets")
    giver = models.ForeignKey("accounts.Company", verbose_name=_("供货方"), on_delete=models.PROTECT,
                              related_name="+")
    taker = models.ForeignKey("accounts.Company", verbose_name=_("收货方"), on_delete=models.PROTECT,
                              related_name="+")
    value = MoneyField(_("价值"))
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    reservation = models.OneToOneField("catalog.StockReservation", verbose_name=_("库存预留"), null=True,
                                       blank=True, on_delete=models.SET_NULL, related_name="barter_transfer")
    order = models.OneToOneField("orders.Order", verbose_name=_("订单"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="barter_transfer")

    class Meta:
        verbose_name = _("易货转移")
        verbose_name_plural = _("易货转移")
        ordering = ["proposal", "position", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(value__gt=0, quantity__gt=0),
                                              name="barter_transfer_positive")]

    def __str__(self):
        return f"{self.giver} → {self.taker}: {self.value}"


class Settlement(models.Model):
    """A company's cash balance in an executing deal (易货差额结算), confirmed by platform finance."""

    class Direction(models.TextChoices):
        PAY = "pay", _("支付")
        RECEIVE = "receive", _("收取")

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")

    proposal = models.ForeignKey(Proposal, verbose_name=_("方案"), on_delete=models.CASCADE,
                                 related_name="settlements")
    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.PROTECT,
                                related_name="barter_settlements")
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices)
    amount = MoneyField(_("金额"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(_("流水号"), max_length=60, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("易货差额结算")
        verbose_name_plural = _("易货差额结算")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="barter_settlement_positive"),
            models.UniqueConstraint(fields=["proposal", "company"], name="barter_settlement_once"),
        ]

    def __str__(self):
        return f"{self.proposal} {self.company} {self.get_direction_display()} {self.amount}"


BarterSettlement = Settlement
