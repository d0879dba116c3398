"""Loading a few joined model instances with one hand-written statement, for the lookups that
run on every request (the signed-in user, a partner's API key). Django's compilation of the
equivalent select_related query costs several times what PostgreSQL needs to answer it.

    sql = f"SELECT {columns(User, 'u')}, {columns(Membership, 'm')} FROM ..."
    user, at = instance(User, row, 0)
    membership, at = instance(Membership, row, at)   # None when the LEFT JOIN found nothing
"""

from django.db import connection


def _fields(model):
    return model._meta.concrete_fields


def columns(model, alias: str) -> str:
    """The model's columns, qualified by `alias`, in the order `instance` reads them."""
    return ", ".join(f'{alias}."{field.column}"' for field in _fields(model))


def instance(model, row, start: int):
    """The model instance whose columns start at `row[start]` (None if its primary key is NULL,
    as after a LEFT JOIN without a match), and where the next model's columns start."""
    fields = _fields(model)
    values = row[start:start + len(fields)]
    pk_index = next(i for i, field in enumerate(fields) if field.primary_key)
    loaded = None
    if values[pk_index] is not None:
        loaded = model.from_db(connection.alias, [field.attname for field in fields], values)
    return loaded, start + len(fields)


def fetch_one(sql: str, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
