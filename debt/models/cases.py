"""Debt-resolution cases (债务化解, SPEC §7): the case and its claims against counterparties,
evidence, plan confirmations, the platform's guarantee (担保), instalment plans (分期还款) and
debt for goods (以货抵债).

The case's stages are a table in `debt.case_states`; the writes are services in `debt.cases`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import private_storage
from core.money import MoneyField

__all__ = [
    "CaseSettings", "DebtCase", "CaseClaim", "CaseDocument", "PlanDecision", "Guarantee", "InstalmentPlan",
    "Instalment", "InstalmentPayment", "GoodsSettlement", "GoodsSettlementLine",
]


class CaseSettings(models.Model):
    """Stage deadlines and instalment rules staff may change (one row)."""

    submitted_days = models.PositiveSmallIntegerField(_("受理期限（工作日）"), default=1)
    assessment_days = models.PositiveSmallIntegerField(_("初步评估期限（工作日）"), default=3)
    plan_design_days = models.PositiveSmallIntegerField(_("方案设计期限（工作日）"), default=5)
    negotiation_days = models.PositiveSmallIntegerField(_("协商确认期限（工作日）"), default=5)
    execution_days = models.PositiveSmallIntegerField(_("执行期限（工作日）"), default=60)
    monitoring_days = models.PositiveSmallIntegerField(_("跟踪期限（工作日）"), default=20)
    remind_days_before = models.PositiveSmallIntegerField(_("到期前提醒（天）"), default=3)
    default_after_days = models.PositiveSmallIntegerField(_("逾期多少天视为违约"), default=30)

    class Meta:
        verbose_name = _("债务案件设置")
        verbose_name_plural = _("债务案件设置")

    def __str__(self):
        return str(_("债务案件设置"))

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()


class DebtCase(models.Model):
    class Stage(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        ASSESSMENT = "assessment", _("初步评估")
        PLAN_DESIGN = "plan_design", _("方案设计")
        NEGOTIATION = "negotiation", _("协商确认")
        EXECUTION = "execution", _("执行中")
        MONITORING = "monitoring", _("跟踪监测")
        CLOSED_RESOLVED = "closed_resolved", _("已化解结案")
        CLOSED_FAILED = "closed_failed", _("未化解结案")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Outcome(models.TextChoices):
        FULL_PAYMENT = "full_payment", _("一次性清偿")
        INSTALMENTS = "instalments", _("分期还款")
        DEBT_FOR_GOODS = "debt_for_goods", _("以货抵债")
        SET_OFF = "set_off", _("债务抵销")
        GUARANTEE = "guarantee", _("平台担保")
        OTHER = "other", _("其他")

    number = models.CharField(_("案件编号"), max_length=32, unique=True)
    applicant = models.ForeignKey("accounts.Company", verbose_name=_("申请企业"), on_delete=models.PROTECT,
                                  related_name="debt_cases")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    desired_outcome = models.CharField(_("期望结果"), max_length=20, choices=Outcome.choices)
    description = models.TextField(_("案情说明"), max_length=5000)
    stage = models.CharField(_("阶段"), max_length=20, choices=Stage.choices, default=Stage.SUBMITTED)
    stage_entered_at = models.DateTimeField(_("进入本阶段时间"), default=timezone.now)
    stage_deadline = models.DateTimeField(_("本阶段期限"), null=True, blank=True, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("承办人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_debt_cases")
    plan_text = models.TextField(_("化解方案"), blank=True, max_length=10000)
    # Every change to the plan (text or structured terms) makes a new version: confirmations
    # given to an older version no longer count.
    plan_version = models.PositiveIntegerField(_("方案版本"), default=0)
    outcome_note = models.CharField(_("结案说明"), max_length=1000, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("债务案件")
        verbose_name_plural = _("债务案件")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["stage", "stage_deadline"], name="debtcase_stage_deadline")]

    def __str__(self):
        return self.number

    @property
    def is_open(self):
        return self.stage not in (self.Stage.CLOSED_RESOLVED, self.Stage.CLOSED_FAILED, self.Stage.WITHDRAWN)

    @property
    def is_overdue(self):
        return self.is_open and self.stage_deadline is not None and self.stage_deadline < timezone.now()


class CaseClaim(models.Model):
    """One amount between the applicant and one counterparty (on the platform or not)."""

    class Role(models.TextChoices):
        DEBTOR = "debtor", _("债务人")  # the counterparty owes the applicant
        CREDITOR = "creditor", _("债权人")  # the applicant owes the counterparty

    case = models.ForeignKey(DebtCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="claims")
    company = models.ForeignKey("accounts.Company", verbose_name=_("平台企业"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="debt_case_claims")
    name = models.CharField(_("对方名称"), max_length=120)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    role = models.CharField(_("对方角色"), max_length=10, choices=Role.choices)
    amount = MoneyField(_("金额"))
    due_date = models.DateField(_("到期日"))
    settled_amount = MoneyField(_("已化解金额"), default=0)
    # The registered obligation this claim is about, when there is one (债务登记).
    obligation = models.ForeignKey("debt.Obligation", verbose_name=_("登记的债务"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="case_claims")

    class Meta:
        verbose_name = _("案件债权债务")
        verbose_name_plural = _("案件债权债务")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="caseclaim_amount_positive"),
            models.CheckConstraint(condition=Q(settled_amount__gte=0, settled_amount__lte=models.F("amount")),
                                   name="caseclaim_settled_within_amount"),
        ]

    def __str__(self):
        return f"{self.name} {self.get_role_display()} {self.amount}"

    @property
    def outstanding(self):
        return self.amount - self.settled_amount

    @property
    def debtor_company(self):
        return self.company if self.role == self.Role.DEBTOR else self.case.applicant

    @property
    def creditor_company(self):
        return self.case.applicant if self.role == self.Role.DEBTOR else self.company

    @property
    def debtor_name(self):
        return self.name if self.role == self.Role.DEBTOR else self.case.applicant.name

    @property
    def creditor_name(self):
        return self.case.applicant.name if self.role == self.Role.DEBTOR else self.name


def case_file_path(document, filename):
    import uuid

    return f"debt-cases/{document.case_id}/{uuid.uuid4().hex}"


class CaseDocument(models.Model):
    case = models.ForeignKey(DebtCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="documents")
    company = models.ForeignKey("accounts.Company", verbose_name=_("提交企业"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=case_file_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("案件材料")
        verbose_name_plural = _("案件材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class PlanDecision(models.Model):
    """A platform party's answer to one version of the plan."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("确认")
        REJECTED = "rejected", _("拒绝")

    case = models.ForeignKey(DebtCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="decisions")
    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.PROTECT,
                                related_name="+")
    plan_version = models.PositiveIntegerField(_("方案版本"))
    decision = models.CharField(_("意见"), max_length=10, choices=Decision.choices)
    reason = models.CharField(_("理由"), max_length=1000, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("方案确认")
        verbose_name_plural = _("方案确认")
        ordering = ["decided_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "company", "plan_version"],
                                               name="plandecision_once_per_version")]

    def __str__(self):
        return f"{self.case} v{self.plan_version} {self.get_decision_display()}"


