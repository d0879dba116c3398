from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("企业账户")

    def ready(self):
        from accounts import selectors
        from core.backoffice import register_queue
        from core.permissions import StaffRole

        register_queue(
            key="verification",
            label=_("待审核的企业认证"),
            url_name="backoffice-accounts:companies",
            count=lambda: selectors.companies_awaiting_review().count(),
            roles=(StaffRole.REVIEWER, StaffRole.CUSTOMER_SERVICE),
        )
