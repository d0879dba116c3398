"""Reads of the catalogue: storefront listings, search with filters, sellers' own listings,
the review queue, stock ledgers. Each list selector loads its relations in a fixed number of
queries, whatever the page length."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.postgres.search import SearchRank
from django.core.cache import cache
from django.db.models import Count, F, Prefetch, Q, Sum

from catalog import search
from catalog.models import (
    CatalogSettings,
    Category,
    CategoryAttribute,
    PriceTier,
    Product,
    ProductImage,
    ProductRevision,
    StockMovement,
    StockReservation,
)
from core.cache import PUBLIC_PAGE_TIMEOUT, version, versioned_key


def _with_listing_relations(products):
    return products.select_related("seller", "category", "warehouse_region__province").prefetch_related(
        Prefetch("price_tiers", queryset=PriceTier.objects.order_by("min_quantity")),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
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


def seller_products_by_status(company):
    return dict(Product.objects.filter(seller=company).values_list("status").annotate(n=Count("id")))


def any_listing(product_id):
    """A listing in any status with its relations (staff pages), or None."""
    return _with_listing_relations(Product.objects.filter(pk=product_id)).first()


def seller_product(company, product_id):
    """One of the company's own listings with its relations, or None."""
    return _with_listing_relations(Product.objects.filter(seller=company, pk=product_id)).first()


def pending_revision(product):
    return (ProductRevision.objects.filter(product=product, status=ProductRevision.Status.PENDING)
            .select_related("category").prefetch_related("added_images").first())


# --- storefront search ----------------------------------------------------------------------

SORTS = {
    "relevance": None,
    "newest": ["-published_at", "-id"],
    "price_asc": ["price", "id"],
    "price_desc": ["-price", "-id"],
}


@dataclass
class ListingFilters:
    """What a buyer asked for on the search page (or the API): all optional."""

    text: str = ""
    category: Category | None = None
    province_id: int | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    attributes: dict = field(default_factory=dict)  # {name: value} or {name: (min, max)} for numbers
    in_stock: bool = False
    sort: str = "relevance"


FILTER_LIMIT = Decimal("1e12")  # beyond any price or attribute; larger values are typos, not filters


def _decimal(value):
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and 0 <= number <= FILTER_LIMIT else None


def filters_from_query(params, *, category=None) -> ListingFilters:
    """Read ?q=&category=&province=&price_min=&price_max=&a.<name>=&a.<name>.min=&sort= leniently:
    a malformed value is ignored, never an error page."""
    filters = ListingFilters(text=(params.get("q") or "").strip()[:100], category=category)
    if filters.category is None and params.get("category"):
        filters.category = Category.objects.filter(slug=params["category"], is_active=True).first()
    province = params.get("province") or ""
    filters.province_id = int(province) if province.isdigit() and len(province) <= 9 else None
    filters.price_min, filters.price_max = _decimal(params.get("price_min") or "x"), _decimal(
        params.get("price_max") or "x")
    for key in params:
        if not key.startswith("a."):
            continue
        name, _dot, bound = key[2:].partition(".")
        value = (params.get(key) or "").strip()
        if not name or not value or "__" in name or len(name) > 30:
            continue
        if bound in ("min", "max"):
            number = _decimal(value)
            if number is not None:
                low, high = filters.attributes.get(name, (None, None)) if isinstance(
                    filters.attributes.get(name), tuple) else (None, None)
                filters.attributes[name] = (number, high) if bound == "min" else (low, number)
        else:
            filters.attributes[name] = value[:60]
    filters.in_stock = params.get("in_stock") in ("1", "on", "true")
    filters.sort = params.get("sort") if params.get("sort") in SORTS else ("relevance" if filters.text else "newest")
    return filters


def _json_number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def search_listings(filters: ListingFilters):
    """Published listings matching the filters, in the requested order."""
    products = published_products()
    query = search.search_query(filters.text) if filters.text else None
    if filters.text and query is None:
        return products.none()
    if query is not None:
        products = products.filter(search_vector=query)
    if filters.category is not None:
        products = products.filter(category_id__in=category_with_descendants(filters.category))
    if filters.province_id:
        products = products.filter(Q(warehouse_region_id=filters.province_id)
                                   | Q(warehouse_region__province_id=filters.province_id))
    if filters.price_min is not None:
        products = products.filter(price__gte=filters.price_min)
    if filters.price_max is not None:
        products = products.filter(price__lte=filters.price_max)
    for name, wanted in filters.attributes.items():
        if isinstance(wanted, tuple):
            low, high = wanted
            # JSON numbers sort above strings, so ">= 0" keeps text values out of a number range.
            products = products.filter(**{f"attributes__{name}__gte": 0})
            if low is not None:
                products = products.filter(**{f"attributes__{name}__gte": _json_number(low)})
            if high is not None:
                products = products.filter(**{f"attributes__{name}__lte": _json_number(high)})
        else:
            products = products.filter(attributes__contains={name: wanted})
    if filters.in_stock:
        products = products.filter(stock_on_hand__gt=F("stock_reserved"))
    order = SORTS.get(filters.sort)
    if order is None and query is not None:
        return products.annotate(rank=SearchRank(F("search_vector"), query)).order_by("-rank", "-published_at", "-id")
    return products.order_by(*(order or SORTS["newest"]))


