from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("大客户与信用")

    def ready(self):
        from django.db.models.signals import post_migrate

        from crm.defaults import ensure_default_rules

        post_migrate.connect(ensure_default_rules, sender=self, dispatch_uid="crm.ensure_default_rules")

        # --- tiers, benefits and account managers ---
        from core.backoffice import register_queue
        from core.permissions import StaffRole
        from core.schedules import register_schedule
        from crm.models import ReviewTask

        register_queue(
            key="crm.review_tasks",
            label=_("待完成的季度回顾"),
            url_name="backoffice-crm:my-clients",
            count=lambda: ReviewTask.objects.filter(status=ReviewTask.Status.OPEN).count(),
            roles=(StaffRole.ACCOUNT_MANAGER,),
        )
        register_schedule(
            name="crm.review_tiers", task="crm.tasks_tiers.review_tiers", crontab={"minute": "0", "hour": "3"},
            description=_("每天 03:00 重新评估全部企业的客户等级并计提本年度返利"),
        )
        register_schedule(
            name="crm.accrue_rebates", task="crm.tasks_tiers.accrue_rebates",
            crontab={"minute": "30", "hour": "3", "day_of_month": "1"},
            description=_("每月 1 日 03:30 计提返利"),
        )
        register_schedule(
            name="crm.quarterly_review_tasks.quarter_start", task="crm.tasks_tiers.create_quarterly_review_tasks",
            crontab={"minute": "30", "hour": "0", "day_of_month": "1", "month_of_year": "1,4,7,10"},
            description=_("每季度首日 00:30 为大客户创建季度回顾任务"),
        )
        register_schedule(
            name="crm.quarterly_review_tasks", task="crm.tasks_tiers.create_quarterly_review_tasks",
            crontab={"minute": "0", "hour": "6"},
            description=_("每天 06:00 补建遗漏的季度回顾任务（如新晋大客户或新分配客户经理）"),
        )

        # --- credit and receivables ---
        from crm import credit

        register_queue(
            key="crm.credit_applications",
            label=_("待审批的账期申请"),
            url_name="backoffice-crm:credit-applications",
            count=lambda: credit.pending_applications().count(),
            roles=(StaffRole.FINANCE, StaffRole.ADMINISTRATOR),
        )
        register_queue(
            key="crm.overdue_receivables",
            label=_("已逾期的应收账款"),
            url_name="backoffice-crm:receivables",
            count=lambda: credit.receivables_for_staff(overdue=True).count(),
            roles=(StaffRole.FINANCE, StaffRole.ADMINISTRATOR),
        )
        register_schedule(
            name="crm.score_companies", task="crm.tasks_credit.score_companies",
            crontab={"minute": "30", "hour": "2", "day_of_week": "1"},
            description=_("每周一为所有已认证企业重新计算信用评分"),
        )
        register_schedule(
            name="crm.remind_overdue_receivables", task="crm.tasks_credit.remind_overdue_receivables",
            crontab={"minute": "0", "hour": "9"},
            description=_("每天提醒逾期应收账款（每笔每天至多一次）"),
        )
        register_schedule(
            name="crm.apply_credit_holds", task="crm.tasks_credit.apply_credit_holds",
            crontab={"minute": "15", "hour": "1"},
            description=_("每天暂停逾期超限客户的账期额度，结清后恢复"),
        )

        # --- reorder reminders and volume alerts ---
        from crm import alerts as volume_alerts

        register_schedule(
            name="crm.compute_reorder_reminders", task="crm.tasks_reminders.compute_reorder_reminders",
            crontab={"minute": "0", "hour": "8"},
            description=_("每天 08:00 计算复购周期，发送到期的补货提醒，恢复稍后提醒到期的提醒"),
        )
        register_schedule(
            name="crm.detect_volume_anomalies", task="crm.tasks_reminders.detect_volume_anomalies",
            crontab={"minute": "30", "hour": "6"},
            description=_("每天 06:30 比较大客户上一完整季度与前一季度的采购额，异动（升 30% / 降 20%）通知客户经理；"
                          "每期只预警一次，季度首日生成，之后每天补漏"),
        )
        register_queue(
            key="crm.volume_alerts", label=_("未处理的采购异动"), url_name="backoffice-crm:alerts",
            count=volume_alerts.unacknowledged_count, roles=(StaffRole.ACCOUNT_MANAGER,),
        )
