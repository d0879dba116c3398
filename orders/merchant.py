"""Sales orders (销售订单) in the merchant back end: the list, one order with its messages, the
seller's proposed changes before payment and cancellation. Orders still waiting for the buyer's
internal approval are not the seller's to see. Thin: a form in, one service call, redirect."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import member_page
from core.errors import BusinessRuleError
from core.permissions import CompanyPermission
from orders import selectors, services
from orders.forms import AdjustmentForm, OrderFilterForm
from orders.models import Order, OrderAdjustment
from orders.views import cancel_from_page, order_detail_context, post_message_from_page, show_error

fulfilment_page = member_page(permission=CompanyPermission.FULFILMENT)


def _company(request):
    return request.user.membership.company


def _sale(request, number, queryset=None):
    orders = selectors.orders_for_company(company=_company(request), side="seller")
    return get_object_or_404(queryset(orders) if queryset else orders, number=number)


def _back(number):
    return redirect("merchant-orders:detail", number)


@fulfilment_page
def order_list(request):
    company = _company(request)
    form = OrderFilterForm(request.GET or None)
    form.fields["status"].choices = [choice for choice in form.fields["status"].choices
                                     if choice[0] != Order.Status.AWAITING_APPROVAL]
    filters = form.filters()
    return render(request, "merchant/orders.html", {
        "page": Paginator(selectors.seller_orders(company=company, **filters), 20).get_page(request.GET.get("page")),
        "company": company, "form": form, "filtered": any(filters.values()),
    })


def _render_detail(request, order, adjustment_form=None):
    context = order_detail_context(order=order, side="seller", membership=request.user.membership,
                                   user=request.user)
    if order.status == Order.Status.PENDING_PAYMENT and context["open_adjustment"] is None:
        context["adjustment_form"] = adjustment_form or AdjustmentForm(order=order)
    context["company"] = _company(request)
    return render(request, "merchant/order_detail.html", context, status=400 if adjustment_form else 200)


@fulfilment_page
def order_detail(request, number):
    return _render_detail(request, _sale(request, number, selectors.order_page))


@fulfilment_page
@require_POST
def message_post(request, number):
    return post_message_from_page(request, _sale(request, number), _back(number))


@fulfilment_page
@require_POST
def cancel(request, number):
    return cancel_from_page(request, _sale(request, number), _back(number))


@fulfilment_page
@require_POST
def adjustment_propose(request, number):
    order = _sale(request, number, selectors.order_page)
    form = AdjustmentForm(request.POST, order=order)
    if not form.is_valid():
        return _render_detail(request, order, adjustment_form=form)
    try:
        services.propose_adjustment(by=request.user, order_id=order.pk, lines=form.line_changes(),
                                    note=form.cleaned_data["note"])
    except BusinessRuleError as error:
        for name, message in error.details.items():
            if name in form.fields:
                form.add_error(name, message)
        form.add_error(None, error.message)
        return _render_detail(request, order, adjustment_form=form)
    messages.success(request, _("调整已提交，等待买家确认。"))
    return _back(number)


@fulfilment_page
@require_POST
def adjustment_withdraw(request, number, adjustment_id):
    order = _sale(request, number)
    adjustment = get_object_or_404(OrderAdjustment, pk=adjustment_id, order=order)
    try:
        services.withdraw_adjustment(by=request.user, adjustment_id=adjustment.pk)
        messages.success(request, _("调整已撤回。"))
    except BusinessRuleError as error:
        show_error(request, error)
    return _back(number)


merchant_urlpatterns = [
    path("", order_list, name="list"),
    path("<str:number>/", order_detail, name="detail"),
    path("<str:number>/messages/", message_post, name="buying-message"),
    path("<str:number>/cancel/", cancel, name="buying-cancel"),
    path("<str:number>/adjustments/", adjustment_propose, name="buying-adjustment-propose"),
    path("<str:number>/adjustments/<int:adjustment_id>/withdraw/", adjustment_withdraw,
         name="buying-adjustment-withdraw"),
]