def filter_attributes(category, filters=None):
    """The category's filterable attributes with the values listings use and the buyer's current
    choice (for the filter panel)."""
    if category is None:
        return []
    chain, node = [], category
    while node is not None:
        chain.append(node.pk)
        node = node.parent
    definitions = list(CategoryAttribute.objects.filter(category_id__in=chain, is_filter=True))
    if not definitions:
        return []
    values = {definition.name: set() for definition in definitions}
    listings = Product.objects.filter(status=Product.Status.PUBLISHED,
                                      category_id__in=category_with_descendants(category))
    for attributes in listings.values_list("attributes", flat=True)[:2000]:
        for name in values:
            if name in attributes and attributes[name] not in ("", None):
                values[name].add(attributes[name])
    chosen = filters.attributes if filters else {}

    def current(name):
        value = chosen.get(name)
        if isinstance(value, tuple):
            return value[0] if value[0] is not None else ""
        return value or ""

    return [{"definition": definition, "values": sorted(values[definition.name], key=str)[:30],
             "current": current(definition.name)}
            for definition in definitions if values[definition.name]]


_price_visibility_seen = {}  # {catalogue version: visibility}, the latest one only


def price_visibility():
    """'everyone' or 'verified'. Every storefront page and API call asks, so each process keeps
    the answer for the current catalogue version (a change to the setting bumps the version)."""
    current = version("catalog")
    visibility = _price_visibility_seen.get(current)
    if visibility is None:
        row = CatalogSettings.objects.filter(pk=1).first()
        visibility = row.price_visibility if row else CatalogSettings.PriceVisibility.EVERYONE
        _price_visibility_seen.clear()
        _price_visibility_seen[current] = visibility
    return visibility


def prices_visible_to(user) -> bool:
    if price_visibility() == CatalogSettings.PriceVisibility.EVERYONE:
        return True
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    membership = getattr(user, "membership", None)
    return bool(membership and membership.is_active and membership.company.is_verified)


# --- staff ------------------------------------------------------------------------------------

def review_queue():
    """Listings and revisions waiting for review: major clients' first (highest tier first), then
    oldest first: [(kind, object, submitted at)]."""
    from crm.priority import tier_rank_expression

    listings = [("listing", product, product.submitted_at, product.priority) for product in Product.objects.filter(
        status=Product.Status.PENDING_REVIEW).annotate(priority=tier_rank_expression("seller")).select_related(
        "seller", "category").order_by("submitted_at", "id")]
    revisions = [("revision", revision, revision.created_at, revision.priority) for revision in
                 ProductRevision.objects.filter(status=ProductRevision.Status.PENDING).annotate(
                     priority=tier_rank_expression("product__seller")).select_related(
                     "product__seller", "category").order_by("created_at")]
    ordered = sorted(listings + revisions, key=lambda item: (-item[3], item[2] is None, item[2]))
    return [(kind, item, submitted_at) for kind, item, submitted_at, _priority in ordered]


def review_queue_count():
    return (Product.objects.filter(status=Product.Status.PENDING_REVIEW).count()
            + ProductRevision.objects.filter(status=ProductRevision.Status.PENDING).count())


# --- stock ------------------------------------------------------------------------------------

def stock_movements(product):
    return StockMovement.objects.filter(product=product).select_related("actor", "reservation__holder")


def active_reservations(product):
    return StockReservation.objects.filter(product=product, status=StockReservation.Status.ACTIVE).select_related(
        "holder", "created_by").order_by("expires_at", "id")


def ledger_totals(product_id) -> dict:
    """On-hand and reserved summed from the ledger; they equal the product's running totals."""
    totals = StockMovement.objects.filter(product_id=product_id).aggregate(
        on_hand=Sum("on_hand_change"), reserved=Sum("reserved_change"))
    return {name: value or Decimal(0) for name, value in totals.items()}
