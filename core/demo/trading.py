"""Live trading in the demo world (the data is in core/demo/world.py): orders in every state for the
demo buyer, major clients with their managers, credit lines, an application waiting for finance,
overdue receivables, reorder reminders and volume alerts.

Everything goes through the services the pages use, as the people who would do it (the buyer's
purchasing sub-account and finance, the seller's sales, platform finance and customer service), so
every rule holds. Safe to run again: an order is found by the marker at the start of its buyer's
note, everything else by its natural key, and a step already done is not done again. Each step is
all or nothing: one a long-lived development database no longer allows (a company frozen, stock
sold) is skipped and named, and the rest of the world still loads.

Dates are what the services make them (now), with two exceptions, each marked where it happens:
a shipment is dated back after the seller shipped it, so the carrier simulator (which derives a
waybill's route from its hand-over time) has tracking to report; and the overdue client's
receivables are dated back after `reserve_credit` issued them, so that they are overdue.
"""

from contextlib import contextmanager
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from catalog import services as catalog_services
from catalog.models import Product
from core.demo import world
from core.errors import BusinessRuleError
from crm import alerts, credit, managers, reminders, tiers
from crm.models import (
    ClientNote,
    ClientProfile,
    Collection,
    CreditApplication,
    CreditLine,
    CreditScore,
    ManagerRole,
    Receivable,
    Tier,
    TierReview,
    Visit,
)
from orders import disputes, invoices, payments, refunds, shipping
from orders import services as order_services
from orders.models import Dispute, Order, OrderLine, Shipment
from orders.selectors import order_settings

S = Order.Status
SF = Shipment.Carrier.SF
# How long ago the seller handed each order's goods to SF. The simulator's routes take 1–4 days:
# the shipped order is most likely still on its way, the others have surely arrived.
IN_TRANSIT = timedelta(hours=36)
ARRIVED = timedelta(days=4, hours=2)
# The status each scenario leaves its order in.
FINAL_STATUS = {
    "awaiting_approval": S.AWAITING_APPROVAL, "pending_payment": S.PENDING_PAYMENT,
    "transfer_recorded": S.PENDING_PAYMENT, "transfer_mismatch": S.PENDING_PAYMENT, "paid": S.PAID,
    "shipped": S.SHIPPED, "completed": S.COMPLETED, "received": S.RECEIVED, "cancelled": S.CANCELLED,
    "refund_requested": S.REFUND_REQUESTED, "refund_approved": S.REFUND_REQUESTED,
    "return_shipped": S.REFUND_REQUESTED, "dispute_mediation": S.IN_DISPUTE, "on_account": S.PAID,
}


class Refused(Exception):
    """A demo step cannot be done as designed in this database (it is skipped and named)."""


class NoStock(Refused):
    """No listing of the seller has stock for a demo order (a long-lived database sold it)."""


def marker(number):
    return f"演示订单 #{number}："


def demo_order(buyer, number):
    """The demo order `number` of `buyer`, or None when it was not made yet."""
    return Order.objects.filter(buyer=buyer, buyer_note__startswith=marker(number)).first()


def member(slug, local="main"):
    return User.objects.select_related("membership__company").get(email=f"{local}@{slug}.example.cn")


def stocked_product(slug, category, quantity, *, reason):
    """The seller's first listing in `category` (a slug) in world.PRODUCTS, with stock for
    `quantity`: what is missing is first received into its stock (入库, `reason`), as the seller
    would before offering the goods."""
    seller = member(slug)
    title = next(title for listed, title, *_rest in world.PRODUCTS[slug] if listed == category)
    product = Product.objects.get(seller=seller.membership.company, title=title)
    if product.status != Product.Status.PUBLISHED:
        raise Refused(f"{product} is not on sale")
    missing = Decimal(quantity) - product.stock_available
    if missing > 0:
        catalog_services.receive_stock(by=seller, product_id=product.pk, quantity=missing, reason=reason)
        product.refresh_from_db()
    return product


