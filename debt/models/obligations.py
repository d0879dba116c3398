"""The obligations registry and clearing runs (SPEC §7, 三角债清理).

An obligation is registered by its creditor and counts only once its debtor confirms it. A
clearing run snapshots the confirmed obligations, asks the set-off engine (debt/clearing.py) for
the largest set-off that leaves every net position unchanged, shows each affected company its
part, and applies the set-off atomically once every one of them has confirmed.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import private_storage
from core.money import MoneyField

__all__ = [
    "ClearingItem",
    "ClearingParticipant",
    "ClearingRun",
    "Obligation",
    "ObligationDispute",
    "ObligationEvidence",
]


def obligation_file_path(instance, filename):
    """Private storage path for evidence: never guessable, never public."""
    return f"debt/obligations/{uuid.uuid4().hex}"


class Obligation(models.Model):
    """债务登记: the debtor owes the creditor `outstanding` of the original `amount`.

    Statuses move only through `debt.obligations.obligation_transition` (its table)."""

    class Status(models.TextChoices):
        PENDING = "pending_confirmation", _("待债务人确认")
        CONFIRMED = "confirmed", _("已确认")
        DISPUTED = "disputed", _("有异议")
        WITHDRAWN = "withdrawn", _("已撤回")
        SETTLED = "settled", _("已结清")

    debtor = models.ForeignKey("accounts.Company", verbose_name=_("债务人"), on_delete=models.PROTECT,
                               related_name="debts_owed")
    creditor = models.ForeignKey("accounts.Company", verbose_name=_("债权人"), on_delete=models.PROTECT,
                                 related_name="debts_receivable")
    amount = MoneyField(_("债务金额"))
    outstanding = MoneyField(_("未清偿金额"), help_text=_("尚欠金额；清算抵销会减少它。"))
    due_on = models.DateField(_("到期日"))
    reference = models.CharField(_("合同/发票号"), max_length=60)
    description = models.TextField(_("说明"), max_length=2000, blank=True)
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.PENDING)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True,
                                      on_delete=models.SET_NULL, related_name="+")
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("结清时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("债务")
        verbose_name_plural = _("债务")
        ordering = ["-registered_at", "-id"]
        indexes = [models.Index(fields=["status", "debtor"]), models.Index(fields=["status", "creditor"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="obligation_amount_positive"),
            models.CheckConstraint(condition=models.Q(outstanding__gte=0)
                                   & models.Q(outstanding__lte=models.F("amount")),
                                   name="obligation_outstanding_within_amount"),
            models.CheckConstraint(condition=~models.Q(debtor=models.F("creditor")),
                                   name="obligation_parties_differ"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.reference}"


class ObligationDispute(models.Model):
    """The debtor's objection to a registered obligation, and how it ended."""

    class Resolution(models.TextChoices):
        CORRECTED = "corrected", _("债权人已更正")
        WITHDRAWN = "withdrawn", _("债权人已撤回")

    obligation = models.ForeignKey(Obligation, verbose_name=_("债务"), on_delete=models.CASCADE,
                                   related_name="disputes")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("异议理由"), max_length=2000)
    raised_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    resolution = models.CharField(_("处理结果"), max_length=12, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(_("处理说明"), max_length=2000, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("债务异议")
        verbose_name_plural = _("债务异议")
        ordering = ["raised_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["obligation"], condition=models.Q(resolution=""),
                                    name="obligation_one_open_dispute"),
        ]

    def __str__(self):
        return f"{self.obligation} {self.reason[:30]}"


class ObligationEvidence(models.Model):
    """A contract, invoice or other proof; the two parties and staff may download it."""

    obligation = models.ForeignKey(Obligation, verbose_name=_("债务"), on_delete=models.CASCADE,
                                   related_name="evidence")
    company = models.ForeignKey("accounts.Company", verbose_name=_("提交方"), on_delete=models.PROTECT,
                                related_name="+")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=obligation_file_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("债务证据")
        verbose_name_plural = _("债务证据")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ClearingRun(models.Model):
    """One multilateral set-off (清算): snapshot → plan → every affected company confirms →
    applied atomically. Statuses move only through `debt.runs` (its table)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        PLANNING = "planning", _("计算中")
        AWAITING = "awaiting_confirmation", _("待各方确认")
        APPLIED = "applied", _("已执行")
        NOTHING = "nothing_to_clear", _("无可抵销债务")
        FAILED = "failed", _("失败")
        LAPSED = "lapsed", _("已过期")

    class Stage(models.TextChoices):
        WAITING = "", _("等待开始")
        LOADING = "loading", _("读取债务")
        SOLVING = "solving", _("计算抵销方案")
        SAVING = "saving", _("保存方案")
        DONE = "done", _("完成")

    IN_PROGRESS = (Status.QUEUED, Status.PLANNING, Status.AWAITING)

    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(_("进度阶段"), max_length=10, choices=Stage.choices, default=Stage.WAITING, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    plan_version = models.PositiveIntegerField(_("方案版本"), default=0,
                                               help_text=_("每次（重新）计算方案加一。"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    planned_at = models.DateTimeField(_("方案时间"), null=True, blank=True)
    confirmation_deadline = models.DateTimeField(_("确认截止"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # When the status last changed, and how often the watchdog has handed a stalled plan to a
    # worker again since then (debt.runs.resume_stalled_clearing_runs).
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    resumed = models.PositiveSmallIntegerField(_("重新计算次数"), default=0)
    failure_reason = models.TextField(_("失败原因"), blank=True)
    # The book as loaded (obligation id, debtor, creditor, outstanding in fen, due day), as an npz:
    # a re-plan after a rejection solves this snapshot again without the rejecting company.
    snapshot = models.BinaryField(_("债务快照"), null=True, blank=True, editable=False)
    snapshot_obligations = models.PositiveIntegerField(_("快照债务笔数"), default=0)
    snapshot_total = MoneyField(_("快照债务总额"), default=0)
    cleared_total = MoneyField(_("抵销总额"), default=0)
    item_count = models.PositiveIntegerField(_("抵销笔数"), default=0)
    solve_seconds = models.FloatField(_("计算耗时（秒）"), null=True, blank=True)

    class Meta:
        verbose_name = _("清算批次")
        verbose_name_plural = _("清算批次")
        ordering = ["-started_at", "-id"]
        constraints = [
            # Only one run at a time may be in progress.
            models.UniqueConstraint(models.Value(True), condition=models.Q(
                status__in=["queued", "planning", "awaiting_confirmation"]),
                name="clearing_run_one_in_progress"),
        ]

    def __str__(self):
        return _("清算批次 #%(id)s") % {"id": self.pk}

    @property
    def in_progress(self):
        return self.status in self.IN_PROGRESS


class ClearingParticipant(models.Model):
    """A company's part in a run: what it owes and is owed before and after the set-off, and its
    answer. `*_before` cover all its obligations in the snapshot; the net position is the same
    before and after (that is what makes the set-off fair)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已拒绝")
        DROPPED = "dropped", _("已不涉及")

    run = models.ForeignKey(ClearingRun, verbose_name=_("清算批次"), on_delete=models.CASCADE,
                            related_name="participants")
    company = models.ForeignKey("accounts.Company", verbose_name=_("企业"), on_delete=models.PROTECT,
                                related_name="clearing_parts")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    owed_by_before = MoneyField(_("清算前应付"), default=0)
    owed_to_before = MoneyField(_("清算前应收"), default=0)
    setoff_as_debtor = MoneyField(_("抵销应付"), default=0)
    setoff_as_creditor = MoneyField(_("抵销应收"), default=0)
    obligations_affected = models.PositiveIntegerField(_("涉及债务笔数"), default=0)
    plan_version = models.PositiveIntegerField(_("方案版本"), default=0,
                                               help_text=_("该企业的部分最近一次变化时的方案版本。"))
    part_digest = models.CharField(_("方案摘要"), max_length=64, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reason = models.TextField(_("拒绝理由"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("清算参与方")
        verbose_name_plural = _("清算参与方")
        ordering = ["run", "company__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "company"], name="clearing_participant_once_per_run"),
        ]

    def __str__(self):
        return f"{self.run} {self.company}"

    @property
    def owed_by_after(self):
        return self.owed_by_before - self.setoff_as_debtor

    @property
    def owed_to_after(self):
        return self.owed_to_before - self.setoff_as_creditor

    @property
    def net_before(self):
        return self.owed_to_before - self.owed_by_before

    @property
    def net_after(self):
        return self.owed_to_after - self.owed_by_after

    @property
    def setoff(self):
        return self.setoff_as_debtor


class ClearingItem(models.Model):
    """The set-off planned on one obligation (only those with set-off > 0)."""

    run = models.ForeignKey(ClearingRun, verbose_name=_("清算批次"), on_delete=models.CASCADE, related_name="items")
    obligation = models.ForeignKey(Obligation, verbose_name=_("债务"), on_delete=models.PROTECT,
                                   related_name="clearing_items")
    debtor = models.ForeignKey("accounts.Company", verbose_name=_("债务人"), on_delete=models.PROTECT,
                               related_name="+")
    creditor = models.ForeignKey("accounts.Company", verbose_name=_("债权人"), on_delete=models.PROTECT,
                                 related_name="+")
    outstanding_before = MoneyField(_("抵销前未清偿"))
    setoff = MoneyField(_("抵销金额"))

    class Meta:
        verbose_name = _("清算抵销明细")
        verbose_name_plural = _("清算抵销明细")
        ordering = ["obligation_id"]
        indexes = [models.Index(fields=["run", "debtor"]), models.Index(fields=["run", "creditor"])]
        constraints = [
            models.UniqueConstraint(fields=["run", "obligation"], name="clearing_item_once_per_run"),
            models.CheckConstraint(condition=models.Q(setoff__gt=0) & models.Q(setoff__lte=models.F(
                "outstanding_before")), name="clearing_item_setoff_within_outstanding"),
        ]

    def __str__(self):
        return f"{self.run} {self.obligation} {self.setoff}"

    @property
    def outstanding_after(self):
        return self.outstanding_before - self.setoff
