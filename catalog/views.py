"""Storefront pages: thin, they call selectors and render.

Pages are cached whole (core.cache.cache_public_page): one copy for visitors without a session,
and for signed-in members one per audience (`member_audience`), the viewer's own parts (user
menu, company notice, CSRF token) filled in per request. Any change to the catalogue bumps its
version, so no stale page is served.
"""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from accounts.models import Company
from catalog import selectors
from catalog.models import Category
from core.cache import cache_public_page, version
from core.models import Region

PAGE_SIZE = 24


def member_audience(request) -> str:
    """What a storefront page's body depends on for a signed-in viewer: the company (its own
    listings, whether it may trade), whether prices show, and whether the viewer is staff."""
    user = request.user
    membership = getattr(user, "membership", None)
    company = membership.company if membership is not None else None
    prices, trades = selectors.prices_visible_to(user), bool(company and company.can_trade)
    return f"c{company.pk if company else 0}-p{prices:d}-t{trades:d}-s{user.is_staff:d}"


def cache_storefront_page(view):
    return cache_public_page("catalog", audience=member_audience)(view)


def _listing_context(request, products, **extra):
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "catalog_version": version("catalog"), "show_prices": selectors.prices_visible_to(
        request.user), "provinces": Region.objects.filter(level="province").order_by("position", "id"), **extra}


@cache_storefront_page
def home(request):
    return render(request, "storefront/home.html", {
        "categories": selectors.top_categories(),
        "products": selectors.featured_products(),
        "catalog_version": version("catalog"),
        "show_prices": selectors.prices_visible_to(request.user),
    })


@cache_storefront_page
def category(request, slug):
    current = get_object_or_404(Category.objects.select_related("parent"), slug=slug, is_active=True)
    filters = selectors.filters_from_query(request.GET, category=current)
    return render(request, "storefront/listings.html", _listing_context(
        request, selectors.search_listings(filters), category=current, filters=filters,
        heading=current.display_name(get_language()), filter_attributes=selectors.filter_attributes(current, filters),
    ))


@cache_storefront_page
def search(request):
    filters = selectors.filters_from_query(request.GET)
    return render(request, "storefront/listings.html", _listing_context(
        request, selectors.search_listings(filters), category=filters.category, filters=filters,
        filter_attributes=selectors.filter_attributes(filters.category, filters), searching=True,
    ))


@cache_storefront_page
def shop(request, company_id):
    seller = get_object_or_404(Company.objects.select_related("province", "city"), pk=company_id,
                               status__in=[Company.Status.VERIFIED, Company.Status.CHANGE_PENDING])
    filters = selectors.filters_from_query(request.GET)
    products = selectors.search_listings(filters).filter(seller=seller)
    return render(request, "storefront/shop.html", _listing_context(request, products, seller=seller, filters=filters))


@cache_storefront_page
def product(request, product_id):
    listing = get_object_or_404(selectors.published_products(), pk=product_id)
    return render(request, "storefront/product.html", {
        "product": listing, "show_prices": selectors.prices_visible_to(request.user),
        "catalog_version": version("catalog"),
    })
