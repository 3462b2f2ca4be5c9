"""`{% portal_ratings submission %}`: the rating forms of a submission's concluded cases in the online hall."""

from django import template

from yichuang.feedback import queries, services
from yichuang.feedback.models import ONLINE_DIMENSIONS, Level

register = template.Library()


@register.inclusion_tag("feedback/_portal_ratings.html", takes_context=True)
def portal_ratings(context, submission):
    return {
        "rows": queries.ratable_cases(submission),
        "levels": [(level.value, level.label) for level in Level],
        "dimensions": list(ONLINE_DIMENSIONS.items()),
        "tags": list(services.TAGS.items()),
        "comment_limit": services.COMMENT_LIMIT,
        "csrf_token": context.get("csrf_token"),
        "errors": [],
    }
