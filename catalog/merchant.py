"""Merchant back end (商户后台) pages."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.selectors import membership_of
from catalog import selectors
from orders import selectors as order_selectors


@login_required
def merchant_home(request):
    membership = membership_of(request.user)
    company = membership.company if membership else None
    context = {"company": company, "membership": membership}
    if company is not None:
        context["products"] = Paginator(selectors.products_of_seller(company), 20).get_page(request.GET.get("page"))
        context["sales"] = order_selectors.sales_summary(seller=company)
        context["recent_sales"] = order_selectors.orders_for_seller(seller=company)[:10]
    return render(request, "merchant/home.html", context)
