"""Phone numbers, read the same way at every door (kiosk, booking, intake desk and API, online hall, outbox).

`normalise` is the one reading: spaces, dashes and brackets dropped, a +86 / 0086 country prefix cut.
`clean_mobile` and `clean_phone` check what it gives: a mainland mobile (13812345678), or for intake also a
landline with its area code (0394-5212345, kept with its dash as written). Masking is `core.masking`.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_SEPARATORS_RE = re.compile(r"[\s()]")
_PREFIXES = ("+86", "0086")


def _without_prefix(phone: str) -> str:
    for prefix in _PREFIXES:
        if phone.startswith(prefix):
            return phone[len(prefix) :].lstrip("-")
    return phone


def normalise(value) -> str:
    """The number as digits only (a landline's dash dropped too), without the country prefix; '' for none."""
    return _without_prefix(_SEPARATORS_RE.sub("", str(value or ""))).replace("-", "")


def is_mobile(value) -> bool:
    return bool(MOBILE_RE.match(normalise(value)))


def clean_mobile(value, *, blank: bool = False) -> str:
    """A mainland mobile number as 11 digits, or ValidationError; '' for an empty value when `blank`."""
    phone = normalise(value)
    if not phone and blank:
        return ""
    if not MOBILE_RE.match(phone):
        raise ValidationError(_("请输入 11 位手机号码。"), code="phone")
    return phone


def clean_phone(value) -> str:
    """A mainland mobile (as 11 digits) or a landline with its area code (as written: 0394-5212345 or 03945212345),
    or ValidationError; '' for an empty value."""
    written = _without_prefix(_SEPARATORS_RE.sub("", str(value or "")))
    if not written:
        return ""
    if MOBILE_RE.match(written.replace("-", "")):
        return written.replace("-", "")
    if LANDLINE_RE.match(written):
        return written
    raise ValidationError(_("请输入 11 位手机号码，或带区号的固定电话（如 0394-5212345）。"), code="phone")
