"""The search index over Article.search_grams (the published text as overlapping character pairs).

A two-character word (登记) is one token of it and a longer word a phrase of its pairs (变更 更登 登记), so an
inverted index answers the guide's substring semantics without scanning every article — a LIKE '%登记%' scan of
20,000 articles takes 150–500 ms, and pg_trgm cannot index patterns shorter than three characters.

- SQLite: an external-content FTS5 table kept in step with the article row by triggers.
- PostgreSQL: a stored generated tsvector column ('simple' configuration: no stemming, no stop words) with a
  GIN index. Django does not know the column; queries.py reads it by raw SQL.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE knowledge_article_fts USING fts5("
    "search_grams, content='knowledge_article', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "INSERT INTO knowledge_article_fts(rowid, search_grams) SELECT id, search_grams FROM knowledge_article",
    "CREATE TRIGGER knowledge_article_fts_ai AFTER INSERT ON knowledge_article BEGIN "
    "INSERT INTO knowledge_article_fts(rowid, search_grams) VALUES (new.id, new.search_grams); END",
    "CREATE TRIGGER knowledge_article_fts_ad AFTER DELETE ON knowledge_article BEGIN "
    "INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, search_grams) "
    "VALUES ('delete', old.id, old.search_grams); END",
    "CREATE TRIGGER knowledge_article_fts_au AFTER UPDATE OF search_grams ON knowledge_article BEGIN "
    "INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, search_grams) "
    "VALUES ('delete', old.id, old.search_grams); "
    "INSERT INTO knowledge_article_fts(rowid, search_grams) VALUES (new.id, new.search_grams); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS knowledge_article_fts_au",
    "DROP TRIGGER IF EXISTS knowledge_article_fts_ad",
    "DROP TRIGGER IF EXISTS knowledge_article_fts_ai",
    "DROP TABLE IF EXISTS knowledge_article_fts",
]
POSTGRES_UP = [
    "ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_grams)) STORED",
    "CREATE INDEX knowledge_article_search_vector ON knowledge_article USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS knowledge_article_search_vector",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_search_grams")]
    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
