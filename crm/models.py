"""Major clients (SPEC §4) and credit (SPEC §5): tiers and their reviews, benefits, account
managers and their work, credit scores, limits, receivables and collections, reorder reminders
and volume alerts."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField

User = settings.AUTH_USER_MODEL


class Tier(models.TextChoices):
    """Customer tiers (客户分层), lowest first; `RANK` orders them for priority."""

    ORDINARY = "ordinary", _("普通客户")
    VIP = "vip", _("VIP 客户")
    GOLD = "gold", _("金牌客户")
    PLATINUM = "platinum", _("铂金客户")
    DIAMOND = "diamond", _("钻石客户")


TIER_RANK = {tier: rank for rank, tier in enumerate(Tier.values)}
MAJOR_TIERS = (Tier.VIP, Tier.GOLD, Tier.PLATINUM, Tier.DIAMOND)


class CrmSettings(models.Model):
    """Major-client and credit settings staff change in the back office (one row)."""

    credit_hold_days_overdue = models.PositiveIntegerField(_("逾期多少天暂停赊销"), default=30)
    reminder_lead_days = models.PositiveIntegerField(_("提前多少天提醒补货"), default=30)
    volume_rise_alert_percent = models.PositiveIntegerField(_("采购额上升预警（%）"), default=30)
    volume_fall_alert_percent = models.PositiveIntegerField(_("采购额下降预警（%）"), default=20)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("大客户与信用设置")
        verbose_name_plural = _("大客户与信用设置")

    def __str__(self):
        return str(_("大客户与信用设置"))

    @classmethod
    def current(cls):
        """The one settings row, or the defaults when staff have not saved one yet."""
        return cls.objects.order_by("pk").first() or cls()


# --- tiers and benefits ----------------------------------------------------------------------------

class TierRule(models.Model):
    """A tier's threshold, edited by staff: trailing-12-month purchases and years on the platform,
    or the strategic flag where `strategic_qualifies` says so. The review gives each company the
    highest tier whose active rule it meets; companies meeting none are ordinary."""

    tier = models.CharField(_("客户等级"), max_length=10, choices=Tier.choices, unique=True)
    min_purchases_12m = MoneyField(_("近 12 个月采购额不低于"))
    min_years_on_platform = models.PositiveSmallIntegerField(_("入驻年限不低于（年）"), default=0)
    strategic_qualifies = models.BooleanField(_("战略客户直接达到此等级"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(User, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("分层规则")
        verbose_name_plural = _("分层规则")
        ordering = ["-min_purchases_12m"]
        constraints = [
            models.CheckConstraint(condition=models.Q(min_purchases_12m__gte=0), name="tier_rule_threshold_positive"),
        ]

    def __str__(self):
        return self.get_tier_display()


class ClientProfile(models.Model):
    """A company as a client of the platform: its tier, the strategic flag and its managers."""

    company = models.OneToOneField("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                   related_name="client_profile")
    tier = models.CharField(_("客户等级"), max_length=10, choices=Tier.choices, default=Tier.ORDINARY, db_index=True)
    tier_since = models.DateTimeField(_("当前等级起始"), default=timezone.now)
    purchases_12m = MoneyField(_("近 12 个月采购额"), default=0)
    reviewed_at = models.DateTimeField(_("最近评级时间"), null=True, blank=True)
    is_strategic = models.BooleanField(_("战略客户"), default=False)
    strategic_note = models.CharField(_("战略客户说明"), max_length=300, blank=True)
    primary_manager = models.ForeignKey(User, verbose_name=_("主客户经理"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="primary_clients")
    assistant_manager = models.ForeignKey(User, verbose_name=_("协办客户经理"), null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="assisted_clients")
    chief_manager = models.ForeignKey(User, verbose_name=_("首席客户经理"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="chief_clients",
                                      help_text=_("铂金及以上客户配备。"))
    reminders_opted_out = models.BooleanField(_("关闭补货提醒"), default=False)

    class Meta:
        verbose_name = _("客户档案")
        verbose_name_plural = _("客户档案")

    def __str__(self):
        return f"{self.company} · {self.get_tier_display()}"


class TierReview(models.Model):
    """One run of the tier review: scheduled or started by staff."""

    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    started_by = models.ForeignKey(User, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    companies_reviewed = models.PositiveIntegerField(_("评估企业数"), default=0)
    changes = models.PositiveIntegerField(_("等级变化数"), default=0)

    class Meta:
        verbose_name = _("分层评估")
        verbose_name_plural = _("分层评估")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class TierChange(models.Model):
    """A company's tier moving, with the reason (the figures the rule used)."""

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="tier_changes")
    review = models.ForeignKey(TierReview, verbose_name=_("评估批次"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="tier_changes")
    from_tier = models.CharField(_("原等级"), max_length=10, choices=Tier.choices)
    to_tier = models.CharField(_("新等级"), max_length=10, choices=Tier.choices)
    purchases_12m = MoneyField(_("近 12 个月采购额"))
    years_on_platform = models.PositiveSmallIntegerField(_("入驻年限"), default=0)
    reason = models.CharField(_("原因"), max_length=300)
    changed_by = models.ForeignKey(User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("等级变化")
        verbose_name_plural = _("等级变化")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.company}: {self.from_tier} → {self.to_tier}"


class RebateRule(models.Model):
    """A step of the rebate ladder: purchases in a calendar year at or above the threshold earn the rate."""

    min_annual_purchases = MoneyField(_("年采购额不低于"), unique=True)
    rate_percent = models.DecimalField(_("返利比例（%）"), max_digits=5, decimal_places=2)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("返利阶梯")
        verbose_name_plural = _("返利阶梯")
        ordering = ["min_annual_purchases"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate_percent__gt=0, rate_percent__lte=100),
                                   name="rebate_rate_in_range"),
        ]

    def __str__(self):
        return f"≥ {self.min_annual_purchases}: {self.rate_percent}%"


