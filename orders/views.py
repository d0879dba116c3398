"""Member-centre purchase orders (采购订单). The orders issue adds checkout, payment, shipping and
refunds; sales orders live in the merchant back end."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from accounts.access import member_page
from core.permissions import CompanyPermission
from orders import selectors
from orders.models import Order


@member_page(permission=CompanyPermission.PURCHASING)
def order_list(request):
    company = request.user.membership.company
    status = request.GET.get("status", "")
    return render(request, "member/orders.html", {
        "page": Paginator(selectors.orders_for_company(company=company, status=status, side="buyer"), 20).get_page(
            request.GET.get("page")),
        "company": company, "status": status, "status_choices": Order.Status.choices,
    })


@member_page(permission=CompanyPermission.PURCHASING)
def order_detail(request, number):
    company = request.user.membership.company
    order = get_object_or_404(selectors.orders_for_company(company=company, side="buyer").prefetch_related(
        "lines"), number=number)
    return render(request, "member/order_detail.html", {"order": order, "company": company})
