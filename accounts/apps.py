from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("企业账户")

    def ready(self):
        from accounts import selectors
        from accounts.models import Company
        from core.audit import describe_actions

        describe_actions({"company.status": _("企业状态")}, values={"company.status": Company.Status})
        describe_actions({
            "webhook.add": _("添加 Webhook 地址"), "webhook.status": _("启用/暂停 Webhook 地址"),
            "webhook.rotate_secret": _("更换 Webhook 签名密钥"), "webhook.remove": _("删除 Webhook 地址"),
        })
        from core.backoffice import register_queue
        from core.permissions import StaffRole

        register_queue(
            key="applications",
            label=_("待审核的认证与变更申请"),
            url_name="backoffice-accounts:reviews",
            count=lambda: selectors.pending_applications().count(),
            roles=(StaffRole.REVIEWER, StaffRole.CUSTOMER_SERVICE),
        )
        register_queue(
            key="unfreeze",
            label=_("待审核的解冻申请"),
            url_name="backoffice-accounts:reviews",
            count=lambda: selectors.unfreeze_requests().count(),
            roles=(StaffRole.REVIEWER, StaffRole.CUSTOMER_SERVICE),
        )