class Guarantee(models.Model):
    """The platform guarantees a debtor's performance up to a limit, for a fee."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("拟提供")
        ACTIVE = "active", _("担保中")
        RELEASED = "released", _("已解除")
        CALLED = "called", _("已代偿")
        CANCELLED = "cancelled", _("已取消")

    case = models.ForeignKey(DebtCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="guarantees")
    claim = models.ForeignKey(CaseClaim, verbose_name=_("担保的债务"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="guarantees")
    limit = MoneyField(_("担保限额"))
    fee_rate = models.DecimalField(_("担保费率（%）"), max_digits=6, decimal_places=3)
    fee = MoneyField(_("担保费"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    called_amount = MoneyField(_("代偿金额"), default=0)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提议人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    activated_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("平台担保")
        verbose_name_plural = _("平台担保")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(limit__gt=0), name="guarantee_limit_positive"),
            models.CheckConstraint(condition=Q(fee_rate__gte=0, fee_rate__lte=100), name="guarantee_rate_range"),
            models.CheckConstraint(condition=Q(called_amount__gte=0, called_amount__lte=models.F("limit")),
                                   name="guarantee_called_within_limit"),
        ]

    def __str__(self):
        return f"{self.case.number} 担保 {self.limit}"


class InstalmentPlan(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("拟定")
        ACTIVE = "active", _("执行中")
        COMPLETED = "completed", _("已还清")
        DEFAULTED = "defaulted", _("已违约")
        CANCELLED = "cancelled", _("已取消")

    case = models.ForeignKey(DebtCase, verbose_name=_("案件"), on_delete=models.CASCADE,
                             related_name="instalment_plans")
    claim = models.ForeignKey(CaseClaim, verbose_name=_("债务"), on_delete=models.CASCADE,
                              related_name="instalment_plans")
    total = MoneyField(_("分期总额"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("制定人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("分期还款计划")
        verbose_name_plural = _("分期还款计划")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="instalmentplan_total_positive")]

    def __str__(self):
        return f"{self.case.number} 分期 {self.total}"


class Instalment(models.Model):
    class Status(models.TextChoices):
        DUE = "due", _("待还")
        PAID = "paid", _("已还")
        OVERDUE = "overdue", _("逾期")
        CANCELLED = "cancelled", _("已取消")

    plan = models.ForeignKey(InstalmentPlan, verbose_name=_("计划"), on_delete=models.CASCADE,
                             related_name="instalments")
    sequence = models.PositiveSmallIntegerField(_("期数"))
    due_date = models.DateField(_("到期日"), db_index=True)
    amount = MoneyField(_("应还金额"))
    paid_amount = MoneyField(_("已还金额"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DUE)
    paid_on = models.DateField(_("还清日期"), null=True, blank=True)
    overdue_since = models.DateField(_("逾期起始日"), null=True, blank=True)
    last_reminded_on = models.DateField(_("最近提醒日"), null=True, blank=True)

    class Meta:
        verbose_name = _("分期")
        verbose_name_plural = _("分期")
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="instalment_sequence_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0, paid_amount__lte=models.F("amount")),
                                   name="instalment_paid_within_amount"),
        ]

    def __str__(self):
        return f"第 {self.sequence} 期 {self.amount}"

    @property
    def remaining(self):
        return self.amount - self.paid_amount


class InstalmentPayment(models.Model):
    instalment = models.ForeignKey(Instalment, verbose_name=_("分期"), on_delete=models.CASCADE,
                                   related_name="payments")
    amount = MoneyField(_("金额"))
    paid_on = models.DateField(_("还款日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    confirmed_by_creditor = models.BooleanField(_("由债权人确认"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("分期还款记录")
        verbose_name_plural = _("分期还款记录")
        ordering = ["recorded_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="instalmentpayment_positive")]

    def __str__(self):
        return f"{self.instalment} {self.amount}"


class GoodsSettlement(models.Model):
    """Part of a debt settled with the debtor's goods at an agreed value: a real order whose
    buyer is the creditor and seller the debtor, paid by the settlement rather than by transfer."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("拟定")
        ORDERED = "ordered", _("已下单")
        DELIVERED = "delivered", _("已发货")
        SETTLED = "settled", _("已抵债")
        CANCELLED = "cancelled", _("已取消")

    case = models.ForeignKey(DebtCase, verbose_name=_("案件"), on_delete=models.CASCADE,
                             related_name="goods_settlements")
    claim = models.ForeignKey(CaseClaim, verbose_name=_("债务"), on_delete=models.CASCADE,
                              related_name="goods_settlements")
    debtor = models.ForeignKey("accounts.Company", verbose_name=_("债务人（卖方）"), on_delete=models.PROTECT,
                               related_name="+")
    creditor = models.ForeignKey("accounts.Company", verbose_name=_("债权人（买方）"), on_delete=models.PROTECT,
                                 related_name="+")
    agreed_total = MoneyField(_("抵债金额"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    order = models.OneToOneField("orders.Order", verbose_name=_("订单"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="goods_settlement")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提议人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    ordered_at = models.DateTimeField(_("下单时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("抵债时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("以货抵债")
        verbose_name_plural = _("以货抵债")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(agreed_total__gt=0), name="goodssettlement_total_positive"),
            models.CheckConstraint(condition=~Q(debtor=models.F("creditor")), name="goodssettlement_two_parties"),
        ]

    def __str__(self):
        return f"{self.case.number} 以货抵债 {self.agreed_total}"


class GoodsSettlementLine(models.Model):
    settlement = models.ForeignKey(GoodsSettlement, verbose_name=_("以货抵债"), on_delete=models.CASCADE,
                                   related_name="lines")
    product = models.ForeignKey("catalog.Product", verbose_name=_("商品"), null=True, on_delete=models.SET_NULL,
                                related_name="+")
    title = models.CharField(_("商品名称"), max_length=120)
    unit = models.CharField(_("单位"), max_length=10)
    quantity = models.DecimalField(_("数量"), max_digits=14, decimal_places=3)
    list_price = MoneyField(_("标价"))
    agreed_unit_value = MoneyField(_("约定单价"))
    amount = MoneyField(_("抵债金额"))

    class Meta:
        verbose_name = _("以货抵债明细")
        verbose_name_plural = _("以货抵债明细")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="goodsline_quantity_positive"),
            models.CheckConstraint(condition=Q(agreed_unit_value__gt=0), name="goodsline_value_positive"),
        ]

    def __str__(self):
        return f"{self.title} × {self.quantity}"
