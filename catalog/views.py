"""Storefront pages: thin, they call selectors and render."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from catalog import selectors
from catalog.models import Category
from core.cache import cache_public_page, version


@cache_public_page("catalog")
def home(request):
    return render(request, "storefront/home.html", {
        "categories": selectors.top_categories(),
        "products": selectors.featured_products(),
        "catalog_version": version("catalog"),
    })


@cache_public_page("catalog")
def category(request, slug):
    current = get_object_or_404(Category, slug=slug, is_active=True)
    page = Paginator(selectors.products_in_category(current), 24).get_page(request.GET.get("page"))
    return render(request, "storefront/category.html", {
        "category": current, "page": page, "category_name": current.display_name(get_language()),
        "catalog_version": version("catalog"),
    })


@cache_public_page("catalog")
def product(request, product_id):
    listing = get_object_or_404(selectors.published_products(), pk=product_id)
    return render(request, "storefront/product.html", {"product": listing})
