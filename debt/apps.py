from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebtConfig(AppConfig):
    name = "debt"
    verbose_name = _("债务清理")

    def ready(self):
        from debt import case_views, clearing_views

        clearing_views.register()
        case_views.register()
