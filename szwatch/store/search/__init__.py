"""Full-text search over articles that works for Chinese, for queries of any length, on years of issues.

Chinese has no spaces between words, so word tokenizers find nothing, and trigram indexes cannot answer the
one- and two-character queries that are common in Chinese (``硅``, ``平朔``). This index is character-level:
every article is indexed by its single characters (they answer one-character queries) and by its
overlapping pairs of characters (they answer two-character queries, and longer ones as a phrase of pairs:
``多晶硅`` = the pair ``多晶`` followed by ``晶硅``). Pairs are far rarer than single characters, so even a
frequent longer term reads short posting lists. Matching is exact for terms made of letters and digits (a
phrase of pairs inside one run of them is a substring of that run); a term with punctuation in it is also
checked against the stored text.

The row key is the article's issue date and id packed into one integer, so "newest first" is the index's
own order: the first page of a term found in 100,000 articles reads 20 entries of the index, not 100,000.

SQLite: one contentless FTS5 table (``search_fts``). Contentless means no second copy of the text; the price
is that a row is removed by giving the values it was indexed with, which ``remove`` recomputes from the
article before it changes. PostgreSQL: a table of ``tsvector`` rows (``search_docs``) with a GIN index; the
tsvector is built here, lexeme by lexeme, so the database's locale and text parser play no part. Beside it,
``search_places`` keeps each pair's places by pair and ten days of issues, so that ranking a frequent term reads a
few rows per pair instead of 2,000 tsvectors out of TOAST (``pair_places``).

The index is read and written with plain SQL (``store.plain``), never through the ORM: ``szwatch search`` on the
embedded store then reads it through sqlite3 without importing SQLAlchemy or defining the table classes, which
were nearly all of its start-up.

The package's modules: ``index`` writes the index, ``query`` reads it, ``pair_places`` keeps where each pair stands
for ranking on PostgreSQL, ``beside`` runs a statement on a second connection, ``excerpt`` cuts the words around
the terms for display. The names other packages use are re-exported here.
"""

from szwatch.store.search.excerpt import excerpt, mark_terms, spans
from szwatch.store.search.index import (
    ORDERS,
    PG_DDL,
    PG_TABLE,
    SQLITE_DDL,
    SQLITE_TABLES,
    Doc,
    add,
    docs_for,
    page_token,
    pg_places,
    pg_tsvector,
    rebuild,
    rebuild_places,
    remove,
    search_key,
    tsvector_literal,
)
from szwatch.store.search.pair_places import PLACES_DDL, PLACES_TABLE
from szwatch.store.search.query import Hit, SearchError, SearchQuery, SearchResult, find, search, terms_of

__all__ = [
    "ORDERS",
    "PG_DDL",
    "PG_TABLE",
    "PLACES_DDL",
    "PLACES_TABLE",
    "SQLITE_DDL",
    "SQLITE_TABLES",
    "Doc",
    "Hit",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "add",
    "docs_for",
    "excerpt",
    "find",
    "mark_terms",
    "page_token",
    "pg_places",
    "pg_tsvector",
    "rebuild",
    "rebuild_places",
    "remove",
    "search",
    "search_key",
    "spans",
    "terms_of",
    "tsvector_literal",
]
