"""Member-centre order pages. The orders issue adds checkout, payment, shipping and refunds."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from accounts.selectors import company_of
from orders import selectors
from orders.models import Order


@login_required
def order_list(request):
    company = company_of(request.user)
    status = request.GET.get("status", "")
    orders = selectors.orders_for_company(company=company, status=status) if company else Order.objects.none()
    return render(request, "member/orders.html", {
        "page": Paginator(orders, 20).get_page(request.GET.get("page")),
        "company": company, "status": status, "status_choices": Order.Status.choices,
    })


@login_required
def order_detail(request, number):
    company = company_of(request.user)
    orders = selectors.orders_for_company(company=company) if company else Order.objects.none()
    order = get_object_or_404(orders.prefetch_related("lines"), number=number)
    return render(request, "member/order_detail.html", {"order": order, "company": company})
