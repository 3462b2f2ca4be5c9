"""State changes of the online hall: sign-in codes, the applicant's session, progress lookups.

Sign-in: `request_code(phone)` sends a 6-digit code through the notification outbox (valid 5 minutes; a new
code replaces the previous one; at most one per phone per minute and PORTAL_CODE_CLIENT_RATE per client
address, counted by yichuang.queue.ratelimit). `verify_code(phone, code)` allows 5 tries per code. On success the
session holds the verified phone (`sign_in`), apart from staff authentication: a signed-in applicant is no
Django user and reaches no staff page.

Progress lookup without an account: `lookup(number, last4)` answers the same for an unknown number and for
wrong digits, and is rate-limited per client address and per number: submission numbers are sequential, so the
failures on one number count wherever they come from (PORTAL_LOOKUP_NUMBER_RATE), and the failure that uses up its
limit tells the applicant by message, once per period.

Files of a refused application (`stage_upload`, `staged_uploads`, `attach_staged`, `discard_staged`): each upload
that passed the upload check is kept on the server for that form and that phone, so that the form shown again
says "已上传" instead of asking for it again; attached once the submission is accepted, then deleted.
"""

import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.core.masking import mask_phone
from yichuang.core.phones import clean_mobile
from yichuang.intake.uploads import sniff, upload_problem
from yichuang.notifications.models import Message
from yichuang.notifications.services import notify
from yichuang.queue import ratelimit

from .models import SignInCode, StagedUpload

CODE_DIGITS = 6
CODE_MINUTES = 5
MAX_TRIES = 5

SESSION_PHONE = "portal_phone"
SESSION_AT = "portal_verified_at"
SESSION_PENDING = "portal_pending_phone"
SESSION_LOOKUPS = "portal_lookups"
MAX_LOOKUPS_KEPT = 20


class Throttled(ValidationError):
    """Too many requests: `wait` seconds before the next one is accepted."""

    def __init__(self, message, wait: float):
        super().__init__(message, code="throttled")
        self.wait = wait


def _setting(name: str, default):
    return getattr(settings, name, default) or default


