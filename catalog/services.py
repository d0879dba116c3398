"""Writes on the catalogue: listings and their review, images, the stock ledger, inquiries,
categories and storefront settings.

Every service checks who may act (accounts.rules for sellers, staff roles for reviewers),
runs in one transaction, records audit events and queues notifications on commit. Stock moves
lock the product row and are backed by the table's check constraints.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rules
from accounts.rules import Activity
from accounts.services import notify_company
from catalog import images, search
from catalog.models import (
    CatalogSettings,
    Category,
    CategoryAttribute,
    Inquiry,
    InquiryMessage,
    PriceTier,
    Product,
    ProductImage,
    ProductRevision,
    StockMovement,
    StockReservation,
)
from catalog.states import product_transition
from core import audit, rows
from core.errors import BusinessRuleError, Conflict, NotAllowed, NotFound
from core.money import to_money
from core.permissions import CompanyPermission, StaffRole, has_staff_role

S = Product.Status
REVIEWER_ROLES = (StaffRole.REVIEWER, StaffRole.ADMINISTRATOR)
CONTENT_FIELDS = ("title", "description", "category", "attributes")  # edits to these on a live listing are reviewed
COMMERCIAL_FIELDS = ("unit", "price", "min_order_quantity", "warehouse_region", "seller_sku")
QUANTITY_STEP = Decimal("0.001")
MAX_QUANTITY = Decimal("99999999999")  # the quantity columns hold 14 digits, 3 after the point


# --- listing data -------------------------------------------------------------------------------

@dataclass
class ListingData:
    """What a seller fills in for a listing (the form, the API and the import all build one)."""

    title: str
    category: Category
    price: Decimal
    unit: str = Product.Unit.TON
    min_order_quantity: Decimal = Decimal("1")
    description: str = ""
    attributes: dict = field(default_factory=dict)
    warehouse_region: object = None
    seller_sku: str = ""
    tiers: list = field(default_factory=list)  # [(min_quantity, unit_price)]


def category_attributes(category) -> list[CategoryAttribute]:
    """The structured attributes of a category: its own and its ancestors', root first. Kept on
    the category instance, so checking many rows of one category (an import) reads them once."""
    cached = getattr(category, "_attribute_definitions", None)
    if cached is not None:
        return cached
    chain, node = [], category
    while node is not None:
        chain.append(node.pk)
        node = node.parent
    definitions = CategoryAttribute.objects.filter(category_id__in=chain)
    depth = {pk: index for index, pk in enumerate(reversed(chain))}
    category._attribute_definitions = sorted(definitions, key=lambda item: (depth[item.category_id], item.position,
                                                                             item.pk))
    return category._attribute_definitions


_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)")


def parse_number(value):
    """70, "70", "70g/㎡" -> 70 (an int when whole, else a float rounded to 3 places); None if no number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        match = _NUMBER.match(str(value or ""))
        if not match:
            return None
        number = Decimal(match.group(1))
    return int(number) if number == number.to_integral_value() else float(round(number, 3))


def clean_attributes(category, attributes) -> tuple[dict, dict]:
    """(cleaned attributes, errors by attribute name) under the category's definitions.
    Attributes the category does not define are kept as short text."""
    cleaned, errors = {}, {}
    given = {str(name).strip(): value for name, value in (attributes or {}).items() if str(name).strip()}
    for definition in category_attributes(category):
        value = given.pop(definition.name, None)
        if value in (None, ""):
            if definition.is_required:
                errors[definition.name] = _("请填写“%(name)s”。") % {"name": definition.name}
            continue
        if definition.kind == CategoryAttribute.Kind.NUMBER:
            number = parse_number(value)
            if number is None:
                errors[definition.name] = _("“%(name)s”应为数字（单位 %(unit)s）。") % {
                    "name": definition.name, "unit": definition.unit or "-"}
                continue
            cleaned[definition.name] = number
        elif definition.kind == CategoryAttribute.Kind.CHOICE and definition.choices:
            if str(value).strip() not in definition.choices:
                errors[definition.name] = _("“%(name)s”只能是：%(choices)s。") % {
                    "name": definition.name, "choices": "、".join(definition.choices)}
                continue
            cleaned[definition.name] = str(value).strip()
        else:
            cleaned[definition.name] = str(value).strip()[:100]
    for name, value in list(given.items())[:20]:
        if str(value).strip():
            cleaned[name[:30]] = str(value).strip()[:100]
    return cleaned, errors


def _positive(value, errors, name, message):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors[name] = message
        return None
    if not number.is_finite() or number <= 0:
        errors[name] = message
        return None
    return number