class DemoTrading:
    def __init__(self, demo):
        self.demo = demo
        self.companies = demo.companies
        staff = {user.email.split("@")[0]: user for user in demo.staff}
        self.admin, self.finance, self.service, self.manager = (
            staff["admin"], staff["finance"], staff["service"], staff["manager"])
        self.placed = 0

    def build(self):
        """Returns the number of orders placed."""
        with self.step("major clients"):
            self.build_major_clients()
        for slug, requested, term, purpose in world.CREDIT_LINE_APPLICATIONS:
            with self.step(f"credit line of {slug}"):
                self.credit_line(slug, requested, term, purpose)
        with self.step("pending credit application"):
            self.pending_application(*world.PENDING_CREDIT_APPLICATION)
        with self.step("overdue receivables"):
            self.overdue_receivables()
        for number, seller, state, amount, note in world.LIVE_ORDERS:
            with self.step(f"demo order #{number} ({state})"):
                self.live_order(number, seller, state, Decimal(amount), note)
        return self.placed

    @contextmanager
    def step(self, label):
        """All of a step or none of it; a step the rules refuse is named and skipped."""
        try:
            with transaction.atomic():
                yield
        except (BusinessRuleError, Refused) as refusal:
            self.demo.say(f"demo world: skipped {label}: {refusal}")

    # --- major clients -------------------------------------------------------------------------

    def build_major_clients(self):
        """Tiers from the year of history, managers for the Diamond and Platinum clients, this
        quarter's review tasks, a visit and a note for the demo buyer, and everyone's credit score
        (the tier decides who may apply for credit, so this comes first)."""
        if not TierReview.objects.exists():
            tiers.review_tiers(by=self.admin)
        top = ClientProfile.objects.filter(tier__in=[Tier.DIAMOND, Tier.PLATINUM]).order_by("company_id")
        for profile in top:
            if profile.primary_manager_id is None:
                managers.assign_manager(by=self.admin, company_id=profile.company_id, role=ManagerRole.PRIMARY,
                                        manager_id=self.manager.pk, notes="大客户，由客户经理赵敏负责日常对接。")
            if profile.chief_manager_id is None:  # Platinum and above have a chief manager
                managers.assign_manager(by=self.admin, company_id=profile.company_id, role=ManagerRole.CHIEF,
                                        manager_id=self.admin.pk, notes="铂金及以上客户配备首席客户经理。")
        managers.create_quarterly_review_tasks()
        buyer = self.companies[world.DEMO_BUYER]
        summary = ("拜访东方包装陈总，了解下半年烟包、药盒订单预测：白卡纸月用量预计增长约20%，"
                   "希望锁定鲁丰250g白卡纸年度价格，并希望开通60天账期。")
        if not Visit.objects.filter(company=buyer, summary=summary).exists():
            managers.record_visit(by=self.manager, company_id=buyer.pk, kind=Visit.Kind.VISIT,
                                  occurred_on=timezone.localdate() - timedelta(days=12), summary=summary,
                                  attendees="陈德明（总经理）、郑红（财务）、赵敏（客户经理）",
                                  next_steps="协调鲁丰纸业报年度框架价；指导客户在线提交账期申请。")
        note = "客户对交期敏感，旺季（9–12月）需提前两周备货；付款一向及时。"
        if not ClientNote.objects.filter(company=buyer, body=note).exists():
            managers.add_client_note(by=self.manager, company_id=buyer.pk, body=note)
        if not CreditScore.objects.exists():
            credit.score_companies()

    # --- credit --------------------------------------------------------------------------------

    def credit_line(self, slug, requested, term, purpose):
        """The client applies and platform finance grants what was asked, within the scorecard's
        recommended range (an administrator, saying why, when the card recommends no credit)."""
        if CreditLine.objects.filter(company=self.companies[slug]).exists():
            return
        application = credit.submit_credit_application(by=member(slug), requested_limit=requested, term_days=term,
                                                       purpose=purpose)
        low, high = application.score.recommended_limit_min, application.score.recommended_limit_max
        if high > 0:
            credit.approve_credit_application(by=self.finance, application_id=application.pk,
                                              limit=min(max(Decimal(requested), low), high), term_days=term,
                                              note="评分与采购记录良好，按建议范围批准。")
        else:
            credit.approve_credit_application(by=self.admin, application_id=application.pk, limit=requested,
                                              term_days=term, note="多年合作无逾期，管理员特批。")

    def pending_application(self, slug, requested, term, purpose):
        if not CreditApplication.objects.filter(company=self.companies[slug]).exists():
            credit.submit_credit_application(by=member(slug), requested_limit=requested, term_days=term,
                                             purpose=purpose)

    def overdue_receivables(self):
        """The Gold client's on-account orders, overdue; part of one is paid; the daily hold job
        then stops its line, as it would."""
        client = self.companies[world.OVERDUE_CLIENT]
        orders = []
        for number, seller, amount, days_overdue, note in world.OVERDUE_ORDERS:
            order = demo_order(client, number)
            if order is None:
                order = self.place(world.OVERDUE_CLIENT, "main", number, seller, Decimal(amount), note,
                                   payment_method=Order.PaymentMethod.ON_ACCOUNT)
                receivable = Receivable.objects.get(order=order)
                # The one date set directly in the credit demo: reserve_credit issued the
                # receivable today, due after the line's term. Move both dates back so it is
                # `days_overdue` days overdue: the ageing report and the overdue queue need a past
                # no service can make.
                due_on = timezone.localdate() - timedelta(days=days_overdue)
                Receivable.objects.filter(pk=receivable.pk).update(
                    due_on=due_on, issued_on=due_on - (receivable.due_on - receivable.issued_on))
            orders.append(order)
        document = "HD-JH-0001"
        if not Collection.objects.filter(company=client, document_number=document).exists():
            credit.record_collection(by=self.finance, company_id=client.pk, received_on=timezone.localdate(),
                                     document_number=document, amount="10000.00",
                                     receiving_bank="中国工商银行上海分行营业部", order_id=orders[0].pk,
                                     note="客户先付部分货款，余款承诺月底前结清。")
        credit.apply_credit_holds()

    # --- live orders ---------------------------------------------------------------------------

    def product_for(self, seller_slug, buyer_slug, number, amount):
        """A published product of the seller, in a category the buyer usually buys when the seller
        has one, with stock for about `amount` (whole units, at least the minimum order); the
        choice rotates with the order number."""
        basket = world.BUYER_BASKETS.get(buyer_slug, [])
        products = list(Product.objects.filter(seller=self.companies[seller_slug], status=Product.Status.PUBLISHED)
                        .select_related("category").order_by("id"))
        preferred = [product for product in products if product.category.slug in basket] or products
        for offset in range(len(preferred)):
            product = preferred[(number + offset) % len(preferred)]
            quantity = max((amount / product.price).quantize(Decimal("1"), rounding=ROUND_CEILING),
                           product.min_order_quantity)
            if product.stock_available >= quantity:
                return product, quantity
        raise NoStock(f"{seller_slug} has no listing with stock for about {amount} CNY")

    def place(self, buyer_slug, local, number, seller_slug, amount, note, payment_method=Order.PaymentMethod.TRANSFER):
        product, quantity = self.product_for(seller_slug, buyer_slug, number, amount)
        [order] = order_services.place_orders(by=member(buyer_slug, local), items=[(product.pk, quantity)],
                                              buyer_note=f"{marker(number)}{note}", payment_method=payment_method)
        self.placed += 1
        return order

    def live_order(self, number, seller_slug, state, amount, note):
        buyer = world.DEMO_BUYER
        if demo_order(self.companies[buyer], number) is not None:
            return
        main, purchaser = member(buyer), member(buyer, "buyer")
        seller = member(seller_slug, "sales" if seller_slug == "lufeng-paper" else "main")
        if state == "awaiting_approval":
            if purchaser.membership.purchase_approval_limit is None:
                account_services.set_purchase_approval_limit(by=main, membership_id=purchaser.membership.pk,
                                                             limit=world.DEMO_PURCHASE_APPROVAL_LIMIT)
            self.place(buyer, "buyer", number, seller_slug, amount, note)
            return
        if state == "on_account":
            self.place(buyer, "main", number, seller_slug, amount, note, payment_method=Order.PaymentMethod.ON_ACCOUNT)
            return
        order = self.place(buyer, "main", number, seller_slug, amount, note)
        if state == "pending_payment":
            line = OrderLine.objects.get(order=order)
            order_services.propose_adjustment(by=seller, order_id=order.pk, lines={
                line.pk: {"unit_price": line.unit_price - 50}}, note="老客户优惠，每吨让利50元。")
        elif state == "cancelled":
            order_services.cancel_order(by=main, order_id=order.pk, reason="采购计划调整，改为下月统一采购。")
        elif state == "transfer_recorded":
            self.record_transfer(order)
        elif state == "transfer_mismatch":
            self.record_transfer(order, payer_name="上海东方实业集团有限公司")
        else:
            payment = self.record_transfer(order)
            payments.confirm_payment(by=self.finance, payment_id=payment.pk, note="已核对工行到账流水。")
            self.after_payment(order, state, main=main, purchaser=purchaser, seller=seller)

    def record_transfer(self, order, payer_name=None):
        today = timezone.localdate()
        return payments.record_transfer(
            by=member(world.DEMO_BUYER, "finance"), order_id=order.pk, amount=order.total,
            payer_name=payer_name or order.buyer.name, payer_account=order.buyer.bank_account,
            bank_reference=f"ICBC{today:%Y%m%d}{order.pk:08d}", transferred_on=today)

    def after_payment(self, order, state, *, main, purchaser, seller):
        if state == "paid":
            return
        if state == "refund_requested":
            refunds.request_refund(by=purchaser, order_id=order.pk,
                                   reason="终端客户取消了本批烟包订单，该批白卡纸暂不需要，申请全额退款。")
            return
        if state == "refund_approved":
            refund = refunds.request_refund(by=purchaser, order_id=order.pk,
                                            reason="打样方案变更，铜版纸规格不再适用，申请退款。")
            refunds.approve_refund(by=seller, refund_id=refund.pk)
            return
        shipment = self.ship(order, seller, IN_TRANSIT if state == "shipped" else ARRIVED)
        if state == "shipped":
            order_services.post_order_message(by=seller, order_id=order.pk,
                                              body=f"已发顺丰，运单号 {shipment.waybill_number}，预计两天内到货。")
        elif state == "return_shipped":
            refund = refunds.request_refund(by=purchaser, order_id=order.pk,
                                            reason="到货后发现两个卷筒外包装破损、纸面受潮起皱，无法上机，申请退货退款。")
            refunds.approve_refund(by=seller, refund_id=refund.pk)
            refund = refunds.ship_return(by=purchaser, refund_id=refund.pk, carrier=SF, waybill_number="")
            shipping.refresh_tracking(shipment_id=refund.return_shipment_id)
        elif state == "completed":
            shipping.confirm_receipt(by=purchaser, order_id=order.pk)
            # The after-sale job, asked as it will run once the period is over: it completes what
            # was signed for by then, this order (the later demo orders are signed for after it).
            shipping.complete_received_orders(
                now=timezone.now() + timedelta(days=order_settings().complete_after_days, minutes=1))
            invoice = self.request_invoice(order)
            number = f"2631{order.pk:016d}"  # a fully digital invoice (数电票) number
            invoices.issue_invoice(by=self.finance, invoice_id=invoice.pk, invoice_number=number,
                                   invoice_file=self.demo.pdf("增值税专用发票（演示）", [
                                       f"发票号码：{number}", f"购买方：{invoice.title}",
                                       f"纳税人识别号：{invoice.tax_number}", f"销售方：{order.seller.name}",
                                       f"价税合计：¥{invoice.amount}", f"对应订单：{order.number}"],
                                       name=f"{number}.pdf"))
        elif state == "received":
            shipping.confirm_receipt(by=purchaser, order_id=order.pk)
            self.request_invoice(order)
        elif state == "dispute_mediation":
            shipping.confirm_receipt(by=purchaser, order_id=order.pk)
            self.dispute(order, main)

    def ship(self, order, seller, ago):
        shipment = shipping.ship_order(by=seller, order_id=order.pk, carrier=SF)
        # Dated back (see the module docstring), then asked about: the simulator reports the
        # steps of the route whose time has come.
        handed_over = timezone.now() - ago
        Shipment.objects.filter(pk=shipment.pk).update(created_at=handed_over)
        Order.objects.filter(pk=order.pk).update(shipped_at=handed_over)
        shipping.refresh_tracking(shipment_id=shipment.pk)
        shipment.refresh_from_db()
        return shipment

    def request_invoice(self, order):
        details = invoices.invoice_details_from_company(order.buyer)
        details["bank_account"] = self.demo.bank_account(order.buyer)
        return invoices.request_invoice(by=member(world.DEMO_BUYER, "finance"), order_id=order.pk, **details)

    def dispute(self, order, by):
        """A quality claim with a test report: no rule decides quality, so customer service mediates."""
        report = self.demo.pdf("质量检测报告（演示）", [
            f"委托单位：{order.buyer.name}", f"订单号：{order.number}", "检测项目：挺度、平滑度、白度",
            "结论：挺度低于A级标准约12%，表面有明显斑点。"], name="质检报告.pdf")
        dispute = disputes.open_dispute(
            by=by, order_id=order.pk, kind=Dispute.Kind.QUALITY, evidence=[report],
            claimed_amount=(order.total * Decimal("0.3")).quantize(Decimal("0.01")),
            claim="到货白卡纸挺度明显不足，上机后模切爆线，约三成无法使用。附第三方质检报告，要求按不合格比例退款30%。")
        disputes.assign_mediator(by=self.service, dispute_id=dispute.pk)
        disputes.add_mediation_note(by=self.service, dispute_id=dispute.pk,
                                    body="已电话联系双方。卖家称出厂检验合格，同意派人到厂复检；买家同意保留现场样品。")

    # --- the daily jobs ------------------------------------------------------------------------

    def daily_jobs(self):
        """Run last, once every demo order is placed (barter and debt-for-goods orders too), so a
        second seed_demo finds nothing new to remind or alert about."""
        with self.step("daily jobs"):
            self.run_daily_jobs()

    def run_daily_jobs(self):
        """What the scheduler would have done by now: reorder reminders and volume alerts (each safe
        to run twice)."""
        reminders.compute_reminders()
        alerts.detect_volume_anomalies()
