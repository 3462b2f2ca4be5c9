"""`{% article_link article %}`: a knowledge article's title, linked to its page when the knowledge base has one."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()


def article_url(article) -> str:
    for name in ("knowledge:article", "knowledge:detail"):
        try:
            return reverse(name, args=[article.pk])
        except NoReverseMatch:
            continue
    return ""


@register.simple_tag
def article_link(article, label: str = ""):
    title = label or (article.published.title if article.published_id else f"#{article.pk}")
    url = article_url(article)
    if not url:
        return title
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, title)