def check_listing(data: ListingData) -> tuple[ListingData, dict]:
    """Validate and normalise listing data; returns (data, errors by field)."""
    errors = {}
    data.title = (data.title or "").strip()
    if not data.title:
        errors["title"] = _("请填写商品标题。")
    elif len(data.title) > 120:
        errors["title"] = _("标题不能超过 120 个字。")
    if data.category is None:
        errors["category"] = _("请选择类目。")
    elif data.category.children.exists():
        errors["category"] = _("请选择最末级类目（如“白卡纸”），而不是“%(name)s”。") % {"name": data.category.name}
    if data.unit not in Product.Unit.values:
        errors["unit"] = _("计量单位无效。")
    price = _positive(data.price, errors, "price", _("单价必须是大于 0 的金额。"))
    data.price = to_money(price) if price is not None else data.price
    moq = _positive(data.min_order_quantity, errors, "min_order_quantity", _("起订量必须大于 0。"))
    data.min_order_quantity = moq.quantize(QUANTITY_STEP) if moq is not None else data.min_order_quantity
    data.seller_sku = (data.seller_sku or "").strip()[:40]
    data.description = (data.description or "").strip()
    if data.category is not None and "category" not in errors:
        data.attributes, attribute_errors = clean_attributes(data.category, data.attributes)
        errors.update({f"attributes.{name}": message for name, message in attribute_errors.items()})
    tiers, seen = [], set()
    for quantity, unit_price in data.tiers or []:
        tier_quantity = _positive(quantity, errors, "tiers", _("阶梯价的起始数量必须大于 0。"))
        tier_price = _positive(unit_price, errors, "tiers", _("阶梯价必须是大于 0 的金额。"))
        if tier_quantity is None or tier_price is None:
            continue
        tier_quantity, tier_price = tier_quantity.quantize(QUANTITY_STEP), to_money(tier_price)
        if tier_quantity in seen:
            errors["tiers"] = _("阶梯价的起始数量不能重复。")
        seen.add(tier_quantity)
        tiers.append((tier_quantity, tier_price))
    tiers.sort()
    if "price" not in errors and "tiers" not in errors:
        previous = data.price
        for tier_quantity, tier_price in tiers:
            if moq is not None and tier_quantity <= moq:
                errors["tiers"] = _("阶梯价的起始数量应大于起订量。")
            elif tier_price >= previous:
                errors["tiers"] = _("数量越大，阶梯价应越低（低于单价和上一档）。")
            previous = tier_price
    data.tiers = tiers
    return data, errors


def _refuse_if_errors(errors):
    if errors:
        first = next(iter(errors.values()))
        raise BusinessRuleError(first if len(errors) == 1 else _("商品信息有 %(count)s 处需要修改。") % {
            "count": len(errors)}, code="invalid_listing", details=errors)


def _search_texts(product, categories=None):
    """(title, other texts) a listing is found by: title, category path, attributes, seller, description.
    `categories` (id → Category) spares a query per level of the path."""
    names = []
    if categories is None:
        category = product.category
        while category is not None:
            names += [category.name, category.name_en]
            category = category.parent
    else:
        category_id = product.category_id
        while category_id is not None:
            names += [categories[category_id].name, categories[category_id].name_en]
            category_id = categories[category_id].parent_id
    attributes = [f"{name} {value}" for name, value in product.attributes.items()]
    return product.title, [*names, *attributes, product.seller.name, product.description]


def refresh_search_vector(product_id):
    """Recompute a listing's search text."""
    product = Product.objects.select_related("category__parent", "seller").get(pk=product_id)
    title, others = _search_texts(product)
    Product.objects.filter(pk=product_id).update(search_vector=search.search_vector(title=title, other_texts=others))


def _refresh_search_vectors(products):
    """`refresh_search_vector` for many listings in one statement (their category and seller loaded)."""
    categories = Category.objects.in_bulk()
    search.update_search_vectors(Product._meta.db_table, [(product.pk, *_search_texts(product, categories))
                                                          for product in products])


# --- who may act --------------------------------------------------------------------------------

def _seller_membership(by):
    """A member with product rights, for a company that may list products."""
    membership = rules.ensure_member_may(by, CompanyPermission.PRODUCTS)
    rules.ensure_company_may(membership.company, Activity.LIST_PRODUCTS)
    return membership


def _own_product(by, product_id, *, lock=True):
    membership = _seller_membership(by)
    products = Product.objects.select_for_update() if lock else Product.objects
    product = products.filter(pk=product_id, seller=membership.company).first()
    if product is None:
        raise NotFound(_("未找到该商品。"))
    return product


def _ensure_reviewer(user):
    if not has_staff_role(user, *REVIEWER_ROLES):
        raise NotAllowed(_("只有审核员可以审核商品。"), code="reviewer_only")


# --- listings -----------------------------------------------------------------------------------

def _save_tiers(product, tiers):
    product.price_tiers.all().delete()
    PriceTier.objects.bulk_create([PriceTier(product=product, min_quantity=q, unit_price=p) for q, p in tiers])


def _snapshot(product):
    return {
        "title": product.title, "category": product.category.name, "price": str(product.price),
        "unit": product.unit, "min_order_quantity": str(product.min_order_quantity),
        "attributes": product.attributes, "seller_sku": product.seller_sku,
        "warehouse_region": str(product.warehouse_region or ""),
        "tiers": [[str(t.min_quantity), str(t.unit_price)] for t in product.price_tiers.all()],
    }


def _check_sku_free(seller, sku, *, exclude=None):
    if sku and Product.objects.filter(seller=seller, seller_sku=sku).exclude(pk=exclude).exists():
        raise BusinessRuleError(_("商家编码“%(sku)s”已被另一个商品使用。") % {"sku": sku}, code="duplicate_sku",
                                details={"seller_sku": _("该商家编码已被使用。")})


def create_listing_unchecked(*, seller, by, data: ListingData) -> Product:
    """Insert a validated listing as a draft (the caller checked rights and data; bulk import)."""
    product = Product.objects.create(
        seller=seller, category=data.category, title=data.title, description=data.description,
        attributes=data.attributes, unit=data.unit, price=data.price, min_order_quantity=data.min_order_quantity,
        warehouse_region=data.warehouse_region, seller_sku=data.seller_sku, status=S.DRAFT,
    )
    _save_tiers(product, data.tiers)
    refresh_search_vector(product.pk)
    audit.record(actor=by, action="product.create", subject=product, company=seller, after=product.title)
    return product


