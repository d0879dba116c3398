"""Chinese full-text search on PostgreSQL's own machinery, with core features only.

PostgreSQL has no Chinese word splitter in core (zhparser and pg_trgm are extensions, which
the embedded server lacks). Instead a listing's text becomes overlapping two-character
pieces (bigrams) for each run of CJK characters, and lower-cased words for Latin letters and
digits, stored as a `tsvector` under the built-in 'simple' configuration with a GIN index:

    "鲁丰 250g 白卡纸"  ->  鲁丰 250g 白卡 卡纸

A query is split the same way; each CJK run becomes a phrase of its bigrams (`白卡 <-> 卡纸`),
so "白卡纸" matches only where the three characters stand together, and every term must match.
Single characters are indexed too (weight D, after the bigrams so phrase positions hold), for
one-character searches such as "浆"; Latin and digit terms match as prefixes ("250" finds
"250g"). Title pieces carry weight A, the rest B, so title matches rank first.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Value

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[0-9a-zA-Z]+(?:[.][0-9]+)?")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")


def _pieces(run: str) -> list[str]:
    if _CJK_RUN.match(run):
        return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    return [run.lower()]


def terms(text: str) -> list[list[str]]:
    """The text's terms, each a list of pieces: ['白卡纸 250g'] -> [['白卡', '卡纸'], ['250g']]."""
    return [_pieces(run) for run in _TOKEN.findall(text or "")]


def index_text(*texts: str) -> str:
    """What goes into the tsvector: the pieces of all texts, space separated."""
    return " ".join(piece for text in texts for term in terms(text) for piece in term)


def single_characters(*texts: str) -> str:
    return " ".join(sorted({char for text in texts for run in re.findall(rf"[{_CJK}]+", text or "") for char in run}))


def search_vector(*, title: str, other_texts: list[str]):
    """An expression for `Product.search_vector`, to save with an UPDATE."""
    return (SearchVector(Value(index_text(title)), config="simple", weight="A")
            + SearchVector(Value(index_text(*other_texts)), config="simple", weight="B")
            + SearchVector(Value(single_characters(title, *other_texts)), config="simple", weight="D"))


def update_search_vectors(table: str, rows, batch_size=500):
    """Set the search vector of many rows, `rows` being (id, title, other texts): the same
    vector `search_vector` builds, in one UPDATE per batch (bulk import)."""
    rows = list(rows)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            params = []
            for pk, title, others in batch:
                params += [pk, index_text(title), index_text(*others), single_characters(title, *others)]
            values = ", ".join(["(%s::bigint, %s::text, %s::text, %s::text)"] * len(batch))
            cursor.execute(
                f"UPDATE {connection.ops.quote_name(table)} AS t SET search_vector = "  # noqa: S608 (table from _meta)
                "setweight(to_tsvector('simple'::regconfig, v.a), 'A') || "
                "setweight(to_tsvector('simple'::regconfig, v.b), 'B') || "
                "setweight(to_tsvector('simple'::regconfig, v.d), 'D') "
                f"FROM (VALUES {values}) AS v(id, a, b, d) WHERE t.id = v.id", params)


def _quote(piece: str) -> str:
    return "'" + piece.replace("'", "''").replace("\\", "\\\\") + "'"


def search_query(text: str) -> SearchQuery | None:
    """A tsquery for what a buyer typed, or None when it holds nothing searchable."""
    parts = []
    for term in terms(text)[:12]:
        if _CJK_RUN.match(term[0]):
            parts.append("(" + " <-> ".join(_quote(piece) for piece in term) + ")")
        else:
            parts.append(_quote(term[0]) + ":*")
    if not parts:
        return None
    return SearchQuery(" & ".join(parts), config="simple", search_type="raw")
