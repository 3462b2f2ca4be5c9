"""A likely duplicate: the same applicant (ID number) with the same matters, already accepted today (online or at a
window: any channel counts).

At the window the clerk is shown the earlier submission's number and accepts only with an explicit "仍然受理" (the
desk's `confirm_duplicate`, the intake API's `confirm_duplicate`: 409 with the earlier number without it). The
online hall's form asks the same of the applicant ("我确认这是一次新的申请", portal.views): a repeat of the same
form is caught by its one-time token (yichuang.core.once), but the back button brings a fresh form with a new token
(the page is never cached), and that second try would otherwise make a second submission without a word. The
portal names the earlier number only when the signed-in phone may open it. The intake API's online channel is not
asked here: its client repeats with the Idempotency-Key.
"""

import datetime as dt

from django.db.models import Exists, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from . import identity
from .models import Case, Submission


class LikelyDuplicate(Exception):
    """Raised by `ensure_confirmed`: `earlier` is the submission already accepted today."""

    def __init__(self, earlier: Submission):
        self.earlier = earlier
        super().__init__(message(earlier))


def message(earlier: Submission) -> str:
    return _(
        "该申请人今天已办理过相同事项（受理编号 %(number)s，%(time)s 受理）。请核实是否重复提交；"
        "确属新的申请，请勾选“仍然受理”后再提交。"
    ) % {"number": earlier.number, "time": timezone.localtime(earlier.accepted_at).strftime("%H:%M")}


def earlier_same_day(
    id_number: str, matter_codes, bundle: str | None = None, *, idempotency_key: str | None = None, now=None
) -> Submission | None:
    """The latest submission accepted today for this ID number with exactly these matters (a bundle asked for
    without a choice of its matters: the same bundle), or None. One statement: a window intake is a hot path.

    A retry with an Idempotency-Key already used finds nothing (services.submit answers it with the first)."""
    id_number = identity.normalise(id_number or "")
    codes = {c for c in matter_codes or () if isinstance(c, str) and c}
    bundle = bundle if isinstance(bundle, str) and bundle and not codes else None
    if not id_number.isalnum() or not id_number.isascii() or len(id_number) > 18 or not (codes or bundle):
        return None
    key = (idempotency_key or "").strip()
    key = key if key and len(key) <= 200 and key.isprintable() else None
    now = timezone.localtime(now or timezone.now())
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Case.objects.filter(
            submission__applicant__id_number=id_number,
            submission__status=Submission.Status.ACCEPTED,
            submission__accepted_at__gte=start,
            submission__accepted_at__lt=start + dt.timedelta(days=1),
        )
        .annotate(replay=Exists(Submission.objects.filter(idempotency_key=key)) if key else Value(False))
        .order_by("-submission__accepted_at", "submission_id")
        .values_list(
            "submission_id",
            "submission__number",
            "submission__accepted_at",
            "matter__code",
            "submission__bundle__code",
            "replay",
        )[:200]
    )
    found: dict[int, dict] = {}
    for pk, number, accepted_at, code, bundle_code, replay in rows:
        if replay:
            return None
        entry = found.setdefault(pk, {"number": number, "at": accepted_at, "codes": set(), "bundle": bundle_code})
        entry["codes"].add(code)
    for pk, entry in found.items():  # the latest first
        if (bundle is not None and entry["bundle"] == bundle) or (codes and entry["codes"] == codes):
            return Submission(pk=pk, number=entry["number"], accepted_at=entry["at"])
    return None


def ensure_confirmed(
    id_number: str,
    matter_codes,
    bundle: str | None = None,
    *,
    confirmed: bool,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Raise LikelyDuplicate when the same applicant has the same matters accepted today and the clerk has not
    confirmed that this is a new application."""
    if confirmed:
        return
    earlier = earlier_same_day(id_number, matter_codes, bundle, idempotency_key=idempotency_key, now=now)
    if earlier is not None:
        raise LikelyDuplicate(earlier)