@transaction.atomic
def create_listings_in_bulk(*, seller, by, listings, submit=False, stock_reason="") -> list[Product]:
    """Insert validated listings with their opening stock (bulk import): `listings` is a list of
    (ListingData, opening stock or None). The same rows as `create_listing_unchecked`, then
    `product_transition` to review and `receive_stock`, one by one would write (drafts or pending
    review, tiers, search text, a stock-in ledger line, audit rows), in a few statements for the
    whole file instead of a dozen per listing. The products are new, so nothing else can hold
    their rows while the opening stock goes in."""
    now = timezone.now()
    listings = [(data, _quantity(stock, "stock") if stock else None) for data, stock in listings]
    products = [Product(
        seller=seller, category=data.category, title=data.title, description=data.description,
        attributes=data.attributes, unit=data.unit, price=data.price, min_order_quantity=data.min_order_quantity,
        warehouse_region=data.warehouse_region, seller_sku=data.seller_sku,
        status=S.PENDING_REVIEW if submit else S.DRAFT, submitted_at=now if submit else None,
        stock_on_hand=stock or Decimal(0),
    ) for data, stock in listings]
    Product.objects.bulk_create(products, batch_size=500)
    PriceTier.objects.bulk_create([
        PriceTier(product=product, min_quantity=quantity, unit_price=price)
        for product, (data, _stock) in zip(products, listings, strict=True) for quantity, price in data.tiers
    ], batch_size=1000)
    StockMovement.objects.bulk_create([
        StockMovement(product=product, kind=StockMovement.Kind.STOCK_IN, on_hand_change=stock,
                      reserved_change=Decimal(0), on_hand_after=stock, reserved_after=Decimal(0),
                      reason=_reason(stock_reason)[:200], actor=by if by is not None and by.pk else None)
        for product, (_data, stock) in zip(products, listings, strict=True) if stock
    ], batch_size=1000)
    _refresh_search_vectors(products)
    events = []
    for product in products:
        events.append({"actor": by, "action": "product.create", "subject": product, "company": seller,
                       "after": product.title})
        if submit:
            events.append({"actor": by, "action": "product.status", "subject": product, "company": seller,
                           "before": S.DRAFT, "after": S.PENDING_REVIEW})
    audit.record_many(events)
    return products


@transaction.atomic
def create_listing(*, by, data: ListingData, submit=False) -> Product:
    """A new listing, saved as a draft or sent straight to review."""
    seller = _seller_membership(by).company
    data, errors = check_listing(data)
    _refuse_if_errors(errors)
    _check_sku_free(seller, data.seller_sku)
    product = create_listing_unchecked(seller=seller, by=by, data=data)
    if submit:
        product = product_transition(product_id=product.pk, to=S.PENDING_REVIEW, actor=by)
    return product


def pending_revision(product):
    return product.revisions.filter(status=ProductRevision.Status.PENDING).first()


def _content_changes(product, data):
    changes = {}
    for name in CONTENT_FIELDS:
        if getattr(product, name) != getattr(data, name):
            changes[name] = getattr(data, name)
    return changes


def _open_revision(product, by):
    """The listing's pending revision, started from its published content if there is none."""
    revision = pending_revision(product)
    if revision is None:
        revision = ProductRevision.objects.create(
            product=product, title=product.title, description=product.description, category=product.category,
            attributes=product.attributes, created_by=by,
        )
    return revision


@transaction.atomic
def update_listing(*, by, product_id, data: ListingData) -> Product:
    """Save a seller's edit. Prices, quantities and stock details apply at once; on a published
    listing, new text goes into a revision for review while the current version stays online."""
    product = _own_product(by, product_id)
    before = _snapshot(product)
    data, errors = check_listing(data)
    _refuse_if_errors(errors)
    _check_sku_free(product.seller, data.seller_sku, exclude=product.pk)
    for name in COMMERCIAL_FIELDS:
        setattr(product, name, getattr(data, name))
    revision = None
    if product.status == S.PUBLISHED:
        live = pending_revision(product) or product
        changes = _content_changes(live, data)
        if changes:
            revision = _open_revision(product, by)
            for name, value in changes.items():
                setattr(revision, name, value)
            revision.created_by, revision.created_at = by, timezone.now()
            revision.save()
    else:
        for name in CONTENT_FIELDS:
            setattr(product, name, getattr(data, name))
    product.save()
    _save_tiers(product, data.tiers)
    refresh_search_vector(product.pk)
    product.refresh_from_db()
    audit.record(actor=by, action="product.update", subject=product, company=product.seller, before=before,
                 after=_snapshot(product), reason=_("修改已提交审核，审核通过前仍显示原内容") if revision else "")
    return product


@transaction.atomic
def submit_listing(*, by, product_id) -> Product:
    product = _own_product(by, product_id)
    return product_transition(product_id=product.pk, to=S.PENDING_REVIEW, actor=by)


@transaction.atomic
def unlist_listing(*, by, product_id, reason="") -> Product:
    """Take a listing off the storefront: by its seller, or by staff (a reason is required)."""
    if has_staff_role(by, *REVIEWER_ROLES):
        if not reason.strip():
            raise BusinessRuleError(_("平台下架商品时必须填写原因，卖家会看到它。"), code="reason_required",
                                    details={"reason": _("请填写下架原因。")})
        product = Product.objects.select_for_update().get(pk=product_id)
    else:
        product = _own_product(by, product_id)
    product = product_transition(product_id=product.pk, to=S.UNLISTED, actor=by, reason=reason.strip())
    if has_staff_role(by, *REVIEWER_ROLES):
        notify_company(product.seller, kind="product.unlisted",
                       key=f"product-unlisted:{product.pk}:{timezone.now():%s}",
                       title=_("商品“%(title)s”已被平台下架") % {"title": product.title}, body=reason,
                       link=reverse("merchant:product", args=[product.pk]), permission=CompanyPermission.PRODUCTS)
    return product


