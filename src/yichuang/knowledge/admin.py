"""The knowledge base in the admin: read-only. Articles change only through knowledge.services (the pages under
/knowledge/): drafting, review and publication keep their version history and audit trail."""

from django.contrib import admin

from yichuang.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Article, ArticleFile, ArticleVersion, SearchLog


class VersionInline(ReadOnlyInline):
    model = ArticleVersion
    fields = ["number", "title", "status", "visibility", "author", "submitted_at", "reviewer", "reviewed_at"]
    readonly_fields = fields


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "department", "kind", "visibility", "review_by", "updated_at", "withdrawn_at"]
    list_filter = ["visibility", "kind", "department"]
    search_fields = ["search_text"]
    list_select_related = ["published", "department"]
    exclude = ["search_grams"]
    inlines = [VersionInline]


@admin.register(ArticleVersion)
class ArticleVersionAdmin(ReadOnlyAdmin):
    list_display = ["title", "article", "number", "status", "author", "reviewer", "reviewed_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    list_select_related = ["article__published", "author", "reviewer"]


@admin.register(ArticleFile)
class ArticleFileAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "content_type", "size"]
    search_fields = ["name"]


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdmin):
    list_display = ["query", "hits", "source", "at"]
    list_filter = ["source"]
    search_fields = ["query"]
    date_hierarchy = "at"
