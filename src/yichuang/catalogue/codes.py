"""The form of a matter's codes (GB/T 39554.1, 政务服务事项基本目录及实施清单 编码要求), as checked here.

What is checked (docs/exchange.md says what the standard fixes and what we chose):

* 基本编码 (basic code): 12 characters, digits and capital letters (e.g. ``000105001000``).
* 实施编码 (implementation code): the implementing body's unified social credit code (18 characters, GB 32100,
  its check character verified), then the basic code (12), then an optional 业务办理项 suffix of up to 5 digits —
  30 to 35 characters. When the matter has a basic code, the implementation code must contain exactly it.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yichuang.intake.identity import USCC_CHARSET, uscc_check

BASIC_RE = re.compile(r"^[0-9A-Z]{12}$")
IMPLEMENTATION_RE = re.compile(rf"^([{USCC_CHARSET}]{{18}})([0-9A-Z]{{12}})([0-9]{{0,5}})$")


def validate_basic_code(value: str) -> None:
    if value and not BASIC_RE.match(value):
        raise ValidationError(_("基本编码应为12位数字或大写字母。"), code="basic_code")


def validate_implementation_code(value: str) -> None:
    if not value:
        return
    match = IMPLEMENTATION_RE.match(value)
    if not match:
        raise ValidationError(
            _("实施编码应为实施主体统一社会信用代码（18位）+ 基本编码（12位）+ 至多5位业务办理项编码。"),
            code="implementation_code",
        )
    credit = match.group(1)
    if uscc_check(credit[:17]) != credit[17]:
        raise ValidationError(_("实施编码中的统一社会信用代码校验位不正确。"), code="implementation_code")


def basic_code_of(implementation_code: str) -> str:
    match = IMPLEMENTATION_RE.match(implementation_code or "")
    return match.group(2) if match else ""
