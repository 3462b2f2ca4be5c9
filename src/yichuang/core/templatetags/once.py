"""`{% once_field %}`: the hidden one-time token of a form that creates something (yichuang.core.once)."""

from django import template
from django.utils.html import format_html

from yichuang.core import once

register = template.Library()


@register.simple_tag(takes_context=True)
def once_field(context, *name) -> str:
    """`name` tells apart several such forms on one page (`{% once_field "mail" %}`, `{% once_field "c" i %}`)."""
    token = once.token_for(context.get("request"), "".join(str(part) for part in name))
    return format_html('<input type="hidden" name="{}" value="{}">', once.FIELD, token)
