"""`{% portal_ratings submission %}`: the rating forms of a submission's concluded cases in the online hall.
`{% rectification_dues_pending %}`: the sentence saying how many open rectifications wait for a year's holidays
before their due time can be computed (empty when none), for the supervision board."""

from django import template
from django.utils.translation import gettext as _

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


@register.simple_tag
def rectification_dues_pending() -> str:
    return "；".join(
        _("%(n)d 件整改期限待%(year)d年节假日安排录入后计算（请管理员录入%(year)d年节假日安排）")
        % {"n": n, "year": year}
        for year, n in queries.pending_due_years()
    )
