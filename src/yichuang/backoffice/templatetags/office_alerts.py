"""The header's alert count ({% alert_badge %}, through backoffice/_alert_badge.html in base.html): shown only to
people who get alerts (officers, leads, supervisors), counting their own unread ones."""

from django import template

from yichuang.backoffice import queries

register = template.Library()


@register.inclusion_tag("backoffice/_alert_badge_link.html", takes_context=True)
def alert_badge(context) -> dict:
    user = context.get("user")
    if user is None or context.get("pdf") or not queries.sees_alerts(user):
        return {"show": False}
    unread = queries.unread_count(user)
    return {"show": True, "unread": unread, "capped": unread > 99}  # "99+" keeps the header narrow
