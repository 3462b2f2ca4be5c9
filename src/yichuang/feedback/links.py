"""Signed rating links (评价邀请): `/rate/case/<token>` rates one case online without signing in. The token is
the case's number signed with the project's secret and a timestamp; it expires after
FeedbackRules.link_valid_days and cannot be forged or moved to another case."""

from django.core import signing
from django.urls import NoReverseMatch, reverse

from yichuang.core.links import absolute

SALT = "yichuang.feedback.rating-link"


def make_token(case_number: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(case_number)


def read_token(token: str, max_age_days: int) -> str:
    """The case number of a valid token; raises signing.SignatureExpired or signing.BadSignature."""
    return signing.TimestampSigner(salt=SALT).unsign(str(token), max_age=max_age_days * 86400)


def rating_url(case_number: str) -> str:
    """The absolute address of the rating page of a case ('' until the page exists)."""
    try:
        return absolute(reverse("feedback:rate_case", args=[make_token(case_number)]))
    except NoReverseMatch:
        return ""
