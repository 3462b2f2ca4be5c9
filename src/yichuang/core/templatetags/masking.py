"""`{% load masking %}{{ name|mask_name }}`: core.masking's name mask in templates (张**), so a page never writes
its own."""

from django import template

from yichuang.core.masking import mask_name as _mask_name

register = template.Library()


@register.filter
def mask_name(value) -> str:
    return _mask_name(value)
