from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("订单")

    def ready(self):
        from accounts.services import register_deregistration_blocker
        from orders import selectors

        register_deregistration_blocker(label=_("未完成的订单"), count=lambda company: selectors.open_orders(
            company=company).count())
        register_deregistration_blocker(label=_("处理中的退款"), count=lambda company: selectors.open_refunds(
            company=company).count())