@transaction.atomic
def review_listing(*, reviewer, product_id, approve, reason="") -> Product:
    """A reviewer publishes a listing pending review, or rejects it with the reason the seller sees."""
    _ensure_reviewer(reviewer)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise BusinessRuleError(_("驳回时必须填写原因，卖家会看到它。"), code="reason_required",
                                details={"reason": _("请填写驳回原因。")})
    product = Product.objects.select_for_update().get(pk=product_id)
    if product.status != S.PENDING_REVIEW:
        raise Conflict(_("该商品已不在待审核状态。"), code="already_decided")
    product = product_transition(product_id=product.pk, to=S.PUBLISHED if approve else S.REJECTED,
                                 actor=reviewer, reason=reason)
    title = (_("商品“%(title)s”已通过审核并上架") if approve else _("商品“%(title)s”未通过审核")) % {
        "title": product.title}
    notify_company(product.seller, kind="product.review", key=f"product-review:{product.pk}:{product.submitted_at:%s}",
                   title=title, body=reason, link=reverse("merchant:product", args=[product.pk]),
                   permission=CompanyPermission.PRODUCTS)
    return product


@transaction.atomic
def review_revision(*, reviewer, revision_id, approve, reason="") -> ProductRevision:
    """Apply or reject the new text and images of a published listing."""
    _ensure_reviewer(reviewer)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise BusinessRuleError(_("驳回时必须填写原因，卖家会看到它。"), code="reason_required",
                                details={"reason": _("请填写驳回原因。")})
    revision = ProductRevision.objects.select_for_update().filter(pk=revision_id).first()
    if revision is None or revision.status != ProductRevision.Status.PENDING:
        raise Conflict(_("该修改已经处理过了。"), code="already_decided")
    product = Product.objects.select_for_update().get(pk=revision.product_id)
    before = _snapshot(product)
    if approve:
        for name in CONTENT_FIELDS:
            setattr(product, name, getattr(revision, name))
        product.save(update_fields=[*CONTENT_FIELDS, "updated_at"])
        for image in ProductImage.objects.filter(pk__in=revision.removed_image_ids, product=product):
            _delete_image_files(image)
            image.delete()
        revision.added_images.update(revision=None)
        refresh_search_vector(product.pk)
    else:
        for image in revision.added_images.all():
            _delete_image_files(image)
            image.delete()
    revision.status = ProductRevision.Status.APPROVED if approve else ProductRevision.Status.REJECTED
    revision.reviewed_by, revision.reviewed_at, revision.rejection_reason = reviewer, timezone.now(), reason
    revision.save(update_fields=["status", "reviewed_by", "reviewed_at", "rejection_reason"])
    product.refresh_from_db()
    audit.record(actor=reviewer, action="product.revision." + ("approve" if approve else "reject"), subject=product,
                 company=product.seller, before=before, after=_snapshot(product), reason=reason)
    title = (_("商品“%(title)s”的修改已通过审核") if approve else _("商品“%(title)s”的修改未通过审核")) % {
        "title": product.title}
    notify_company(product.seller, kind="product.review", key=f"product-revision:{revision.pk}", title=title,
                   body=reason, link=reverse("merchant:product", args=[product.pk]),
                   permission=CompanyPermission.PRODUCTS)
    return revision


@transaction.atomic
def withdraw_revision(*, by, product_id) -> None:
    product = _own_product(by, product_id)
    revision = pending_revision(product)
    if revision is None:
        raise Conflict(_("没有待审核的修改。"), code="no_pending_revision")
    for image in revision.added_images.all():
        _delete_image_files(image)
        image.delete()
    revision.status = ProductRevision.Status.WITHDRAWN
    revision.save(update_fields=["status"])
    audit.record(actor=by, action="product.revision.withdraw", subject=product, company=product.seller)


# --- images -------------------------------------------------------------------------------------

def _delete_image_files(image):
    def remove():
        image.image.delete(save=False)
        image.thumbnail.delete(save=False)

    transaction.on_commit(remove, robust=True)


@transaction.atomic
def add_image(*, by, product_id, upload) -> ProductImage:
    """Add a picture (validated and re-encoded). On a published listing it waits in the revision."""
    product = _own_product(by, product_id)
    revision = _open_revision(product, by) if product.status == S.PUBLISHED else None
    showing = [image for image in product.images.all()
               if image.revision_id in (None, getattr(revision, "pk", None))
               and (revision is None or image.pk not in revision.removed_image_ids)]
    if len(showing) >= images.MAX_IMAGES:
        raise BusinessRuleError(_("每个商品最多 %(count)s 张图片。") % {"count": images.MAX_IMAGES},
                                code="too_many_images")
    try:
        full, thumbnail = images.prepare_image(upload)
    except ValidationError as error:
        raise BusinessRuleError(error.messages[0], code=error.code or "invalid_image",
                                details={"image": error.messages[0]}) from None
    image = ProductImage(product=product, revision=revision, position=len(showing))
    image.image.save("image.jpg", full, save=False)
    image.thumbnail.save("thumb.jpg", thumbnail, save=False)
    image.save()
    audit.record(actor=by, action="product.image.add", subject=product, company=product.seller,
                 reason=_("待审核") if revision else "")
    return image


@transaction.atomic
def remove_image(*, by, image_id) -> None:
    image = ProductImage.objects.select_related("product").filter(pk=image_id).first()
    if image is None:
        raise NotFound(_("未找到该图片。"))
    product = _own_product(by, image.product_id)
    if product.status == S.PUBLISHED and image.revision_id is None:
        revision = _open_revision(product, by)
        if image.pk not in revision.removed_image_ids:
            revision.removed_image_ids = [*revision.removed_image_ids, image.pk]
            revision.save(update_fields=["removed_image_ids"])
    else:
        _delete_image_files(image)
        image.delete()
    audit.record(actor=by, action="product.image.remove", subject=product, company=product.seller)


# --- stock ledger -------------------------------------------------------------------------------

def _quantity(value, name="quantity"):
    try:
        quantity = Decimal(str(value)).quantize(QUANTITY_STEP)
    except (InvalidOperation, ValueError, TypeError):
        quantity = None
    if quantity is None or not quantity.is_finite() or quantity <= 0:
        raise BusinessRuleError(_("数量必须大于 0。"), code="invalid_quantity", details={name: _("数量必须大于 0。")})
    if quantity > MAX_QUANTITY:
        raise BusinessRuleError(_("数量过大。"), code="invalid_quantity", details={name: _("数量过大。")})
    return quantity


