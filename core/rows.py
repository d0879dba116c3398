"""Loading a few joined model instances with one hand-written statement, for the lookups that
run on every request (the signed-in user, a partner's API key). Django's compilation of the
equivalent select_related query costs several times what PostgreSQL needs to answer it, and
planning the join costs PostgreSQL more than running it: `fetch_one(..., prepared=name)` makes
it a server-side prepared statement, planned once per database session. (PREPARE is per
session and survives a rolled-back transaction; a pooler in transaction mode would not keep it.)

    sql = f"SELECT {columns(User, 'u')}, {columns(Membership, 'm')} FROM ..."
    user, at = instance(User, row, 0)
    membership, at = instance(Membership, row, at)   # None when the LEFT JOIN found nothing

Checkout runs the same way on every order: it locks and reads its rows with `fetch_all`
(`remember_related` hands instances back with a relation loaded, as prefetch_related would),
writes its new rows with `insert_many` and the reserved totals with `update_each`. The ORM is
the rule everywhere else; these are for statements that run on every request or every order.
"""

import functools
import re
import weakref

from django.db import connection


def columns(model, alias: str, *, defer: tuple[str, ...] = ()) -> str:
    """The model's columns, qualified by `alias`, in the order `instance` reads them; the
    fields named in `defer` are left out (pass the same to `instance`)."""
    return ", ".join(f'{alias}."{field.column}"' for field in _fields(model, defer))


def _fields(model, defer):
    return [field for field in model._meta.concrete_fields if field.name not in defer]


@functools.cache
def _layout(model, defer):
    fields = _fields(model, defer)
    # The fields that convert what the driver returns (a JSONField decodes its text), as a query would.
    converted = [(i, field, field.get_db_converters(connection)) for i, field in enumerate(fields)]
    return ([field.attname for field in fields], next(i for i, field in enumerate(fields) if field.primary_key),
            [(i, field, converters) for i, field, converters in converted if converters])


def instance(model, row, start: int, *, defer: tuple[str, ...] = ()):
    """The model instance whose columns start at `row[start]` (None if its primary key is NULL,
    as after a LEFT JOIN without a match), and where the next model's columns start. Fields in
    `defer` were not selected: they load on first access, as with QuerySet.defer."""
    attnames, pk_index, converted = _layout(model, defer)
    values = row[start:start + len(attnames)]
    if values[pk_index] is None:
        return None, start + len(attnames)
    if converted:
        values = list(values)
        for i, field, converters in converted:
            for converter in converters:
                values[i] = converter(values[i], field.cached_col, connection)
    return model.from_db(connection.alias, attnames, values), start + len(attnames)


def remember_related(obj, related_name: str, related: list) -> None:
    """Hand `obj` back with its reverse relation `related_name` loaded with `related`, as
    prefetch_related would: `obj.<related_name>.all()` answers without a query."""
    queryset = getattr(obj, related_name).all()
    queryset._result_cache, queryset._prefetch_done = related, True
    obj._prefetched_objects_cache = {**getattr(obj, "_prefetched_objects_cache", {}), related_name: queryset}


# The statements each database session has prepared: {psycopg2 connection: {name, ...}}.
_prepared = weakref.WeakKeyDictionary()


def fetch_one(sql: str, params, *, prepared: str = ""):
    """The first row of `sql` (placeholders `%s`), run as the prepared statement `prepared`
    when a name is given."""
    with connection.cursor() as cursor:
        _execute(cursor, sql, params, prepared)
        return cursor.fetchone()


def fetch_all(sql: str, params, *, prepared: str = ""):
    """Every row of `sql`, as `fetch_one`."""
    with connection.cursor() as cursor:
        _execute(cursor, sql, params, prepared)
        return cursor.fetchall()


def execute(sql: str, params, *, prepared: str = "") -> int:
    """Run a statement that returns no rows, as `fetch_one`; returns how many rows it changed."""
    with connection.cursor() as cursor:
        _execute(cursor, sql, params, prepared)
        return cursor.rowcount


def _execute(cursor, sql, params, prepared):
    if not prepared:
        cursor.execute(sql, params)
        return
    names = _prepared.setdefault(connection.connection, set())
    if prepared not in names:
        numbered = iter(range(1, len(params) + 1))
        cursor.execute(f"PREPARE {prepared} AS " + re.sub(r"%s", lambda _m: f"${next(numbered)}", sql))
        names.add(prepared)
    cursor.execute(f"EXECUTE {prepared}({', '.join(['%s'] * len(params))})", params)


def update_each(model, field_name: str, values: dict, *, prepared: str = "") -> None:
    """Set one field of many rows, each to its own value ({primary key: value}), in one statement:
    what QuerySet.bulk_update does, without compiling a CASE branch per row."""
    field, pk = model._meta.get_field(field_name), model._meta.pk
    sql = (f'UPDATE "{model._meta.db_table}" AS t SET "{field.column}" = v.value '  # noqa: S608
           f"FROM unnest(%s::{pk.rel_db_type(connection)}[], %s::{field.db_type(connection)}[]) AS v(pk, value) "
           f'WHERE t."{pk.column}" = v.pk')
    execute(sql, [list(values), list(values.values())], prepared=prepared)


PREPARED_ROWS = 20


def insert_many(model, objs: list) -> list:
    """QuerySet.bulk_create for the inserts checkout makes on every order: one INSERT, prepared
    once per database session for the model and the number of rows, instead of compiled again
    every time. As bulk_create: related objects saved since they were assigned are picked up,
    fields' pre_save runs (auto_now_add), the instances get their new ids, and no signals are
    sent. Either every instance has its primary key set already (drawn from the sequence) or
    none has. More than PREPARED_ROWS rows are rare there and go to bulk_create, so that a
    session doesn't pile up a prepared statement for every row count."""
    if len(objs) > PREPARED_ROWS:
        return model.objects.bulk_create(objs, batch_size=1000)
    if not objs:
        return objs
    meta = model._meta
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk for obj in objs):
        raise ValueError("insert_many: either every instance has its primary key or none has")
    fields = [field for field in meta.concrete_fields if with_pk or not field.primary_key]
    values = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_many")
        values.extend(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields)
    columns = ", ".join(f'"{field.column}"' for field in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {", ".join([row] * len(objs))} '  # noqa: S608
           f'RETURNING "{meta.pk.column}"')
    name = f"tp_insert_{meta.db_table}{'_pk' if with_pk else ''}_{len(objs)}"
    for obj, (pk,) in zip(objs, fetch_all(sql, values, prepared=name), strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    return objs
