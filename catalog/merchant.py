"""Merchant back end (商户后台): the seller's listings, their review, images and stock. Thin:
a form in, one service call, render or redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import member_page
from accounts.selectors import membership_of
from catalog import selectors, services
from catalog.forms import ImageUploadForm, ListingForm, ReasonForm, ReservationForm, StockMovementForm
from catalog.models import Category, Product
from core.errors import BusinessRuleError
from core.flash import run_and_report
from core.permissions import CompanyPermission
from core.selectors import audit_events_for
from orders import selectors as order_selectors

products_page = member_page(permission=CompanyPermission.PRODUCTS)


@login_required
def merchant_home(request):
    membership = membership_of(request.user)
    company = membership.company if membership else None
    context = {"company": company, "membership": membership}
    if company is not None:
        context["products"] = Paginator(selectors.products_of_seller(company), 20).get_page(request.GET.get("page"))
        context["product_counts"] = selectors.seller_products_by_status(company)
        context["sales"] = order_selectors.sales_summary(seller=company)
        context["recent_sales"] = order_selectors.orders_for_seller(seller=company)[:10]
    return render(request, "merchant/home.html", context)


def _company(request):
    return request.user.membership.company


def _apply_errors(form, error):
    """Show a service's refusal on the form: under the fields it names, else at the top."""
    placed = False
    for name, message in (error.details or {}).items():
        field = name
        if name.startswith("attributes."):
            attribute = name.split(".", 1)[1]
            field = next((f"attr_{d.pk}" for d in getattr(form, "attribute_definitions", []) if d.name == attribute),
                         "extra_attributes")
        if field in form.fields:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


@products_page
def product_list(request):
    company = _company(request)
    status = request.GET.get("status", "")
    products = selectors.products_of_seller(company, statuses=[status] if status in Product.Status.values else None)
    text = request.GET.get("q", "").strip()
    if text:
        products = products.filter(title__icontains=text)
    return render(request, "merchant/products.html", {
        "page": Paginator(products, 20).get_page(request.GET.get("page")), "status": status, "q": text,
        "statuses": Product.Status.choices, "counts": selectors.seller_products_by_status(company),
    })


def _save_listing(request, *, product=None):
    revision = selectors.pending_revision(product) if product else None
    source = revision or product
    if request.method == "POST":
        form = ListingForm(request.POST, category=getattr(source, "category", None))
        if form.is_valid():
            try:
                if product is None:
                    product = services.create_listing(by=request.user, data=form.listing_data(),
                                                      submit="submit" in request.POST)
                    messages.success(request, _("商品已提交审核。") if product.status == Product.Status.PENDING_REVIEW
                                     else _("商品已保存为草稿。"))
                else:
                    product = services.update_listing(by=request.user, product_id=product.pk,
                                                      data=form.listing_data())
                    if product.status == Product.Status.PUBLISHED and selectors.pending_revision(product):
                        messages.info(request, _(
                            "价格和数量已生效；标题、描述、类目和属性的修改已提交审核，审核通过前商城仍显示原内容。"))
                    else:
                        messages.success(request, _("商品已保存。"))
                return redirect("merchant:product", product.pk)
            except BusinessRuleError as error:
                _apply_errors(form, error)
    else:
        initial = ListingForm.initial_for(product, revision) if product else {"unit": Product.Unit.TON,
                                                                               "min_order_quantity": 1}
        category = source.category if source else None
        if product is None and request.GET.get("category", "").isdigit():
            category = Category.objects.filter(pk=request.GET["category"]).first()
            initial["category"] = getattr(category, "pk", None)
        form = ListingForm(initial=initial, category=category)
    return render(request, "merchant/product_form.html", {"form": form, "product": product, "revision": revision})


@products_page
def product_create(request):
    return _save_listing(request)


def _own(request, product_id):
    product = selectors.seller_product(_company(request), product_id)
    if product is None:
        raise Http404
    return product


@products_page
def product_edit(request, product_id):
    return _save_listing(request, product=_own(request, product_id))


@products_page
def attribute_fields(request):
    """htmx: the attribute fields of the category just chosen on the listing form."""
    category = Category.objects.filter(pk=request.GET.get("category") or 0).first()
    form = ListingForm(category=category)
    return render(request, "merchant/includes/attribute_fields.html", {"form": form})


