"""`{% load notifications %}{% submission_messages submission.number %}`: the outbox of one submission,
for any staff page (phones masked); `{{ phone|phone_masked }}`."""

from django import template

from yichuang.core.masking import mask_phone

from .. import queries
from ..addresses import mask_address, mask_email, mask_openid

register = template.Library()


@register.filter
def phone_masked(value) -> str:
    return mask_phone(value)


@register.filter
def address_masked(message) -> str:
    """The address a message went to, masked for its channel."""
    return mask_address(message.channel, message.to)


@register.filter
def email_masked(value) -> str:
    return mask_email(value)


@register.filter
def openid_masked(value) -> str:
    return mask_openid(value)


@register.inclusion_tag("notifications/_messages.html", takes_context=True)
def submission_messages(context, number: str):
    return {"outbox": list(queries.for_submission(number)), "csrf_token": context.get("csrf_token")}
