"""Buying in the member centre: the cart and checkout, purchase orders (采购订单) with their
messages, the seller's proposed changes and cancellation, and the main account's approval of
sub-accounts' orders. Sales orders live in the merchant back end (orders.merchant). Thin: a form
in, one service call, render or redirect."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.access import member_page
from accounts.forms import PurchaseLimitForm
from core.errors import BusinessRuleError
from core.permissions import CompanyPermission
from core.selectors import audit_events_for
from crm.credit import credit_position
from orders import selectors, services
from orders.forms import CartQuantityForm, CheckoutForm, MessageForm, OptionalReasonForm, OrderFilterForm, ReasonForm
from orders.models import Order, OrderAdjustment

purchasing_page = member_page(permission=CompanyPermission.PURCHASING)
# Finance sub-accounts pay for orders and request invoices, so they read purchase orders too.
purchase_records_page = member_page(permission=(CompanyPermission.PURCHASING, CompanyPermission.FINANCE))


def order_detail_context(*, order, side, membership, user):
    """What every order detail page (buyer, seller, staff) shows."""
    return {
        "order": order, "side": side, "membership": membership, "user": user,
        "history": audit_events_for(order)[:100],
        "open_adjustment": selectors.open_adjustment(order),
        "message_form": MessageForm(), "reason_form": ReasonForm(),
        "cancellable": services.may_cancel(order, side),
    }


def show_error(request, error):
    messages.error(request, error.message)


def _company(request):
    return request.user.membership.company


def _purchase(request, number):
    return get_object_or_404(selectors.orders_for_company(company=_company(request), side="buyer"), number=number)


def _back(number):
    return redirect("member-orders:detail", number)


# --- purchase orders ------------------------------------------------------------------------------

@purchase_records_page
def order_list(request):
    company = _company(request)
    form = OrderFilterForm(request.GET or None)
    filters = form.filters()
    return render(request, "member/orders.html", {
        "page": Paginator(selectors.buyer_orders(company=company, **filters), 20).get_page(request.GET.get("page")),
        "company": company, "status": filters["status"], "status_choices": Order.Status.choices, "form": form,
        "filtered": any(filters.values()),
        "approvals": selectors.awaiting_approval(company=company).count() if request.user.membership.is_main else 0,
    })


@purchase_records_page
def order_detail(request, number):
    company = _company(request)
    order = get_object_or_404(selectors.order_page(selectors.orders_for_company(company=company, side="buyer")),
                              number=number)
    context = order_detail_context(order=order, side="buyer", membership=request.user.membership, user=request.user)
    context["company"] = company
    return render(request, "member/order_detail.html", context)


def post_message_from_page(request, order, back):
    """The message form of either side's order page: post it, say how it went, go back."""
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写留言内容（不超过 2000 字）。"))
        return back
    try:
        services.post_order_message(by=request.user, order_id=order.pk, body=form.cleaned_data["body"])
        messages.success(request, _("留言已发送。"))
    except BusinessRuleError as error:
        show_error(request, error)
    return back