@products_page
def product_detail(request, product_id):
    product = _own(request, product_id)
    return render(request, "merchant/product_detail.html", {
        "product": product, "revision": selectors.pending_revision(product),
        "image_form": ImageUploadForm(), "history": audit_events_for(product)[:50],
        "reason_form": ReasonForm(),
    })


@require_POST
@products_page
def product_submit(request, product_id):
    product = _own(request, product_id)
    run_and_report(request, lambda: services.submit_listing(by=request.user, product_id=product.pk),
                   _("已提交审核，审核员通常在 1 个工作日内处理。"))
    return redirect("merchant:product", product.pk)


@require_POST
@products_page
def product_unlist(request, product_id):
    product = _own(request, product_id)
    run_and_report(request, lambda: services.unlist_listing(by=request.user, product_id=product.pk), _("商品已下架。"))
    return redirect("merchant:product", product.pk)


@require_POST
@products_page
def revision_withdraw(request, product_id):
    product = _own(request, product_id)
    run_and_report(request, lambda: services.withdraw_revision(by=request.user, product_id=product.pk),
                   _("待审核的修改已撤回。"))
    return redirect("merchant:product", product.pk)


@require_POST
@products_page
def image_add(request, product_id):
    product = _own(request, product_id)
    form = ImageUploadForm(request.POST, request.FILES)
    if form.is_valid():
        run_and_report(request, lambda: services.add_image(by=request.user, product_id=product.pk,
                                                           upload=form.cleaned_data["image"]), _("图片已上传。"))
    else:
        messages.error(request, " ".join(form.errors.get("image", [])) or _("请选择图片文件。"))
    return redirect("merchant:product", product.pk)


@require_POST
@products_page
def image_remove(request, product_id, image_id):
    product = _own(request, product_id)
    if not product.images.filter(pk=image_id).exists():
        raise Http404
    run_and_report(request, lambda: services.remove_image(by=request.user, image_id=image_id), _("图片已删除。"))
    return redirect("merchant:product", product.pk)


# --- stock ----------------------------------------------------------------------------------------

@products_page
def product_stock(request, product_id):
    product = _own(request, product_id)
    movement_form = StockMovementForm(prefix="move")
    reservation_form = ReservationForm(prefix="reserve", seller=product.seller)
    if request.method == "POST" and "move-kind" in request.POST:
        movement_form = StockMovementForm(request.POST, prefix="move")
        if movement_form.is_valid():
            data = movement_form.cleaned_data
            try:
                if data["kind"] == "in":
                    services.receive_stock(by=request.user, product_id=product.pk, quantity=data["quantity"],
                                           reason=data["reason"], reference=data["reference"])
                elif data["kind"] == "out":
                    services.issue_stock(by=request.user, product_id=product.pk, quantity=data["quantity"],
                                         reason=data["reason"], reference=data["reference"])
                else:
                    services.adjust_stock(by=request.user, product_id=product.pk, counted=data["quantity"],
                                          reason=data["reason"])
            except BusinessRuleError as error:
                _apply_errors(movement_form, error)
            else:
                messages.success(request, _("库存已更新。"))
                return redirect("merchant:product-stock", product.pk)
    elif request.method == "POST":
        reservation_form = ReservationForm(request.POST, prefix="reserve", seller=product.seller)
        if reservation_form.is_valid():
            data = reservation_form.cleaned_data
            try:
                services.reserve_for_client(by=request.user, product_id=product.pk, holder=data["holder"],
                                            quantity=data["quantity"], expires_at=data["expires_at"],
                                            note=data["note"])
            except BusinessRuleError as error:
                _apply_errors(reservation_form, error)
            else:
                messages.success(request, _("库存已预留。"))
                return redirect("merchant:product-stock", product.pk)
    product.refresh_from_db()
    return render(request, "merchant/product_stock.html", {
        "product": product, "movement_form": movement_form, "reservation_form": reservation_form,
        "movements": Paginator(selectors.stock_movements(product), 30).get_page(request.GET.get("page")),
        "reservations": selectors.active_reservations(product), "release_form": ReasonForm(),
    })


@require_POST
@products_page
def reservation_release(request, product_id, reservation_id):
    product = _own(request, product_id)
    if not product.reservations.filter(pk=reservation_id).exists():
        raise Http404
    run_and_report(request, lambda: services.release_own_reservation(by=request.user, reservation_id=reservation_id,
                                                                     reason=request.POST.get("reason", "")),
                   _("预留已释放。"))
    return redirect("merchant:product-stock", product.pk)