def _move(product, *, kind, on_hand_change=Decimal(0), reserved_change=Decimal(0), reason, actor,
          reservation=None, reference=""):
    """Write one ledger line and the product's new totals (the product row is locked)."""
    on_hand, reserved = product.stock_on_hand + on_hand_change, product.stock_reserved + reserved_change
    if on_hand < 0 or reserved < 0 or reserved > on_hand:
        raise BusinessRuleError(
            _("库存不足：可用 %(available)s，在库 %(on_hand)s，已预留 %(reserved)s。") % {
                "available": product.stock_available, "on_hand": product.stock_on_hand,
                "reserved": product.stock_reserved},
            code="insufficient_stock", details={"available": str(product.stock_available)})
    product.stock_on_hand, product.stock_reserved = on_hand, reserved
    Product.objects.filter(pk=product.pk).update(stock_on_hand=on_hand, stock_reserved=reserved)
    return StockMovement.objects.create(
        product=product, kind=kind, on_hand_change=on_hand_change, reserved_change=reserved_change,
        on_hand_after=on_hand, reserved_after=reserved, reservation=reservation, reason=reason[:200],
        reference=reference[:40], actor=actor if actor is not None and actor.pk else None,
    )


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise BusinessRuleError(_("请填写原因。"), code="reason_required", details={"reason": _("请填写原因。")})
    return reason


@transaction.atomic
def receive_stock(*, by, product_id, quantity, reason, reference="") -> StockMovement:
    """入库: goods arrive in the seller's warehouse."""
    product = _own_product(by, product_id)
    return _move(product, kind=StockMovement.Kind.STOCK_IN, on_hand_change=_quantity(quantity),
                 reason=_reason(reason), actor=by, reference=reference)


@transaction.atomic
def issue_stock(*, by, product_id, quantity, reason, reference="") -> StockMovement:
    """出库 from unreserved stock (sales outside the platform, samples, damage)."""
    product = _own_product(by, product_id)
    return _move(product, kind=StockMovement.Kind.STOCK_OUT, on_hand_change=-_quantity(quantity),
                 reason=_reason(reason), actor=by, reference=reference)


@transaction.atomic
def adjust_stock(*, by, product_id, counted, reason) -> StockMovement:
    """盘点调整: set on-hand stock to what a count found (never below what is reserved)."""
    product = _own_product(by, product_id)
    try:
        counted = Decimal(str(counted)).quantize(QUANTITY_STEP)
    except (InvalidOperation, ValueError, TypeError):
        counted = Decimal(-1)
    if not counted.is_finite() or counted < 0:
        raise BusinessRuleError(_("盘点数量不能为负数。"), code="invalid_quantity",
                                details={"counted": _("盘点数量不能为负数。")})
    if counted == product.stock_on_hand:
        raise BusinessRuleError(_("盘点数量与当前在库相同，无需调整。"), code="no_change",
                                details={"counted": _("盘点数量与当前在库相同。")})
    return _move(product, kind=StockMovement.Kind.ADJUSTMENT, on_hand_change=counted - product.stock_on_hand,
                 reason=_reason(reason), actor=by)


def reserve_stock(*, product_id, holder, quantity, by, kind=StockReservation.Kind.CHECKOUT, expires_at=None,
                  reference="", note="") -> StockReservation:
    """Hold `quantity` of a product for `holder`. The product row is locked, so concurrent
    reservations queue up and none can take more than is available. Callers check who may
    reserve (checkout: the buyer; major-client reservations: `reserve_for_client`)."""
    quantity = _quantity(quantity)
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product_id)
        if product.status != S.PUBLISHED and kind == StockReservation.Kind.CHECKOUT:
            raise BusinessRuleError(_("该商品已下架。"), code="product_unavailable")
        reservation = StockReservation.objects.create(
            product=product, holder=holder, kind=kind, quantity=quantity, expires_at=expires_at,
            reference=reference[:40], note=note[:200], created_by=by if by is not None and by.pk else None,
        )
        _move(product, kind=StockMovement.Kind.RESERVATION, reserved_change=quantity, actor=by,
              reservation=reservation, reference=reference,
              reason=note or _("为 %(holder)s 预留") % {"holder": holder.name})
    return reservation


@dataclass(frozen=True)
class ReservationRequest:
    product_id: int
    quantity: Decimal
    reference: str = ""
    note: str = ""


# Hand-written (core.rows) and prepared once per database session: checkout runs them on every order.
_UNSEARCHED = ("search_vector",)  # as Product.objects loads them
_LOCK_PRODUCTS = (f"SELECT {rows.columns(Product, 'p', defer=_UNSEARCHED)} FROM catalog_product p "  # noqa: S608
                  "WHERE p.id = ANY(%s) ORDER BY p.id FOR UPDATE")
_PRICE_TIERS = (f"SELECT {rows.columns(PriceTier, 't')} FROM catalog_pricetier t "  # noqa: S608
                "WHERE t.product_id = ANY(%s) ORDER BY t.product_id, t.min_quantity, t.id")


def lock_products(product_ids, *, with_price_tiers=False) -> dict:
    """The products by id, locked for the rest of the transaction in id order (the order every
    checkout locks them in, so concurrent checkouts queue instead of deadlocking); with their
    price tiers loaded (`product.price_tiers.all()`) when asked."""
    ids = sorted(product_ids)
    products = {}
    for row in rows.fetch_all(_LOCK_PRODUCTS, [ids], prepared="tp_lock_products"):
        product, _end = rows.instance(Product, row, 0, defer=_UNSEARCHED)
        products[product.pk] = product
    if with_price_tiers:
        tiers = defaultdict(list)
        for row in rows.fetch_all(_PRICE_TIERS, [ids], prepared="tp_price_tiers"):
            tier, _end = rows.instance(PriceTier, row, 0)
            tiers[tier.product_id].append(tier)
        for product in products.values():
            rows.remember_related(product, "price_tiers", tiers[product.pk])
    return products


