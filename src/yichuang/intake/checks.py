"""Helpers for checking an intake's input before anything is written: the error collector (field path →
messages) that `submit`, `refuse` and the material rules share, and how codes are recognised and quoted."""

import re

from django.core.exceptions import ValidationError

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")  # catalogue codes (matters, materials, bundles)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_code(value) -> bool:
    return isinstance(value, str) and bool(CODE_RE.match(value))


def shown(value) -> str:
    """A code as a message may quote it: printable, at most 40 characters."""
    return "".join(c for c in str(value)[:40] if c.isprintable())


class Errors:
    """Field path → messages, collected before anything is written."""

    def __init__(self):
        self.by_field: dict[str, list[str]] = {}

    def add(self, path: str, message) -> None:
        messages = self.by_field.setdefault(path, [])
        if str(message) not in messages:
            messages.append(str(message))

    def add_exc(self, path: str, exc: ValidationError) -> None:
        for message in exc.messages:
            self.add(path, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)
