"""Identity numbers: the resident ID (GB 11643-1999) and the unified social credit code (GB 32100-2015).

Both validators take what a person typed (spaces, lower-case x tolerated), return the normalised number and
raise a ValidationError with a precise Chinese message otherwise — never anything else.

Resident ID, 18 characters: 6-digit region code (province 11–82), 8-digit birth date YYYYMMDD, 3-digit
sequence, and a check character by ISO 7064 MOD 11-2: with weights 2^(17−i) mod 11 (7 9 10 5 8 4 2 1 6 3 7 9
10 5 8 4 2) over the first 17 digits, the check is "10X98765432"[sum mod 11].

Unified social credit code, 18 characters from the 31-character set 0–9 A–Y without I, O, Z, S, V:
registration authority (1), organisation kind (1), region code (6 digits), organisation code (9), and a check
character: with weights 3^i mod 31 (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28), the check is the
character of value 31 − (sum mod 31) (31 → "0").
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
ID_CHECK = "10X98765432"
# Province-level codes of GB/T 2260 (and 71 Taiwan, 81 Hong Kong, 82 Macao, used in residence permits).
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54}
    | {61, 62, 63, 64, 65, 71, 81, 82}
)
EARLIEST_BIRTH = datetime.date(1900, 1, 1)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARSET)}
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]

_SPACES = re.compile(r"[\s\u3000]+")


def normalise(value) -> str:
    return _SPACES.sub("", str(value or "")).upper()


def resident_id_check(first17: str) -> str:
    """The check character of the 17 leading digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def uscc_check(first17: str) -> str:
    """The check character of the 17 leading characters of a unified social credit code."""
    total = sum(USCC_VALUES[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_resident_id(value, today: datetime.date | None = None) -> str:
    """The normalised 18-character resident ID, or ValidationError (code names the rule broken)."""
    number = normalise(value)
    if not number:
        raise ValidationError(_("请输入身份证号码。"), code="required")
    if len(number) != 18:
        raise ValidationError(_("身份证号码应为 18 位，现为 %(n)d 位。") % {"n": len(number)}, code="length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("身份证号码前 17 位应为数字，最后一位为数字或 X。"), code="charset")
    if int(number[:2]) not in PROVINCES or number[2:6] == "0000":
        raise ValidationError(_("身份证号码的前 6 位不是有效的行政区划代码。"), code="region")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("身份证号码第 7–14 位的出生日期“%(date)s”不是有效日期。") % {"date": number[6:14]}, code="birth_date"
        ) from None
    today = today or timezone.localdate()
    if birth > today:
        raise ValidationError(_("身份证号码中的出生日期晚于今天。"), code="birth_date")
    if birth < EARLIEST_BIRTH:
        raise ValidationError(_("身份证号码中的出生日期早于 1900 年。"), code="birth_date")
    if resident_id_check(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验位不正确，请逐位核对。"), code="checksum")
    return number


def validate_credit_code(value) -> str:
    """The normalised 18-character unified social credit code, or ValidationError."""
    code = normalise(value)
    if not code:
        raise ValidationError(_("请输入统一社会信用代码。"), code="required")
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为 18 位，现为 %(n)d 位。") % {"n": len(code)}, code="length")
    bad = [c for c in code if c not in USCC_VALUES]
    if bad:
        raise ValidationError(
            _("统一社会信用代码含无效字符“%(chars)s”（只用数字和除 I、O、Z、S、V 以外的大写字母）。")
            % {"chars": "".join(dict.fromkeys(bad))},
            code="charset",
        )
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第 3–8 位应为行政区划代码（6 位数字）。"), code="region")
    if uscc_check(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验码不正确，请逐位核对。"), code="checksum")
    return code


def birth_date(resident_id: str) -> datetime.date:
    return datetime.date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))
