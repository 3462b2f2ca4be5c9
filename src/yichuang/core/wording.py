"""The hall's wording for Django's stock validation messages.

Django's zh-Hans catalogue says "确保该变量包含不超过 2000 字符 (目前字符数 5000)。" for a text too long,
"不允许是用空字符串。" (wrong: it is about NUL characters) for a control character, and "这个字段是必填项。" where
our own rules say "此项为必填。". Every form field and model field takes its messages from these class
attributes, so setting them once at start-up (CoreConfig.ready) gives every form — ours and the admin's — the same
plain wording as the services."""

from django.core import validators
from django.forms import Field
from django.utils.translation import gettext_lazy as _

REQUIRED = _("此项为必填。")
TOO_LONG = _("不能超过 %(limit_value)d 个字（现有 %(show_value)d 个）。")
TOO_SHORT = _("至少 %(limit_value)d 个字（现有 %(show_value)d 个）。")
CONTROL_CHARACTER = _("内容含有不允许的控制字符。")


def install() -> None:
    Field.default_error_messages = {**Field.default_error_messages, "required": REQUIRED}
    validators.MaxLengthValidator.message = TOO_LONG
    validators.MinLengthValidator.message = TOO_SHORT
    validators.ProhibitNullCharactersValidator.message = CONTROL_CHARACTER