class RebateAccrual(models.Model):
    """What a company has earned in rebates for one year so far (recomputed, never summed twice)."""

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="rebate_accruals")
    year = models.PositiveSmallIntegerField(_("年度"))
    purchases = MoneyField(_("年度采购额"))
    rate_percent = models.DecimalField(_("适用比例（%）"), max_digits=5, decimal_places=2, default=0)
    amount = MoneyField(_("返利金额"))
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    class Meta:
        verbose_name = _("返利计提")
        verbose_name_plural = _("返利计提")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["company", "year"], name="rebate_accrual_once_a_year")]

    def __str__(self):
        return f"{self.company} {self.year}: {self.amount}"


# --- account managers ------------------------------------------------------------------------------

class ManagerRole(models.TextChoices):
    PRIMARY = "primary", _("主客户经理")
    ASSISTANT = "assistant", _("协办客户经理")
    CHIEF = "chief", _("首席客户经理")


class Handover(models.Model):
    """A client passing from one account manager to another (or first assigned)."""

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="manager_handovers")
    role = models.CharField(_("角色"), max_length=10, choices=ManagerRole.choices)
    from_manager = models.ForeignKey(User, verbose_name=_("移交人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    to_manager = models.ForeignKey(User, verbose_name=_("接手人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    notes = models.TextField(_("交接说明"), blank=True)
    handed_over_by = models.ForeignKey(User, verbose_name=_("操作人"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    handed_over_at = models.DateTimeField(_("交接时间"), default=timezone.now)

    class Meta:
        verbose_name = _("客户交接")
        verbose_name_plural = _("客户交接")
        ordering = ["-handed_over_at", "-id"]

    def __str__(self):
        return f"{self.company} {self.role}"


class ReviewTask(models.Model):
    """A quarterly review of a major client by its manager, created by the schedule."""

    class Status(models.TextChoices):
        OPEN = "open", _("待完成")
        DONE = "done", _("已完成")

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="review_tasks")
    manager = models.ForeignKey(User, verbose_name=_("客户经理"), null=True, on_delete=models.SET_NULL,
                                related_name="review_tasks")
    quarter = models.CharField(_("季度"), max_length=7, help_text=_("如 2026Q4"))
    due_on = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=6, choices=Status.choices, default=Status.OPEN)
    summary = models.TextField(_("回顾总结"), blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("季度回顾任务")
        verbose_name_plural = _("季度回顾任务")
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "quarter"], name="review_task_once_a_quarter")]

    def __str__(self):
        return f"{self.company} {self.quarter}"


