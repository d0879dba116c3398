"""Loading a few joined model instances with one hand-written statement, for the lookups that
run on every request (the signed-in user, a partner's API key). Django's compilation of the
equivalent select_related query costs several times what PostgreSQL needs to answer it, and
planning the join costs PostgreSQL more than running it: `fetch_one(..., prepared=name)` makes
it a server-side prepared statement, planned once per database session. (PREPARE is per
session and survives a rolled-back transaction; a pooler in transaction mode would not keep it.)

    sql = f"SELECT {columns(User, 'u')}, {columns(Membership, 'm')} FROM ..."
    user, at = instance(User, row, 0)
    membership, at = instance(Membership, row, at)   # None when the LEFT JOIN found nothing

Checkout uses the same for the rows it locks and snapshots (`fetch_all`), since it runs them on
every order; `remember_related` hands such instances back with a relation loaded, as
prefetch_related would.
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
    sql = (f'UPDATE {model._meta.db_table} AS t SET "{field.column}" = v.value '  # noqa: S608
           f"FROM unnest(%s::{pk.rel_db_type(connection)}[], %s::{field.db_type(connection)}[]) AS v(pk, value) "
           f'WHERE t."{pk.column}" = v.pk')
    execute(sql, [list(values), list(values.values())], prepared=prepared)
