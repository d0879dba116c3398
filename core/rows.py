"""Loading a few joined model instances with one hand-written statement, for the lookups that
run on every request (the signed-in user, a partner's API key). Django's compilation of the
equivalent select_related query costs several times what PostgreSQL needs to answer it, and
planning the join costs PostgreSQL more than running it: `fetch_one(..., prepared=name)` makes
it a server-side prepared statement, planned once per database session. (PREPARE is per
session and survives a rolled-back transaction; a pooler in transaction mode would not keep it.)

    sql = f"SELECT {columns(User, 'u')}, {columns(Membership, 'm')} FROM ..."
    user, at = instance(User, row, 0)
    membership, at = instance(Membership, row, at)   # None when the LEFT JOIN found nothing
"""

import functools
import re
import weakref

from django.db import connection


def columns(model, alias: str) -> str:
    """The model's columns, qualified by `alias`, in the order `instance` reads them."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


@functools.cache
def _layout(model):
    fields = model._meta.concrete_fields
    return [field.attname for field in fields], next(i for i, field in enumerate(fields) if field.primary_key)


def instance(model, row, start: int):
    """The model instance whose columns start at `row[start]` (None if its primary key is NULL,
    as after a LEFT JOIN without a match), and where the next model's columns start."""
    attnames, pk_index = _layout(model)
    values = row[start:start + len(attnames)]
    loaded = model.from_db(connection.alias, attnames, values) if values[pk_index] is not None else None
    return loaded, start + len(attnames)


# The statements each database session has prepared: {psycopg2 connection: {name, ...}}.
_prepared = weakref.WeakKeyDictionary()


def fetch_one(sql: str, params, *, prepared: str = ""):
    """The first row of `sql` (placeholders `%s`), run as the prepared statement `prepared`
    when a name is given."""
    with connection.cursor() as cursor:
        if not prepared:
            cursor.execute(sql, params)
            return cursor.fetchone()
        session = connection.connection
        names = _prepared.setdefault(session, set())
        if prepared not in names:
            numbered = iter(range(1, len(params) + 1))
            cursor.execute(f"PREPARE {prepared} AS " + re.sub(r"%s", lambda _m: f"${next(numbered)}", sql))
            names.add(prepared)
        cursor.execute(f"EXECUTE {prepared}({', '.join(['%s'] * len(params))})", params)
        return cursor.fetchone()