def cancel_from_page(request, order, back):
    """The cancel form of either side's order page (a reason is required)."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写取消原因（不超过 300 字）。"))
        return back
    try:
        services.cancel_order(by=request.user, order_id=order.pk, reason=form.cleaned_data["reason"])
        messages.success(request, _("订单已取消，预留库存已释放。"))
    except BusinessRuleError as error:
        show_error(request, error)
    return back


@purchasing_page
@require_POST
def message_post(request, number):
    return post_message_from_page(request, _purchase(request, number), _back(number))


@purchasing_page
@require_POST
def cancel(request, number):
    return cancel_from_page(request, _purchase(request, number), _back(number))


def _adjustment_of(order, adjustment_id):
    return get_object_or_404(OrderAdjustment, pk=adjustment_id, order=order)


@purchasing_page
@require_POST
def adjustment_accept(request, number, adjustment_id):
    order = _purchase(request, number)
    try:
        services.accept_adjustment(by=request.user, adjustment_id=_adjustment_of(order, adjustment_id).pk)
        messages.success(request, _("已确认调整，订单金额已更新。"))
    except BusinessRuleError as error:
        show_error(request, error)
    return _back(number)


@purchasing_page
@require_POST
def adjustment_decline(request, number, adjustment_id):
    order = _purchase(request, number)
    form = OptionalReasonForm(request.POST)
    form.is_valid()
    try:
        services.decline_adjustment(by=request.user, adjustment_id=_adjustment_of(order, adjustment_id).pk,
                                    reason=form.cleaned_data.get("reason", ""))
        messages.success(request, _("已拒绝调整，订单保持不变。"))
    except BusinessRuleError as error:
        show_error(request, error)
    return _back(number)


# --- the main account's approval ------------------------------------------------------------------

main_page = member_page(main_only=True)


@main_page
def approvals(request):
    company = _company(request)
    return render(request, "member/order_approvals.html", {
        "orders": selectors.awaiting_approval(company=company), "company": company, "reason_form": ReasonForm(),
    })


def _after_approval(request):
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/member/") else reverse("member-orders:approvals"))


@main_page
@require_POST
def approve(request, number):
    order = _purchase(request, number)
    try:
        services.approve_order(by=request.user, order_id=order.pk)
        messages.success(request, _("订单 %(number)s 已审批通过，已发给卖家。") % {"number": number})
    except BusinessRuleError as error:
        show_error(request, error)
    return _after_approval(request)


@main_page
@require_POST
def reject(request, number):
    order = _purchase(request, number)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写不通过的原因。"))
        return _after_approval(request)
    try:
        services.reject_order(by=request.user, order_id=order.pk, reason=form.cleaned_data["reason"])
        messages.success(request, _("订单 %(number)s 未通过审批，已取消。") % {"number": number})
    except BusinessRuleError as error:
        show_error(request, error)
    return _after_approval(request)


@main_page
@require_POST
def approval_limit(request, membership_id):
    form = PurchaseLimitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的金额（不小于 0），或留空表示无需审批。"))
    else:
        try:
            account_services.set_purchase_approval_limit(
                by=request.user, membership_id=membership_id, limit=form.cleaned_data["purchase_approval_limit"])
            messages.success(request, _("采购审批限额已保存。"))
        except BusinessRuleError as error:
            show_error(request, error)
    return redirect("member:sub-account", membership_id=membership_id)


# --- cart and checkout ----------------------------------------------------------------------------

@purchasing_page
def cart(request):
    groups = selectors.cart_for(user=request.user)
    return render(request, "member/cart.html", {
        "groups": groups, "checkout_form": CheckoutForm(),
        "credit": credit_position(request.user.membership.company),
        "total": sum((group["subtotal"] for group in groups), 0),
        "ready": bool(groups) and not any(line["problem"] for group in groups for line in group["items"]),
    })


@purchasing_page
@require_POST
def cart_add(request, product_id):
    form = CartQuantityForm(request.POST)
    back = reverse("storefront:product", args=[product_id])
    if not form.is_valid():
        messages.error(request, _("请填写有效的数量。"))
        return redirect(back)
    try:
        item = services.add_to_cart(by=request.user, product_id=product_id, quantity=form.cleaned_data["quantity"])
        messages.success(request, _("已加入购物车：%(title)s。") % {"title": item.product.title})
    except BusinessRuleError as error:
        show_error(request, error)
        return redirect(back)
    return redirect("cart:view")


@purchasing_page
@require_POST
def cart_update(request, item_id):
    form = CartQuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的数量。"))
        return redirect("cart:view")
    try:
        services.update_cart_item(by=request.user, item_id=item_id, quantity=form.cleaned_data["quantity"])
        messages.success(request, _("数量已更新。"))
    except BusinessRuleError as error:
        show_error(request, error)
    return redirect("cart:view")


@purchasing_page
@require_POST
def cart_remove(request, item_id):
    try:
        services.remove_cart_item(by=request.user, item_id=item_id)
        messages.success(request, _("已从购物车移除。"))
    except BusinessRuleError as error:
        show_error(request, error)
    return redirect("cart:view")


@purchasing_page
@require_POST
def checkout(request):
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("cart:view")
    try:
        method = form.cleaned_data["payment_method"] or Order.PaymentMethod.TRANSFER
        orders = services.place_orders(by=request.user, buyer_note=form.cleaned_data["buyer_note"],
                                       payment_method=method)
    except BusinessRuleError as error:
        show_error(request, error)
        return redirect("cart:view")
    waiting = [order for order in orders if order.status == Order.Status.AWAITING_APPROVAL]
    messages.success(request, _("已生成 %(count)s 个订单：%(numbers)s。") % {
        "count": len(orders), "numbers": "、".join(order.number for order in orders)})
    if waiting:
        messages.info(request, _("%(count)s 个订单超过您的采购审批限额，需主账号审批后才会发给卖家。") % {
            "count": len(waiting)})
    if len(orders) == 1:
        return redirect("member-orders:detail", orders[0].number)
    return redirect("member-orders:list")


member_urlpatterns = [
    path("", order_list, name="list"),
    path("approvals/", approvals, name="approvals"),
    path("approval-limits/<int:membership_id>/", approval_limit, name="buying-approval-limit"),
    path("<str:number>/", order_detail, name="detail"),
    path("<str:number>/messages/", message_post, name="buying-message"),
    path("<str:number>/cancel/", cancel, name="buying-cancel"),
    path("<str:number>/approve/", approve, name="buying-approve"),
    path("<str:number>/reject/", reject, name="buying-reject"),
    path("<str:number>/adjustments/<int:adjustment_id>/accept/", adjustment_accept, name="buying-adjustment-accept"),
    path("<str:number>/adjustments/<int:adjustment_id>/decline/", adjustment_decline,
         name="buying-adjustment-decline"),
]

cart_urlpatterns = [
    path("", cart, name="view"),
    path("add/<int:product_id>/", cart_add, name="add"),
    path("items/<int:item_id>/", cart_update, name="update"),
    path("items/<int:item_id>/remove/", cart_remove, name="remove"),
    path("checkout/", checkout, name="checkout"),
]
