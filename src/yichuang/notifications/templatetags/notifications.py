"""`{% load notifications %}{% submission_messages submission.number %}`: the outbox of one submission,
for any staff page (phones masked); `{{ phone|phone_masked }}`."""

from django import template

from yichuang.core.masking import mask_phone

from .. import queries

register = template.Library()


@register.filter
def phone_masked(value) -> str:
    return mask_phone(value)


@register.inclusion_tag("notifications/_messages.html", takes_context=True)
def submission_messages(context, number: str):
    return {"outbox": list(queries.for_submission(number)), "csrf_token": context.get("csrf_token")}