def phone_hash(phone: str) -> str:
    return salted_hmac("yichuang.portal.phone", phone, algorithm="sha256").hexdigest()


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac("yichuang.portal.code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _throttle(key: str, rate: str, message: str) -> None:
    wait = ratelimit.hit(key, rate)
    if wait:
        raise Throttled(message % {"s": int(wait + 0.999)}, wait)


def _client(request) -> str:
    return ratelimit.client_key(request) if request is not None else "local"


# --- sign-in codes -----------------------------------------------------------------------------------


def request_code(phone, *, request=None) -> SignInCode:
    """Send a new sign-in code to `phone` (through the outbox, after the commit)."""
    phone = clean_mobile(phone)
    _throttle(
        f"portal:code:client:{_client(request)}",
        _setting("PORTAL_CODE_CLIENT_RATE", "20/3600"),
        _("获取验证码过于频繁，请 %(s)s 秒后再试。"),
    )
    _throttle(
        f"portal:code:phone:{phone_hash(phone)[:32]}",
        _setting("PORTAL_CODE_RATE", "1/60"),
        _("验证码已发送，请 %(s)s 秒后再重新获取。"),
    )
    return _issue_code(phone, request)


@transaction.atomic
def _issue_code(phone: str, request) -> SignInCode:
    now = timezone.now()
    key = phone_hash(phone)
    SignInCode.objects.filter(phone_hash=key, status=SignInCode.Status.OPEN).update(status=SignInCode.Status.SUPERSEDED)
    SignInCode.objects.filter(created_at__lt=now - timedelta(days=1)).delete()  # nothing to keep them for
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    expires = now + timedelta(minutes=CODE_MINUTES)
    row = SignInCode.objects.create(
        phone_hash=key, code_hash=_code_hash(phone, code), created_at=now, expires_at=expires
    )
    notify(phone, Message.Kind.SIGN_IN_CODE, {"code": code, "minutes": CODE_MINUTES}, expires_at=expires)
    audit.record(None, "portal.request_code", row, summary=mask_phone(phone), request=request)
    return row


def verify_code(phone, code, *, request=None) -> None:
    """Check a code typed by the applicant; raises ValidationError (with the tries left) when it is not right."""
    phone = clean_mobile(phone)
    code = re.sub(r"\s", "", str(code or ""))
    outcome, tries_left = _check_code(phone, code, request)
    if outcome == "ok":
        return
    if outcome == "none":
        raise ValidationError(_("验证码已失效，请重新获取。"), code="expired")
    if outcome == "locked":
        raise ValidationError(_("验证码错误次数过多，请重新获取。"), code="locked")
    raise ValidationError(_("验证码不正确，还可尝试 %(n)d 次。") % {"n": tries_left}, code="wrong")


@transaction.atomic
def _check_code(phone: str, code: str, request) -> tuple[str, int]:
    """Counts the try in the database (committed, whatever the outcome)."""
    now = timezone.now()
    row = (
        SignInCode.objects.select_for_update()
        .filter(phone_hash=phone_hash(phone), status=SignInCode.Status.OPEN, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return "none", 0
    row.attempts += 1
    if re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code) and constant_time_compare(row.code_hash, _code_hash(phone, code)):
        row.status = SignInCode.Status.USED
        row.used_at = now
        row.save(update_fields=["attempts", "status", "used_at"])
        audit.record(None, "portal.sign_in", row, summary=mask_phone(phone), request=request)
        return "ok", MAX_TRIES - row.attempts
    if row.attempts >= MAX_TRIES:
        row.status = SignInCode.Status.LOCKED
        row.save(update_fields=["attempts", "status"])
        audit.record(None, "portal.code_locked", row, summary=mask_phone(phone), request=request)
        return "locked", 0
    row.save(update_fields=["attempts"])
    return "wrong", MAX_TRIES - row.attempts


# --- the applicant's session --------------------------------------------------------------------------


def session_minutes() -> float:
    return float(getattr(settings, "PORTAL_SESSION_MINUTES", 120))


def sign_in(request, phone: str) -> None:
    """The session now belongs to the holder of `phone` (a new session key: no fixation)."""
    request.session.cycle_key()
    request.session[SESSION_PHONE] = phone
    request.session[SESSION_AT] = time.time()
    request.session.pop(SESSION_PENDING, None)


def sign_out(request) -> None:
    for key in (SESSION_PHONE, SESSION_AT, SESSION_PENDING):
        request.session.pop(key, None)
    request.session.cycle_key()


def verified_phone(request) -> str | None:
    """The phone this session proved to hold, while the sign-in is fresh (PORTAL_SESSION_MINUTES)."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    phone = session.get(SESSION_PHONE)
    at = session.get(SESSION_AT)
    if not phone or not isinstance(at, int | float) or time.time() - at > session_minutes() * 60:
        return None
    return phone


# --- progress lookup without an account -------------------------------------------------------------


def lookup(number, last4, *, request=None):
    """The submission of a submission or case number, if `last4` are the last four digits of a phone given for
    that submission (the applicant's or the agent's, as given that day). One answer for every failure, so that it
    tells nothing about which numbers exist. Rate-limited per client address (PORTAL_LOOKUP_RATE)."""
    from . import queries

    _throttle(
        f"portal:lookup:{_client(request)}",
        _setting("PORTAL_LOOKUP_RATE", "10/300"),
        _("查询过于频繁，请 %(s)s 秒后再试。"),
    )
    number = str(number or "").strip().upper()[:60]
    last4 = re.sub(r"\s", "", str(last4 or ""))
    _refuse_guessed_number(number)
    submission = queries.submission_by_number(number) if number else None
    phones = [p for p in (submission.applicant_phone, submission.agent_phone) if p] if submission else []
    # Compare against a stand-in when nothing was found, so that both failures take the same path.
    candidates = [p[-4:] for p in phones] or ["\x00\x00\x00\x00"]
    matched = any(hmac.compare_digest(c.encode(), last4.encode()) for c in candidates)
    if submission is None or not re.fullmatch(r"\d{4}", last4) or not matched:
        _count_failure(number, submission, phones)
        raise ValidationError(_("编号或手机号后四位不正确。"), code="no_match")
    if request is not None:
        grant_lookup(request, submission.number)
    audit.record(None, "portal.lookup", submission, summary=submission.number, request=request)
    return submission


# A case number is its submission's number and a two-digit sequence (intake.services).
CASE_NUMBER = re.compile(r"(.+-\d{8}-\d{6})-\d{2,}")


def _number_key(number: str) -> str:
    """The counter of failed lookups of a number. A case number counts for its submission, so that trying its case
    numbers in turn gives no more guesses; read from the form of the number alone, never from the database, so
    that a number that does not exist is limited the same way (the limit tells nothing either)."""
    match = CASE_NUMBER.fullmatch(number)
    return f"portal:lookup:number:{match.group(1) if match else number}"


def _number_rate() -> str:
    return _setting("PORTAL_LOOKUP_NUMBER_RATE", "5/3600")


def _refuse_guessed_number(number: str) -> None:
    """While the failures on a number have used up PORTAL_LOOKUP_NUMBER_RATE, every lookup of it is refused, the
    right digits too, and alike for a number that does not exist."""
    if not number:
        return
    wait = ratelimit.wait(_number_key(number), _number_rate())
    if wait:
        raise Throttled(
            _(
                "该编号的查询错误次数过多，已暂停查询，请 %(s)s 秒后再试；"
                "申请人也可以用办理时登记的手机号登录网上办事大厅查看进度。"
            )
            % {"s": int(wait + 0.999)},
            wait,
        )


def _count_failure(number: str, submission, phones: list[str]) -> None:
    """A failed lookup counts against its number. The failure that uses up the number's limit tells the applicant
    (each phone given for the submission) through the outbox, at most once per period of the limit; the one who
    tries is answered the same either way."""
    if not number:
        return
    rate, key = _number_rate(), _number_key(number)
    ratelimit.hit(key, rate)
    if submission is None or not (wait := ratelimit.wait(key, rate)):
        return
    _burst, period = ratelimit.parse_rate(rate)
    with transaction.atomic():
        if ratelimit.hit(f"portal:lookup:told:{submission.number}", f"1/{period}"):
            return  # told already in this period
        for phone in dict.fromkeys(phones):
            notify(
                phone,
                Message.Kind.LOOKUP_FAILURES,
                {"minutes": max(1, int(wait + 59) // 60)},
                submission=submission.number,
            )


def grant_lookup(request, number: str) -> None:
    numbers = [n for n in request.session.get(SESSION_LOOKUPS, []) if n != number]
    request.session[SESSION_LOOKUPS] = [number, *numbers][:MAX_LOOKUPS_KEPT]


def may_follow(request, submission) -> bool:
    """May this session see the progress page of `submission`: a lookup made, or the verified phone is its contact."""
    if submission.number in request.session.get(SESSION_LOOKUPS, []):
        return True
    return owns(request, submission)


def owns(request, submission) -> bool:
    """The verified phone is one given for this submission (the applicant's or the agent's, as given that day):
    a phone given only for a later submission of the same ID number opens nothing earlier."""
    phone = verified_phone(request)
    return bool(phone) and phone in (submission.applicant_phone, submission.agent_phone)


# --- online correction (网上补正) ----------------------------------------------------------------------


def open_corrections(submission) -> list:
    """The correction requests of the submission's cases that wait for the applicant: [(case, correction)]."""
    from yichuang.backoffice.models import Correction
    from yichuang.intake.models import CaseStatus

    rows = Correction.objects.filter(
        case__submission=submission, case__status=CaseStatus.CORRECTION, received_at__isnull=True
    ).select_related("case")
    return [(row.case, row) for row in rows.order_by("case__seq")]


def supply_correction(submission, case_number: str, files: dict, materials: dict | None = None, *, request=None):
    """The signed-in applicant answers a correction request online: one file for every item told (补正须一次性
    告知, and is answered at once). `files` maps the item's index to an upload; `materials` maps the index of an
    item that names no material of the list to the material code its file belongs to.

    Every file is checked before any is stored; then each goes through `intake.services.supply_material`, and
    `backoffice.services.receive_correction(case, None, channel="online")` restarts the case's clock. Raises
    ValidationError ({"files[i]": …} at an item, or a message) and changes nothing when anything is wrong."""
    from yichuang.backoffice import services as backoffice
    from yichuang.intake import services as intake

    materials = materials or {}
    found = next((pair for pair in open_corrections(submission) if pair[0].number == case_number), None)
    if found is None:
        raise ValidationError(_("该办件没有待补正的内容。"))
    case, correction = found
    codes = set(submission.materials.values_list("code", flat=True))
    plan, errors = [], {}
    for i, item in enumerate(correction.items):
        upload = files.get(i)
        code = item.get("material") or str(materials.get(i) or "")
        if upload is None:
            errors[f"files[{i}]"] = [_("请上传“%(name)s”的补正文件。") % {"name": item.get("name", "")}]
        elif code not in codes:
            errors[f"files[{i}]"] = [_("请选择该文件所属的材料。")]
        elif (problem := upload_problem(upload)) is not None:
            errors[f"files[{i}]"] = [problem]
        else:
            plan.append((code, upload))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for code, upload in plan:
            intake.supply_material(submission, code, upload, actor=None, request=request)
        return backoffice.receive_correction(case, None, channel="online", request=request)


# --- files kept while an application is refused (暂存) -----------------------------------------------

STAGED_HOURS = 24  # how long a staged file is kept and used
MAX_STAGED_PER_PHONE = 40  # a phone's staged files beyond this many are dropped, the oldest first


def _fresh_since(now):
    return now - timedelta(hours=STAGED_HOURS)


def staged_uploads(phone: str, key: str, *, now=None) -> dict[str, StagedUpload]:
    """The files this phone uploaded on the form `key` that are still kept, by material code. Nothing of another
    phone, and nothing older than STAGED_HOURS."""
    now = now or timezone.now()
    rows = StagedUpload.objects.filter(owner=phone_hash(phone), key=key, created_at__gte=_fresh_since(now))
    return {row.material: row for row in rows}


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def stage_upload(phone: str, key: str, material: str, upload, *, request=None, now=None) -> StagedUpload:
    """Keep an upload of the form `key` on the server for this phone (it replaces the line's earlier one), after
    the same check every upload gets (`intake.uploads.upload_problem`; ValidationError otherwise). Staged files
    older than STAGED_HOURS — anyone's — are deleted here: the cleanup runs whenever a file is staged."""
    now = now or timezone.now()
    if (problem := upload_problem(upload)) is not None:
        raise ValidationError(problem)
    kind = sniff(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    owner = phone_hash(phone)
    name = str(getattr(upload, "name", "") or "file")[-255:]
    stored = default_storage.save(f"portal/staged/{now:%Y/%m/%d}/{secrets.token_hex(16)}.{kind}", upload)
    try:
        with transaction.atomic():
            replaced = StagedUpload.objects.filter(owner=owner, key=key, material=material)
            expired = StagedUpload.objects.filter(created_at__lt=_fresh_since(now))
            beyond = StagedUpload.objects.filter(owner=owner).order_by("-created_at", "-id")[MAX_STAGED_PER_PHONE - 1 :]
            doomed = {row.pk: row.file.name for q in (replaced, expired, beyond) for row in q}
            StagedUpload.objects.filter(pk__in=list(doomed)).delete()
            row = StagedUpload(
                owner=owner, key=key, material=material, original_name=name, size=upload.size,
                sha256=digest.hexdigest(), created_at=now,
            )  # fmt: skip
            row.file.name = stored
            row.save()
            audit.record(None, "portal.stage_upload", row, summary=f"{material} {kind}", request=request)
            transaction.on_commit(lambda: _delete_files(list(doomed.values())))
    except IntegrityError:  # the same line staged at the same moment (a double submit): that one is kept
        default_storage.delete(stored)
        return StagedUpload.objects.get(owner=owner, key=key, material=material)
    except Exception:
        default_storage.delete(stored)
        raise
    return row


def attach_staged(submission, rows, *, request=None) -> list[tuple[str, str]]:
    """Attach each staged file to the accepted submission through `intake.services.attach_file` (which checks it
    again and records it); returns [(file name, reason)] for any refused. The staged copies stay until
    `discard_staged`."""
    from yichuang.intake import services as intake

    refused = []
    for row in rows:
        handle = default_storage.open(row.file.name, "rb")
        handle.name = row.original_name  # attach_file records the name the applicant's file had
        try:
            intake.attach_file(submission, row.material, handle, actor=None, request=request)
        except ValidationError as exc:
            refused.append((row.original_name, " ".join(exc.messages)))
        finally:
            handle.close()
    return refused


@transaction.atomic
def discard_staged(phone: str, key: str, *, request=None) -> int:
    """Delete what was staged on the form `key` for this phone (after the submission took it)."""
    rows = list(StagedUpload.objects.select_for_update().filter(owner=phone_hash(phone), key=key))
    if not rows:
        return 0
    names = [row.file.name for row in rows]
    StagedUpload.objects.filter(pk__in=[row.pk for row in rows]).delete()
    audit.record(None, "portal.discard_staged", None, summary=f"{len(rows)}", request=request)
    transaction.on_commit(lambda: _delete_files(names))
    return len(rows)
