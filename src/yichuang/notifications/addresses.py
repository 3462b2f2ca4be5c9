"""Masking of a person's addresses on every channel, for logs, pages and the admin (as core.masking does phones)."""

from yichuang.core.masking import mask_phone


def mask_email(value: str | None) -> str:
    """z***@example.com style: the first character of the mailbox and the domain kept."""
    if not value:
        return ""
    local, sep, domain = str(value).partition("@")
    if not sep:
        return "*" * len(local)
    return f"{local[:1]}***@{domain}"


def mask_openid(value: str | None) -> str:
    """oAbc****wxyz style: enough to tell two accounts apart, not enough to address one."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}****{value[-4:]}"


def mask_address(channel: str, address: str | None) -> str:
    if channel == "email":
        return mask_email(address)
    if channel == "wechat":
        return mask_openid(address)
    return mask_phone(address)
