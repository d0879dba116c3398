from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def order_settings_changed(**_kwargs):
    """Processes forget their copy of the settings (`selectors.order_settings`): at once, so
    this transaction reads its own change, and again once the change is visible to the others
    (a process reading in between keeps the old row under the new version)."""
    from core.cache import bump, bump_on_commit
    from orders.selectors import SETTINGS_NAMESPACE

    bump(SETTINGS_NAMESPACE)
    bump_on_commit(SETTINGS_NAMESPACE)


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("订单")

    def ready(self):
        from accounts.services import register_deregistration_blocker
        from core.schedules import register_schedule
        from orders import dispute_views, invoice_views, payment_views, refund_views, selectors, shipping_views

        register_deregistration_blocker(label=_("未完成的订单"), count=lambda company: selectors.open_orders(
            company=company).count())
        register_deregistration_blocker(label=_("处理中的退款"), count=lambda company: selectors.open_refunds(
            company=company).count())

        for name, crontab, description in [
            ("expire_unpaid_orders", {"minute": "*/5"}, _("每 5 分钟关闭超过付款期限的订单并释放库存")),
            ("auto_approve_refunds", {"minute": "*/15"}, _("每 15 分钟自动同意卖家超时未处理的退款申请")),
            ("poll_tracking", {"minute": "*/30"}, _("每 30 分钟向承运商查询在途运单的物流轨迹")),
            ("auto_confirm_receipts", {"minute": "0", "hour": "*"}, _("每小时为送达后超过期限的订单自动签收")),
            ("complete_received_orders", {"minute": "30", "hour": "2"}, _("每天 2:30 完成签收后超过售后期的订单")),
        ]:
            register_schedule(name=f"orders.{name}", task=f"orders.tasks.{name}", crontab=crontab,
                              description=description)
        for module in (payment_views, refund_views, shipping_views, invoice_views, dispute_views):
            module.register()

        from django.db.models.signals import post_save

        from orders.models import OrderSettings

        post_save.connect(order_settings_changed, sender=OrderSettings, dispatch_uid="order-settings-changed")

        from core.audit import describe_actions
        from orders.models import Dispute, Order, Payment, Refund

        describe_actions({
            "order.status": _("订单状态"), "order.place": _("下单"), "order.total": _("订单金额变更"),
            "order.delivered": _("送达"), "order.adjustment.propose": _("卖家提出改价/改量"),
            "order.adjustment.accept": _("买家确认调整"), "order.adjustment.decline": _("买家拒绝调整"),
            "order.adjustment.withdraw": _("卖家撤回调整"), "order.adjustment.lapse": _("调整失效"),
            "payment.record": _("登记转账"), "payment.confirm": _("财务确认到账"),
            "payment.reject": _("财务确认未到账"),
            "shipment.create": _("发货/退货登记"), "shipment.event": _("录入物流轨迹"),
            "refund.request": _("申请退款"), "refund.approve": _("同意退款"), "refund.reject": _("拒绝退款"),
            "refund.withdraw": _("撤销退款"), "refund.return_shipped": _("买家寄回货物"),
            "refund.return_received": _("卖家确认退货"), "refund.payout": _("财务退款"),
            "refund.dispute_decision": _("纠纷裁决退款"),
            "orders.invoice_requested": _("申请发票"), "orders.invoice_issued": _("开具发票"),
            "orders.invoice_rejected": _("退回发票申请"),
            "dispute.open": _("发起纠纷"), "dispute.evidence": _("提交证据"), "dispute.decide": _("纠纷裁决"),
            "dispute.to_mediation": _("转人工调解"), "dispute.assign": _("调解员接手"), "dispute.note": _("调解记录"),
            "dispute.refer": _("移交仲裁"), "dispute.withdraw": _("撤回纠纷"),
        }, values={"order.status": Order.Status, "payment.confirm": Payment.Status, "payment.reject": Payment.Status,
                   "refund.request": Refund.Status, "refund.approve": Refund.Status, "refund.reject": Refund.Status,
                   "refund.withdraw": Refund.Status, "refund.return_shipped": Refund.Status,
                   "refund.return_received": Refund.Status, "refund.payout": Refund.Status,
                   "dispute.decide": Dispute.Status, "dispute.refer": Dispute.Status})
