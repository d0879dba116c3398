"""core.rows: the hand-written, prepared statements of the hot paths save and load what the ORM
would."""

from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import PriceTier, Product
from core import rows
from core.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _event(company, number):
    return AuditEvent(company=company, action="order.place", subject_id=str(number),
                      data={"number": f"PO-{number}", "金额": "12.50"})


def test_insert_many_saves_what_bulk_create_would(buyer):
    made = rows.insert_many(AuditEvent, [_event(buyer, 1), _event(buyer, 2)])

    assert all(event.pk and not event._state.adding for event in made)
    saved = AuditEvent.objects.filter(pk__in=[event.pk for event in made]).order_by("pk")
    assert [(e.subject_id, e.data, e.company_id) for e in saved] == [
        ("1", {"number": "PO-1", "金额": "12.50"}, buyer.pk), ("2", {"number": "PO-2", "金额": "12.50"}, buyer.pk)]


def test_insert_many_picks_up_related_objects_saved_after_assignment(seller):
    product = factories.product(seller=seller)
    tier = PriceTier(product=Product(seller=seller, category=product.category, title="新品", price="1.00"),
                     min_quantity="10", unit_price="0.90")
    tier.product.save()

    [saved] = rows.insert_many(PriceTier, [tier])

    assert PriceTier.objects.get(pk=saved.pk).product_id == tier.product.pk


def test_insert_many_with_many_rows_and_with_preset_ids(buyer):
    many = rows.insert_many(AuditEvent, [_event(buyer, n) for n in range(rows.PREPARED_ROWS + 5)])
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in many]).count() == rows.PREPARED_ROWS + 5

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('core_auditevent', 'id'))")
        preset = _event(buyer, 99)
        preset.pk = cursor.fetchone()[0]
    rows.insert_many(AuditEvent, [preset])
    assert AuditEvent.objects.get(pk=preset.pk).subject_id == "99"

    with pytest.raises(ValueError):
        rows.insert_many(AuditEvent, [_event(buyer, 3), preset])


def test_update_each_sets_each_row_its_own_value(seller):
    first, second = factories.product(seller=seller, title="甲"), factories.product(seller=seller, title="乙")

    rows.update_each(Product, "price", {first.pk: "10.50", second.pk: "20.25"})

    assert dict(Product.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "price")) == {
        first.pk: Decimal("10.50"), second.pk: Decimal("20.25")}
