"""The pre-filled applications' periodic job: what is no longer needed is forgotten (personal data and files are
kept no longer than their use), every `PREFILL_CLEANUP_SECONDS`, started by the task worker itself."""

from yichuang.core import periodic

from . import services

CLEANUP = "prefill.cleanup"


@periodic.job(CLEANUP, period="PREFILL_CLEANUP_SECONDS", title="预填申请清理（过期未受理的删除，已受理的删除暂存文件）")
def prefill_cleanup() -> dict:
    return services.forget_unneeded()
