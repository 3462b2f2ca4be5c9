"""The platform's own periodic job: removing one-time form tokens past their lifetime (yichuang.core.once)."""

from . import once, periodic

FORM_TOKENS = "core.form_tokens"


@periodic.job(FORM_TOKENS, period="FORM_TOKEN_CLEANUP_SECONDS", title="清理过期的一次性表单令牌")
def remove_expired_form_tokens() -> dict:
    return {"removed": once.remove_expired()}
