"""Staff pages on the catalogue: the content review queue, a listing's full history, category
management and storefront settings."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import selectors, services
from catalog.forms import CategoryAttributeForm, CategoryForm, PriceVisibilityForm, ReasonForm, ReviewDecisionForm
from catalog.models import Category, Product, ProductRevision
from core.errors import BusinessRuleError
from core.permissions import StaffRole, staff_required
from core.selectors import audit_events_for

REVIEWERS = services.REVIEWER_ROLES


@staff_required(*REVIEWERS)
def review_queue(request):
    return render(request, "backoffice/catalog/review_queue.html", {"items": selectors.review_queue()})


def _decide(request, form, decide, success_approve, success_reject):
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decide(approve, form.cleaned_data["reason"])
    except BusinessRuleError as error:
        form.add_error("reason" if "reason" in (error.details or {}) else None, error.message)
        return None
    messages.success(request, success_approve if approve else success_reject)
    return redirect("backoffice-catalog:reviews")


@staff_required()
def product_detail(request, product_id):
    """A listing as staff see it: content, pending revision, stock, and its full history. Reviewers
    decide pending items here."""
    product = selectors.any_listing(product_id)
    if product is None:
        raise Http404
    revision = selectors.pending_revision(product)
    form = ReviewDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if revision is not None and request.POST.get("target") == "revision":
            response = _decide(request, form, lambda approve, reason: services.review_revision(
                reviewer=request.user, revision_id=revision.pk, approve=approve, reason=reason),
                _("修改已通过，商城已显示新内容。"), _("修改已驳回，卖家会收到通知。"))
        else:
            response = _decide(request, form, lambda approve, reason: services.review_listing(
                reviewer=request.user, product_id=product.pk, approve=approve, reason=reason),
                _("商品已通过审核并上架。"), _("商品已驳回，卖家会收到通知。"))
        if response is not None:
            return response
    return render(request, "backoffice/catalog/product_detail.html", {
        "product": product, "revision": revision, "form": form, "unlist_form": ReasonForm(),
        "removed_images": [image for image in product.images.all()
                           if revision and image.pk in revision.removed_image_ids],
        "history": audit_events_for(product)[:100],
        "revisions": ProductRevision.objects.filter(product=product).exclude(status="pending")
        .select_related("reviewed_by", "created_by")[:20],
    })


@require_POST
@staff_required(*REVIEWERS)
def product_unlist(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    try:
        services.unlist_listing(by=request.user, product_id=product.pk, reason=request.POST.get("reason", ""))
    except BusinessRuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("商品已下架，卖家会收到通知。"))
    return redirect("backoffice-catalog:product", product.pk)


@staff_required()
def products(request):
    text, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    listings = Product.objects.select_related("seller", "category").order_by("-updated_at", "-id")
    if text:
        listings = listings.filter(title__icontains=text) | listings.filter(seller__name__icontains=text)
    if status in Product.Status.values:
        listings = listings.filter(status=status)
    return render(request, "backoffice/catalog/products.html", {
        "page": Paginator(listings, 30).get_page(request.GET.get("page")), "q": text, "status": status,
        "statuses": Product.Status.choices,
    })


@staff_required(*REVIEWERS)
def categories(request):
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.save_category(by=request.user, **form.cleaned_data)
        except BusinessRuleError as error:
            for name, message in (error.details or {}).items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("类目“%(name)s”已保存。") % {"name": category.name})
            return redirect("backoffice-catalog:category", category.pk)
    return render(request, "backoffice/catalog/categories.html", {
        "tree": selectors.top_categories(), "form": form,
    })


@staff_required(*REVIEWERS)
def category_detail(request, category_id):
    category = get_object_or_404(Category, pk=category_id)
    initial = {"name": category.name, "name_en": category.name_en, "slug": category.slug,
               "parent": category.parent_id, "position": category.position, "is_active": category.is_active}
    form = CategoryForm(request.POST if "save_category" in request.POST else None, initial=initial)
    attribute_form = CategoryAttributeForm(request.POST if "add_attribute" in request.POST else None)
    if request.method == "POST":
        try:
            if "save_category" in request.POST and form.is_valid():
                services.save_category(by=request.user, category=category, **form.cleaned_data)
                messages.success(request, _("类目已保存。"))
                return redirect("backoffice-catalog:category", category.pk)
            if "add_attribute" in request.POST and attribute_form.is_valid():
                services.save_category_attribute(by=request.user, category=category, **attribute_form.cleaned_data)
                messages.success(request, _("属性已添加。"))
                return redirect("backoffice-catalog:category", category.pk)
            if "delete_attribute" in request.POST:
                services.delete_category_attribute(by=request.user, attribute_id=request.POST["delete_attribute"])
                messages.success(request, _("属性已删除。"))
                return redirect("backoffice-catalog:category", category.pk)
        except BusinessRuleError as error:
            target = attribute_form if "add_attribute" in request.POST else form
            for name, message in (error.details or {}).items():
                target.add_error(name if name in target.fields else None, message)
            if not error.details:
                messages.error(request, error.message)
    return render(request, "backoffice/catalog/category_detail.html", {
        "category": category, "form": form, "attribute_form": attribute_form,
        "attributes": category.attribute_definitions.all(),
        "inherited": services.category_attributes(category.parent) if category.parent else [],
        "history": audit_events_for(category)[:30],
    })


@staff_required(StaffRole.ADMINISTRATOR)
def settings_page(request):
    form = PriceVisibilityForm(request.POST or None, initial={"price_visibility": selectors.price_visibility()})
    if request.method == "POST" and form.is_valid():
        services.set_price_visibility(by=request.user, visibility=form.cleaned_data["price_visibility"])
        messages.success(request, _("商城设置已保存。"))
        return redirect("backoffice-catalog:settings")
    return render(request, "backoffice/catalog/settings.html", {"form": form})
