"""Orders in the staff back office: search, the full view of one order (any staff role) and the
order timings (administrators and finance)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from core.errors import BusinessRuleError
from core.permissions import StaffRole, has_staff_role, staff_required
from orders import selectors, services
from orders.forms import OrderSettingsForm, StaffOrderFilterForm
from orders.models import Order
from orders.views import order_detail_context


@staff_required()
def order_list(request):
    form = StaffOrderFilterForm(request.GET or None)
    filters = form.filters()
    return render(request, "backoffice/orders/list.html", {
        "page": Paginator(selectors.staff_orders(**filters), 30).get_page(request.GET.get("page")),
        "form": form, "filtered": any(filters.values()),
        "can_edit_settings": has_staff_role(request.user, StaffRole.ADMINISTRATOR, StaffRole.FINANCE),
    })


@staff_required()
def order_detail(request, number):
    order = get_object_or_404(selectors.order_page(Order.objects.select_related("buyer", "seller")), number=number)
    return render(request, "backoffice/orders/detail.html",
                  order_detail_context(order=order, side="staff", membership=None, user=request.user))


@staff_required(StaffRole.ADMINISTRATOR, StaffRole.FINANCE)
def order_settings(request):
    current = selectors.order_settings()
    form = OrderSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_order_settings(by=request.user, **form.cleaned_data)
        except BusinessRuleError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("订单设置已保存。"))
            return redirect("backoffice-orders:settings")
    return render(request, "backoffice/orders/settings.html", {"form": form, "current": current})


backoffice_urlpatterns = [
    path("", order_list, name="list"),
    path("settings/", order_settings, name="settings"),
    path("<str:number>/", order_detail, name="detail"),
]
