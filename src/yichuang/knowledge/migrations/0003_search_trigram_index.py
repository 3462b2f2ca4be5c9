"""On PostgreSQL, a pg_trgm GIN index on the articles' search text (as the guide's catalogue migration 0003)."""

from django.db import migrations, transaction


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:
        # Without the right to create extensions the search still works, by a sequential scan.
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS knowledge_article_search_trgm "
        "ON knowledge_article USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS knowledge_article_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_version_visibility")]
    operations = [migrations.RunPython(create_index, drop_index)]