def reserve_stock_for_checkout(*, holder, requests, by, locked=None) -> list[StockReservation]:
    """`reserve_stock` for every line of a checkout at once, in the caller's transaction: the
    products are locked together (`lock_products`; a caller that already holds them passes them
    as `locked`), each must be published with enough available, then the reservations and the
    ledger lines are written in one statement each and every product's new total in one UPDATE.
    A shortfall raises `insufficient_stock` naming the product (`details["product_id"]`) and
    saves nothing."""
    wanted = {}
    for request in requests:
        wanted[request.product_id] = wanted.get(request.product_id, Decimal(0)) + _quantity(request.quantity)
    products = locked if locked is not None else lock_products(wanted)
    for product_id, quantity in sorted(wanted.items()):
        product = products.get(product_id)
        if product is None or product.status != S.PUBLISHED:
            raise BusinessRuleError(_("该商品已下架。"), code="product_unavailable",
                                    details={"product_id": product_id})
        if product.stock_reserved + quantity > product.stock_on_hand:
            raise BusinessRuleError(
                _("库存不足：可用 %(available)s，在库 %(on_hand)s，已预留 %(reserved)s。") % {
                    "available": product.stock_available, "on_hand": product.stock_on_hand,
                    "reserved": product.stock_reserved},
                code="insufficient_stock",
                details={"available": str(product.stock_available), "product_id": product_id})
    actor = by if by is not None and by.pk else None
    reservations = rows.insert_many(StockReservation, [StockReservation(
        product=products[request.product_id], holder=holder, kind=StockReservation.Kind.CHECKOUT,
        quantity=_quantity(request.quantity), reference=request.reference[:40], note=request.note[:200],
        created_by=actor,
    ) for request in requests])
    movements = []
    for reservation in reservations:
        product = products[reservation.product_id]
        product.stock_reserved += reservation.quantity
        movements.append(StockMovement(
            product=product, kind=StockMovement.Kind.RESERVATION, on_hand_change=Decimal(0),
            reserved_change=reservation.quantity, on_hand_after=product.stock_on_hand,
            reserved_after=product.stock_reserved, reservation=reservation, actor=actor,
            reference=reservation.reference, reason=(reservation.note or _("为 %(holder)s 预留") % {
                "holder": holder.name})[:200]))
    rows.update_each(Product, "stock_reserved", {pk: products[pk].stock_reserved for pk in wanted},
                     prepared="tp_product_reserved")
    rows.insert_many(StockMovement, movements)
    return reservations


