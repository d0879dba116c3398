from django.core.cache import cache
from django.db.models import Count, Prefetch, Q

from catalog.models import Category, PriceTier, Product
from core.cache import PUBLIC_PAGE_TIMEOUT, versioned_key


def _with_listing_relations(products):
    return products.select_related("seller", "category", "warehouse_region__province").prefetch_related(
        Prefetch("price_tiers", queryset=PriceTier.objects.order_by("min_quantity")),
    )


def published_products():
    return _with_listing_relations(Product.objects.filter(status=Product.Status.PUBLISHED))


def top_categories():
    """Root categories with their children and the number of published listings under each root."""
    published = Q(children__products__status=Product.Status.PUBLISHED) | Q(products__status=Product.Status.PUBLISHED)
    return (
        Category.objects.filter(parent__isnull=True, is_active=True)
        .prefetch_related(Prefetch("children", queryset=Category.objects.filter(is_active=True)))
        .annotate(listing_count=Count("children__products", filter=published, distinct=True)
                  + Count("products", filter=Q(products__status=Product.Status.PUBLISHED), distinct=True))
        .order_by("position", "id")
    )


def _children_by_parent():
    """{parent id: [child ids]} for the whole tree, cached until the catalogue changes."""
    key = versioned_key("catalog", "category-children")
    tree = cache.get(key)
    if tree is None:
        tree = {}
        for pk, parent_id in Category.objects.order_by("position", "id").values_list("pk", "parent_id"):
            tree.setdefault(parent_id, []).append(pk)
        cache.set(key, tree, PUBLIC_PAGE_TIMEOUT)
    return tree


def category_with_descendants(category):
    """The category's own id and those of all categories below it."""
    tree = _children_by_parent()
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = [child for parent in frontier for child in tree.get(parent, [])]
        ids.extend(frontier)
    return ids


def products_in_category(category):
    return published_products().filter(category_id__in=category_with_descendants(category))


def featured_products(limit=12):
    return published_products().order_by("-is_featured", "-published_at", "-id")[:limit]


def products_of_seller(company, *, statuses=None):
    products = _with_listing_relations(Product.objects.filter(seller=company))
    if statuses:
        products = products.filter(status__in=statuses)
    return products.order_by("-updated_at", "-id")
