from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BarterConfig(AppConfig):
    name = "barter"
    verbose_name = _("易货交易")

    def ready(self):
        from barter import views

        views.register()