@transaction.atomic
def reserve_for_client(*, by, product_id, holder, quantity, expires_at, note="") -> StockReservation:
    """库存预留 for a major client, by the seller, until `expires_at`."""
    product = _own_product(by, product_id, lock=False)
    if holder is None or not holder.can_trade:
        raise BusinessRuleError(_("只能为已认证且状态正常的企业预留库存。"), code="holder_not_verified",
                                details={"holder": _("该企业不能交易。")})
    if holder.pk == product.seller_id:
        raise BusinessRuleError(_("不能为自己的企业预留库存。"), code="holder_is_seller",
                                details={"holder": _("不能为自己的企业预留库存。")})
    if expires_at is None or expires_at <= timezone.now():
        raise BusinessRuleError(_("预留到期时间必须晚于现在。"), code="invalid_expiry",
                                details={"expires_at": _("预留到期时间必须晚于现在。")})
    if expires_at > timezone.now() + timedelta(days=180):
        raise BusinessRuleError(_("预留最长 180 天。"), code="invalid_expiry",
                                details={"expires_at": _("预留最长 180 天。")})
    reservation = reserve_stock(product_id=product.pk, holder=holder, quantity=quantity, by=by,
                                kind=StockReservation.Kind.MAJOR_CLIENT, expires_at=expires_at, note=note)
    audit.record(actor=by, action="stock.reserve", subject=product, company=product.seller,
                 after=f"{holder.name}: {reservation.quantity}", reason=note)
    notify_company(holder, kind="stock.reserved", key=f"stock-reservation:{reservation.pk}",
                   title=_("%(seller)s 为您预留了 %(quantity)s%(unit)s“%(title)s”") % {
                       "seller": product.seller.name, "quantity": reservation.quantity,
                       "unit": product.get_unit_display(), "title": product.title},
                   body=_("预留至 %(date)s。") % {"date": timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M")},
                   link=reverse("storefront:product", args=[product.pk]), permission=CompanyPermission.PURCHASING)
    return reservation


def _close_reservation(reservation_id, *, status, by, reason, reference=""):
    with transaction.atomic():
        reservation = StockReservation.objects.select_for_update().get(pk=reservation_id)
        if reservation.status != StockReservation.Status.ACTIVE:
            raise Conflict(_("该预留已结束。"), code="reservation_closed")
        product = Product.objects.select_for_update().get(pk=reservation.product_id)
        if status == StockReservation.Status.CONSUMED:
            _move(product, kind=StockMovement.Kind.STOCK_OUT, on_hand_change=-reservation.quantity,
                  reserved_change=-reservation.quantity, actor=by, reservation=reservation, reason=reason,
                  reference=reference)
        else:
            _move(product, kind=StockMovement.Kind.RELEASE, reserved_change=-reservation.quantity, actor=by,
                  reservation=reservation, reason=reason, reference=reference)
        reservation.status, reservation.closed_at = status, timezone.now()
        reservation.save(update_fields=["status", "closed_at"])
    return reservation


def release_reservation(*, reservation_id, by, reason) -> StockReservation:
    """Give reserved stock back to the available pool (order cancelled, client no longer needs it)."""
    return _close_reservation(reservation_id, status=StockReservation.Status.RELEASED, by=by, reason=reason)


def consume_reservation(*, reservation_id, by, reference="", reason="") -> StockReservation:
    """The reserved goods leave the warehouse (an order ships): on hand and reserved both go down."""
    return _close_reservation(reservation_id, status=StockReservation.Status.CONSUMED, by=by,
                              reason=reason or _("订单发货出库"), reference=reference)


@transaction.atomic
def release_own_reservation(*, by, reservation_id, reason) -> StockReservation:
    """The seller releases one of its major-client reservations early."""
    reservation = StockReservation.objects.filter(pk=reservation_id).first()
    if reservation is None:
        raise NotFound(_("未找到该预留。"))
    _own_product(by, reservation.product_id, lock=False)
    reservation = release_reservation(reservation_id=reservation.pk, by=by, reason=_reason(reason))
    audit.record(actor=by, action="stock.release", subject=reservation.product, company=reservation.product.seller,
                 after=f"{reservation.holder.name}: {reservation.quantity}", reason=reason)
    return reservation


def expire_reservations(*, now=None) -> int:
    """Release every active reservation past its expiry (the scheduled job; safe to run twice)."""
    now = now or timezone.now()
    expired = 0
    for reservation_id in StockReservation.objects.filter(
            status=StockReservation.Status.ACTIVE, expires_at__lte=now).values_list("pk", flat=True):
        try:
            _close_reservation(reservation_id, status=StockReservation.Status.EXPIRED, by=None,
                               reason=_("预留到期自动释放"))
        except Conflict:
            continue
        expired += 1
    return expired


# --- inquiries ----------------------------------------------------------------------------------

def _message_body(body):
    body = (body or "").strip()
    if not body:
        raise BusinessRuleError(_("请填写消息内容。"), code="empty_message", details={"body": _("请填写消息内容。")})
    if len(body) > 2000:
        raise BusinessRuleError(_("消息不能超过 2000 字。"), code="message_too_long",
                                details={"body": _("消息不能超过 2000 字。")})
    return body


@transaction.atomic
def start_inquiry(*, by, product_id, body, quantity=None) -> Inquiry:
    """A buyer asks the seller about a published listing; the seller's staff are told."""
    if by is None or not by.is_authenticated:
        raise NotAllowed(_("请先登录再询价。"), code="login_required")
    product = Product.objects.select_related("seller").filter(pk=product_id, status=S.PUBLISHED).first()
    if product is None:
        raise NotFound(_("未找到该商品。"))
    membership = getattr(by, "membership", None)
    company = membership.company if membership and membership.is_active else None
    if company is not None and company.pk == product.seller_id:
        raise BusinessRuleError(_("不能向自己的企业询价。"), code="own_product")
    if company is not None and company.status in {company.Status.FROZEN, company.Status.DEREGISTERED}:
        rules.ensure_company_may(company, Activity.PLACE_ORDERS)
    quantity = _quantity(quantity) if quantity not in (None, "") else None
    inquiry = Inquiry.objects.create(product=product, seller=product.seller, buyer=by, buyer_company=company,
                                     quantity=quantity)
    InquiryMessage.objects.create(inquiry=inquiry, author=by, body=_message_body(body))
    audit.record(actor=by, action="inquiry.start", subject=inquiry, company=company, after=product.title)
    notify_company(product.seller, kind="inquiry.new", key=f"inquiry:{inquiry.pk}:new",
                   title=_("新询价：%(title)s") % {"title": product.title},
                   body=_("%(buyer)s：%(body)s") % {"buyer": company.name if company else by.display_name,
                                                   "body": body[:200]},
                   link=reverse("merchant:inquiry", args=[inquiry.pk]), permission=CompanyPermission.MESSAGING)
    return inquiry


def may_answer_inquiries(user, company_id) -> bool:
    """A member of the company with messaging or product rights reads and answers its inquiries."""
    membership = getattr(user, "membership", None)
    return bool(membership and membership.is_active and membership.company_id == company_id
                and (membership.allows(CompanyPermission.MESSAGING) or membership.allows(CompanyPermission.PRODUCTS)))


def inquiry_side(user, inquiry):
    """'buyer', 'seller' or None: which side of the thread the user is on."""
    if inquiry.buyer_id == user.pk:
        return "buyer"
    return "seller" if may_answer_inquiries(user, inquiry.seller_id) else None


@transaction.atomic
def reply_to_inquiry(*, by, inquiry_id, body) -> InquiryMessage:
    inquiry = Inquiry.objects.select_for_update().select_related("product").filter(pk=inquiry_id).first()
    side = inquiry_side(by, inquiry) if inquiry else None
    if side is None:
        raise NotFound(_("未找到该询价。"))
    if inquiry.status == Inquiry.Status.CLOSED:
        raise Conflict(_("该询价已关闭。"), code="inquiry_closed")
    message = InquiryMessage.objects.create(inquiry=inquiry, author=by, from_seller=side == "seller",
                                            body=_message_body(body))
    inquiry.last_message_at = message.created_at
    inquiry.seller_unread, inquiry.buyer_unread = side == "buyer", side == "seller"
    inquiry.save(update_fields=["last_message_at", "seller_unread", "buyer_unread"])
    audit.record(actor=by, action="inquiry.reply", subject=inquiry,
                 company=inquiry.seller if side == "seller" else inquiry.buyer_company)
    title = _("询价有新回复：%(title)s") % {"title": inquiry.product.title}
    if side == "seller":
        from core.notifications import notify

        notify(recipient=inquiry.buyer, kind="inquiry.reply", key=f"inquiry-message:{message.pk}", title=title,
               body=message.body[:200], link=reverse("member:inquiry", args=[inquiry.pk]))
    else:
        notify_company(inquiry.seller, kind="inquiry.reply", key=f"inquiry-message:{message.pk}", title=title,
                       body=message.body[:200], link=reverse("merchant:inquiry", args=[inquiry.pk]),
                       permission=CompanyPermission.MESSAGING)
    return message


@transaction.atomic
def mark_inquiry_read(*, by, inquiry_id) -> None:
    inquiry = Inquiry.objects.filter(pk=inquiry_id).first()
    side = inquiry_side(by, inquiry) if inquiry else None
    if side == "seller" and inquiry.seller_unread:
        Inquiry.objects.filter(pk=inquiry.pk).update(seller_unread=False)
    elif side == "buyer" and inquiry.buyer_unread:
        Inquiry.objects.filter(pk=inquiry.pk).update(buyer_unread=False)


@transaction.atomic
def close_inquiry(*, by, inquiry_id) -> Inquiry:
    inquiry = Inquiry.objects.select_for_update().filter(pk=inquiry_id).first()
    if inquiry is None or inquiry_side(by, inquiry) is None:
        raise NotFound(_("未找到该询价。"))
    if inquiry.status != Inquiry.Status.CLOSED:
        inquiry.status = Inquiry.Status.CLOSED
        inquiry.save(update_fields=["status"])
        company = inquiry.seller if inquiry_side(by, inquiry) == "seller" else inquiry.buyer_company
        audit.record(actor=by, action="inquiry.close", subject=inquiry, company=company,
                     before=Inquiry.Status.OPEN, after=Inquiry.Status.CLOSED)
    return inquiry


# --- categories and settings (staff) ------------------------------------------------------------

def _ensure_catalog_admin(user):
    if not has_staff_role(user, *REVIEWER_ROLES):
        raise NotAllowed(_("只有审核员或管理员可以管理类目。"), code="catalog_admin_only")


@transaction.atomic
def save_category(*, by, category=None, name, slug, parent=None, name_en="", position=0, is_active=True) -> Category:
    _ensure_catalog_admin(by)
    errors = {}
    name, slug = (name or "").strip(), (slug or "").strip().lower()
    if not name:
        errors["name"] = _("请填写类目名称。")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", slug):
        errors["slug"] = _("标识只能包含小写字母、数字和连字符。")
    elif Category.objects.filter(slug=slug).exclude(pk=getattr(category, "pk", None)).exists():
        errors["slug"] = _("该标识已被使用。")
    node = parent
    while node is not None and category is not None:
        if node.pk == category.pk:
            errors["parent"] = _("上级类目不能是它自己或它的下级。")
            break
        node = node.parent
    if parent is not None and parent.products.exists():
        errors["parent"] = _("“%(name)s”下已有商品，不能再添加下级类目。") % {"name": parent.name}
    _refuse_if_errors(errors)
    before = _("（新建）") if category is None else f"{category.name} / {category.slug}"
    category = category or Category()
    category.name, category.slug, category.parent, category.name_en = name, slug, parent, (name_en or "").strip()
    category.position, category.is_active = position or 0, is_active
    category.save()
    audit.record(actor=by, action="category.save", subject=category, before=before,
                 after=f"{category.name} / {category.slug}")
    return category


@transaction.atomic
def save_category_attribute(*, by, category, name, kind, unit="", choices=(), is_required=False, is_filter=True,
                            position=0, attribute=None) -> CategoryAttribute:
    _ensure_catalog_admin(by)
    name = (name or "").strip()
    if not name:
        raise BusinessRuleError(_("请填写属性名。"), code="invalid_attribute", details={"name": _("请填写属性名。")})
    if kind not in CategoryAttribute.Kind.values:
        raise BusinessRuleError(_("属性类型无效。"), code="invalid_attribute", details={"kind": _("属性类型无效。")})
    same_name = CategoryAttribute.objects.filter(category=category, name=name)
    if same_name.exclude(pk=getattr(attribute, "pk", None)).exists():
        raise BusinessRuleError(_("该类目已有同名属性。"), code="duplicate_attribute",
                                details={"name": _("该类目已有同名属性。")})
    attribute = attribute or CategoryAttribute(category=category)
    attribute.name, attribute.kind, attribute.unit = name, kind, (unit or "").strip()
    attribute.choices = [choice.strip() for choice in choices if choice.strip()]
    attribute.is_required, attribute.is_filter, attribute.position = is_required, is_filter, position or 0
    attribute.save()
    audit.record(actor=by, action="category.attribute", subject=category, after=str(attribute))
    return attribute


@transaction.atomic
def delete_category_attribute(*, by, attribute_id) -> None:
    _ensure_catalog_admin(by)
    attribute = CategoryAttribute.objects.select_related("category").filter(pk=attribute_id).first()
    if attribute is None:
        raise NotFound()
    audit.record(actor=by, action="category.attribute.delete", subject=attribute.category, before=str(attribute))
    attribute.delete()


def catalog_settings() -> CatalogSettings:
    settings_row, _created = CatalogSettings.objects.get_or_create(pk=1)
    return settings_row


@transaction.atomic
def set_price_visibility(*, by, visibility) -> CatalogSettings:
    if not has_staff_role(by, StaffRole.ADMINISTRATOR):
        raise NotAllowed(_("只有管理员可以修改商城设置。"), code="administrator_only")
    if visibility not in CatalogSettings.PriceVisibility.values:
        raise BusinessRuleError(_("价格展示方式无效。"), code="invalid_setting")
    settings_row = CatalogSettings.objects.select_for_update().get_or_create(pk=1)[0]
    before, settings_row.price_visibility = settings_row.price_visibility, visibility
    settings_row.save(update_fields=["price_visibility", "updated_at"])
    audit.record(actor=by, action="catalog.settings", subject=settings_row, before=before, after=visibility)
    return settings_row
