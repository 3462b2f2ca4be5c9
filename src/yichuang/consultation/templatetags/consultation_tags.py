"""`{% article_link article %}`: a knowledge article's title linked to its page (`public=True`: the citizens' page)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


def article_url(article, public: bool = False) -> str:
    """Staff read an article in the knowledge base (/knowledge/<pk>/, which asks them to sign in); citizens its
    public page (/knowledge/a/<pk>/, public articles only)."""
    return reverse("knowledge:public" if public else "knowledge:article", args=[article.pk])


@register.simple_tag
def article_link(article, label: str = "", public: bool = False):
    title = label or (article.published.title if article.published_id else f"#{article.pk}")
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', article_url(article, public), title)