class Visit(models.Model):
    """A visit, meeting or call with a client, recorded by staff."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("上门拜访")
        MEETING = "meeting", _("会议")
        CALL = "call", _("电话沟通")

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="visits")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    occurred_on = models.DateField(_("日期"))
    attendees = models.CharField(_("参加人员"), max_length=300, blank=True)
    summary = models.TextField(_("纪要"))
    next_steps = models.TextField(_("后续事项"), blank=True)
    recorded_by = models.ForeignKey(User, verbose_name=_("记录人"), null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("拜访记录")
        verbose_name_plural = _("拜访记录")
        ordering = ["-occurred_on", "-id"]

    def __str__(self):
        return f"{self.company} {self.occurred_on}"


class ClientNote(models.Model):
    """A staff note on a client's 360 page."""

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="client_notes")
    body = models.TextField(_("内容"))
    author = models.ForeignKey(User, verbose_name=_("记录人"), null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("客户备注")
        verbose_name_plural = _("客户备注")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.body[:40]


# --- credit --------------------------------------------------------------------------------------

class Scorecard(models.Model):
    """A trained credit scorecard: feature bins with their weights of evidence, the logistic
    regression on them and the points scaling. One is active at a time."""

    version = models.CharField(_("版本"), max_length=40, unique=True)
    trained_at = models.DateTimeField(_("训练时间"), default=timezone.now)
    trained_by = models.ForeignKey(User, verbose_name=_("训练人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    specification = models.JSONField(_("模型参数"), help_text=_("分箱、证据权重、系数、截距与分值换算。"))
    metrics = models.JSONField(_("评估指标"), default=dict, blank=True)
    sample_size = models.PositiveIntegerField(_("样本数"), default=0)
    is_active = models.BooleanField(_("当前使用"), default=False)

    class Meta:
        verbose_name = _("信用评分卡")
        verbose_name_plural = _("信用评分卡")
        ordering = ["-trained_at"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True),
                                    name="scorecard_one_active"),
        ]

    def __str__(self):
        return self.version


class CreditScore(models.Model):
    """A company's score under a scorecard, with the reason codes that pulled it down most."""

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="credit_scores")
    scorecard = models.ForeignKey(Scorecard, verbose_name=_("评分卡"), on_delete=models.PROTECT, related_name="scores")
    score = models.IntegerField(_("信用分"))
    probability_of_default = models.DecimalField(_("违约概率"), max_digits=7, decimal_places=6)
    features = models.JSONField(_("特征值"))
    reasons = models.JSONField(_("原因代码"), help_text=_("[{code, text, points}]，按影响从大到小。"))
    recommended_limit_min = MoneyField(_("建议额度下限"), default=0)
    recommended_limit_max = MoneyField(_("建议额度上限"), default=0)
    scored_at = models.DateTimeField(_("评分时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("信用评分")
        verbose_name_plural = _("信用评分")
        ordering = ["-scored_at", "-id"]
        indexes = [models.Index(fields=["company", "-scored_at"], name="credit_score_latest")]

    def __str__(self):
        return f"{self.company} {self.score}"


class PaymentTerm(models.IntegerChoices):
    DAYS_30 = 30, _("30 天")
    DAYS_60 = 60, _("60 天")
    DAYS_90 = 90, _("90 天")


class CreditApplication(models.Model):
    """A major client's application for credit terms (账期), decided by staff."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")
        WITHDRAWN = "withdrawn", _("已撤回")

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="credit_applications")
    requested_limit = MoneyField(_("申请额度"))
    requested_term_days = models.PositiveSmallIntegerField(_("申请账期"), choices=PaymentTerm.choices)
    purpose = models.TextField(_("用途说明"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    score = models.ForeignKey(CreditScore, verbose_name=_("审批时评分"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    approved_limit = MoneyField(_("批准额度"), null=True, blank=True)
    approved_term_days = models.PositiveSmallIntegerField(_("批准账期"), choices=PaymentTerm.choices, null=True,
                                                          blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    submitted_by = models.ForeignKey(User, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(User, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账期申请")
        verbose_name_plural = _("账期申请")
        ordering = ["submitted_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(requested_limit__gt=0), name="credit_application_positive"),
            models.UniqueConstraint(fields=["company"], condition=models.Q(status="submitted"),
                                    name="credit_application_one_open"),
        ]

    def __str__(self):
        return f"{self.company} {self.requested_limit}"


class CreditLine(models.Model):
    """A company's credit limit and payment term. `outstanding` is what it owes on open
    receivables; an on-account order must fit in limit − outstanding (the row is locked)."""

    company = models.OneToOneField("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                   related_name="credit_line")
    limit = MoneyField(_("信用额度"))
    term_days = models.PositiveSmallIntegerField(_("账期"), choices=PaymentTerm.choices)
    outstanding = MoneyField(_("未结清金额"), default=0)
    on_hold = models.BooleanField(_("暂停赊销"), default=False)
    hold_reason = models.CharField(_("暂停原因"), max_length=300, blank=True)
    granted_by = models.ForeignKey(User, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("信用额度")
        verbose_name_plural = _("信用额度")
        constraints = [
            models.CheckConstraint(condition=models.Q(limit__gte=0), name="credit_limit_not_negative"),
            models.CheckConstraint(condition=models.Q(outstanding__gte=0), name="credit_outstanding_not_negative"),
        ]

    def __str__(self):
        return f"{self.company} {self.limit}"

    @property
    def available(self):
        return max(self.limit - self.outstanding, 0)


class Receivable(models.Model):
    """应收账款: what a company owes for one on-account order, due after its payment term."""

    class Status(models.TextChoices):
        OPEN = "open", _("未结清")
        SETTLED = "settled", _("已结清")
        CANCELLED = "cancelled", _("已取消")

    company = models.ForeignKey("accounts.Company", verbose_name=_("客户"), on_delete=models.PROTECT,
                                related_name="receivables")
    order = models.OneToOneField("orders.Order", verbose_name=_("订单"), on_delete=models.PROTECT,
                                 related_name="receivable")
    amount = MoneyField(_("应收金额"))
    settled = MoneyField(_("已回款"), default=0)
    issued_on = models.DateField(_("发生日期"))
    due_on = models.DateField(_("到期日"), db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    settled_at = models.DateTimeField(_("结清时间"), null=True, blank=True)
    last_reminded_on = models.DateField(_("最近催收日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("应收账款")
        verbose_name_plural = _("应收账款")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receivable_amount_positive"),
            models.CheckConstraint(condition=models.Q(settled__gte=0, settled__lte=models.F("amount")),
                                   name="receivable_settled_within_amount"),
        ]

    def __str__(self):
        return f"{self.company} {self.amount} ({self.due_on})"

    @property
    def balance(self):
        return self.amount - self.settled


class Collection(models.Model):
    """回款: a payment received from a customer, allocated to one or more receivables."""

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("银行转账")
        ACCEPTANCE_BILL = "acceptance_bill", _("银行承兑汇票")

    company = models.ForeignKey("accounts.Company", verbose_name=_("客户"), on_delete=models.PROTECT,
                                related_name="collections")
    received_on = models.DateField(_("回款日期"))
    document_number = models.CharField(_("单据号"), max_length=40)
    amount = MoneyField(_("金额"))
    method = models.CharField(_("方式"), max_length=16, choices=Method.choices, default=Method.TRANSFER)
    receiving_bank = models.CharField(_("收款银行"), max_length=100)
    acceptor = models.CharField(_("承兑人"), max_length=100, blank=True, help_text=_("银行承兑汇票必填。"))
    department = models.CharField(_("经办部门"), max_length=60, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回款记录")
        verbose_name_plural = _("回款记录")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="collection_amount_positive"),
            models.UniqueConstraint(fields=["company", "document_number"], name="collection_document_once"),
            models.CheckConstraint(condition=~models.Q(method="acceptance_bill", acceptor=""),
                                   name="collection_bill_has_acceptor"),
        ]

    def __str__(self):
        return f"{self.company} {self.amount} {self.document_number}"


class CollectionAllocation(models.Model):
    collection = models.ForeignKey(Collection, verbose_name=_("回款"), on_delete=models.CASCADE,
                                   related_name="allocations")
    receivable = models.ForeignKey(Receivable, verbose_name=_("应收账款"), on_delete=models.PROTECT,
                                   related_name="allocations")
    amount = MoneyField(_("核销金额"))

    class Meta:
        verbose_name = _("回款核销")
        verbose_name_plural = _("回款核销")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["collection", "receivable"], name="allocation_once"),
        ]

    def __str__(self):
        return f"{self.collection} → {self.receivable}: {self.amount}"


# --- reorder reminders and volume alerts -----------------------------------------------------------

class ReorderReminder(models.Model):
    """复购提醒: a company's next need of a product (or a category) predicted from its purchases,
    sent once per purchase cycle."""

    class Status(models.TextChoices):
        SENT = "sent", _("已提醒")
        SNOOZED = "snoozed", _("稍后提醒")
        DISMISSED = "dismissed", _("已忽略")
        REORDERED = "reordered", _("已补货")

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="reorder_reminders")
    product = models.ForeignKey("catalog.Product", verbose_name=_("商品"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("catalog.Category", verbose_name=_("类目"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    purchases = models.PositiveIntegerField(_("历史采购次数"))
    typical_interval_days = models.PositiveIntegerField(_("典型采购间隔（天）"))
    last_purchased_on = models.DateField(_("最近采购日期"))
    predicted_need_on = models.DateField(_("预计需补货日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SENT)
    snoozed_until = models.DateField(_("稍后提醒至"), null=True, blank=True)
    sent_at = models.DateTimeField(_("提醒时间"), default=timezone.now)

    class Meta:
        verbose_name = _("补货提醒")
        verbose_name_plural = _("补货提醒")
        ordering = ["predicted_need_on", "id"]
        constraints = [
            # One reminder per cycle: a cycle is identified by the last purchase it follows.
            models.UniqueConstraint(fields=["company", "product", "category", "last_purchased_on"],
                                    name="reorder_reminder_once_per_cycle", nulls_distinct=False),
            models.CheckConstraint(condition=models.Q(product__isnull=False) | models.Q(category__isnull=False),
                                   name="reorder_reminder_has_subject"),
        ]

    def __str__(self):
        return f"{self.company} {self.predicted_need_on}"


class ReminderOptOut(models.Model):
    """A buyer's "don't remind me" for one product or category."""

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="reminder_opt_outs")
    product = models.ForeignKey("catalog.Product", verbose_name=_("商品"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("catalog.Category", verbose_name=_("类目"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(User, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("补货提醒退订")
        verbose_name_plural = _("补货提醒退订")
        constraints = [
            models.UniqueConstraint(fields=["company", "product", "category"], name="reminder_opt_out_once",
                                    nulls_distinct=False),
        ]

    def __str__(self):
        return f"{self.company}"


class VolumeAlert(models.Model):
    """A major client's purchases rising or falling sharply against the previous period."""

    class Direction(models.TextChoices):
        RISE = "rise", _("上升")
        FALL = "fall", _("下降")

    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.CASCADE,
                                related_name="volume_alerts")
    period = models.CharField(_("期间"), max_length=7, help_text=_("如 2026Q4 或 2026-11"))
    direction = models.CharField(_("方向"), max_length=4, choices=Direction.choices)
    previous_amount = MoneyField(_("上期采购额"))
    current_amount = MoneyField(_("本期采购额"))
    change_percent = models.DecimalField(_("变化（%）"), max_digits=8, decimal_places=2)
    manager = models.ForeignKey(User, verbose_name=_("客户经理"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("已阅时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("采购异动预警")
        verbose_name_plural = _("采购异动预警")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "period", "direction"], name="volume_alert_once_a_period"),
        ]

    def __str__(self):
        return f"{self.company} {self.period} {self.direction}"
