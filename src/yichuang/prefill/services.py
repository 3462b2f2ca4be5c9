"""Pre-filled applications (预填): made at a kiosk or in the online hall, prechecked by staff if the person asks,
loaded at the intake desk and accepted there once through `intake.services.submit` — in the same transaction as
it is marked taken in, so that it never becomes two submissions."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.intake import services as intake
from yichuang.intake.uploads import FILE_KINDS, sniff, upload_problem
from yichuang.organisation.roles import Role, acts_as
from yichuang.queue import ratelimit
from yichuang.situation import queries as situation_queries
from yichuang.situation.models import GuideVersion

from .models import ALPHABET, CODE_LENGTH, Prefill, PrefillFile

STAFF_ROLES = (Role.WINDOW_CLERK, Role.HALL_ADMIN)


class RateLimited(Exception):
    def __init__(self, wait: float):
        super().__init__(wait)
        self.wait = wait


def days() -> int:
    return int(getattr(settings, "PREFILL_DAYS", 30))


def normalise_code(value) -> str:
    """What a person or a hand scanner typed: spaces, dashes and case do not matter."""
    text = "".join(ch for ch in str(value or "").upper() if ch.isalnum())
    return text[:CODE_LENGTH] if len(text) == CODE_LENGTH and set(text) <= set(ALPHABET) else ""


def _check_files(files: dict, wanted: set[str]) -> dict[str, list[str]]:
    problems = {}
    for code, upload in files.items():
        if code not in wanted:
            continue  # a file for a material the answers do not need is left out
        if (problem := upload_problem(upload)) is not None:
            problems[f"files.{code}"] = [str(problem)]
    return problems


def _store(prefill: Prefill, code: str, upload) -> tuple[PrefillFile, str]:
    kind = sniff(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored = default_storage.save(f"prefill/{timezone.localdate():%Y/%m}/{secrets.token_hex(16)}.{kind}", upload)
    row = PrefillFile(
        prefill=prefill, material=code, original_name=str(getattr(upload, "name", "") or "file")[-255:],
        content_type=FILE_KINDS[kind], size=upload.size, sha256=digest.hexdigest(),
    )  # fmt: skip
    row.file.name = stored
    return row, stored


def create(
    *,
    site,
    channel: str,
    version: GuideVersion,
    answers: dict,
    applicant: dict,
    agent: dict | None = None,
    files: dict | None = None,
    owner: str = "",
    precheck: bool = False,
    rate_key: str | None = None,
    request=None,
) -> Prefill:
    """A pre-filled application: every question asked answered, the applicant (and agent) checked as intake checks
    them, each file checked as every upload is. Raises ValidationError (field paths: situation, applicant.*,
    agent.*, files.<material>) with nothing saved, or RateLimited at a kiosk that fills too fast."""
    if rate_key is not None and (
        wait := ratelimit.hit(f"prefill:{rate_key}", getattr(settings, "PREFILL_RATE", "20/600"))
    ):
        raise RateLimited(wait)
    files = files or {}
    problems: dict[str, list[str]] = {}
    if version.status != GuideVersion.Status.PUBLISHED:
        raise ValidationError({"situation": [_("该情形引导已更新，请重新开始填报。")]})
    outcome = situation_queries.outcome(version, answers)
    if not outcome.complete:
        problems["situation"] = [
            _("请回答全部问题（还有 %(n)d 个未回答）。") % {"n": len(outcome.asked) - len(outcome.answers)}
        ]
    try:
        person, agent_person = intake.check_people(applicant, agent)
    except ValidationError as exc:
        problems.update(exc.message_dict)
        person = agent_person = None
    problems.update(_check_files(files, {line.material for line in outcome.materials}))
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    stored: list[str] = []
    try:
        with transaction.atomic():
            prefill = Prefill.objects.create(
                site=site, channel=channel, owner=owner, version=version, answers=outcome.answers,
                matters=outcome.matters, expires_at=now + dt.timedelta(days=days()),
                applicant={"kind": person.kind, "name": person.name, "id_number": person.id_number,
                           "phone": person.phone},
                agent={"name": agent_person.name, "id_number": agent_person.id_number, "phone": agent_person.phone}
                if agent_person else {},
                precheck=Prefill.Precheck.REQUESTED if precheck else Prefill.Precheck.NONE,
            )  # fmt: skip
            wanted = {line.material for line in outcome.materials}
            for code, upload in files.items():
                if code in wanted:
                    row, name = _store(prefill, code, upload)
                    stored.append(name)
                    row.save()
            audit.record(
                None, "prefill.create", prefill, summary=f"{prefill.code} {version.guide.code}",
                request=request, channel=channel, files=len(stored),
            )  # fmt: skip
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    return prefill


def find(code) -> Prefill | None:
    code = normalise_code(code)
    if not code:
        return None
    return (
        Prefill.objects.select_related("version__guide__bundle", "version__guide__matter", "site")
        .filter(code=code)
        .first()
    )


def usable_problem(prefill: Prefill | None, *, now=None) -> str | None:
    """Why this pre-filled application cannot be taken in, or None."""
    if prefill is None:
        return _("没有这个预填码，请核对后重新扫描或输入。")
    if prefill.submission_id:
        return _("该预填申请已于 %(at)s 受理。") % {
            "at": timezone.localtime(prefill.used_at).strftime("%Y-%m-%d %H:%M")
        }
    if prefill.expires_at <= (now or timezone.now()):
        return _("该预填申请已超过有效期，请重新填报。")
    return None


def load_for_desk(code, *, actor, request=None) -> Prefill:
    """The clerk scanned or typed a code: the pre-filled application, its full data seen (audited)."""
    if not acts_as(actor, *STAFF_ROLES):
        raise PermissionDenied(_("您没有综合受理岗位。"))
    prefill = find(code)
    if (problem := usable_problem(prefill)) is not None:
        raise ValidationError({"prefill": [problem]})
    audit.record(actor, "prefill.load", prefill, summary=prefill.code, request=request)
    return prefill


def take_ticket(prefill: Prefill, *, request=None, rate_key: str | None = None):
    """A ticket for the zone that takes the guide's bundle (or matter) in at the prefill's site, linked to it so
    that the window that calls it finds the application at once. Pressed twice (also at once): the same ticket."""
    from yichuang.queue import services as queue_services
    from yichuang.queue.models import Ticket

    from .queries import zones_for

    guide = prefill.version.guide
    matter = None if guide.bundle_id else guide.matter
    zone = zones_for(prefill).first()
    if zone is None:
        raise ValidationError(_("本中心没有受理该事项的服务区。"))
    with transaction.atomic():
        prefill = Prefill.objects.select_for_update().get(pk=prefill.pk)  # no join: PostgreSQL locks no outer join
        if _waiting_today(prefill.ticket):
            return prefill.ticket
        ticket = queue_services.issue_ticket(
            zone, phone=prefill.applicant.get("phone") or None, matter=matter, source=Ticket.Source.KIOSK,
            request=request, rate_key=rate_key,
        )  # fmt: skip
        Prefill.objects.filter(pk=prefill.pk).update(ticket=ticket)
    return ticket


def _waiting_today(ticket) -> bool:
    from yichuang.queue.models import Ticket

    return ticket is not None and ticket.date == timezone.localdate() and ticket.status == Ticket.Status.WAITING


@transaction.atomic
def attach_ticket(prefill: Prefill, ticket) -> None:
    """A ticket taken for the pre-filled application elsewhere (an appointment's check-in) brings it to the window
    — unless one already waits for it today (taken at the kiosk): that one is not taken away."""
    locked = Prefill.objects.select_for_update().filter(pk=prefill.pk).first()
    if locked is not None and locked.submission_id is None and not _waiting_today(locked.ticket):
        Prefill.objects.filter(pk=locked.pk).update(ticket=ticket)


def for_ticket(ticket) -> Prefill | None:
    if ticket is None:
        return None
    return Prefill.objects.filter(ticket=ticket, submission__isnull=True).first()


def accept(code, *, actor, answers: dict | None = None, request=None, **submit_args):
    """Take the pre-filled application in: `intake.services.submit` under its guide version with its answers (or
    `answers`, as the clerk corrected them at the window), and the application marked taken in, in one
    transaction (a second accept of the same code is refused); its copy of the applicant's data is then dropped
    (the submission has its own). Its files are attached afterwards (a file refused then is reported; the
    submission stays)."""
    prefill = find(code)
    with transaction.atomic():
        locked = Prefill.objects.select_for_update().filter(pk=prefill.pk if prefill else None).first()
        if (problem := usable_problem(locked)) is not None:
            raise ValidationError({"prefill": [problem]})
        submission = intake.submit(
            actor=actor, request=request,
            situation={"version": locked.version_id, "answers": locked.answers if answers is None else answers},
            **submit_args,
        )  # fmt: skip
        if getattr(submission, "replayed", False):
            return submission
        try:
            with transaction.atomic():
                Prefill.objects.filter(pk=locked.pk).update(
                    submission=submission, used_at=timezone.now(), applicant={}, agent={}
                )
        except IntegrityError:
            raise ValidationError({"prefill": [_("该预填申请已受理。")]}) from None
        audit.record(actor, "prefill.accept", locked, summary=f"{locked.code} {submission.number}", request=request)
    refused = []
    for row in locked.files.all():
        try:
            handle = default_storage.open(row.file.name, "rb")
        except OSError:
            refused.append((row.original_name, _("文件已不在服务器上，请重新扫描。")))
            continue
        handle.name = row.original_name
        try:
            intake.attach_file(submission, row.material, handle, actor=actor, request=request)
        except ValidationError as exc:
            refused.append((row.original_name, " ".join(exc.messages)))
        finally:
            handle.close()
    submission.refused_files = refused
    return submission


@transaction.atomic
def precheck(prefill: Prefill, *, actor, complete: bool, note: str = "", request=None) -> Prefill:
    """Staff's pre-check (预审) online: complete (please come) or what is missing; the person is told."""
    if not acts_as(actor, *STAFF_ROLES):
        raise PermissionDenied(_("您没有预审权限。"))
    prefill = Prefill.objects.select_for_update().get(pk=prefill.pk)
    note = (note or "").strip()[:500]
    if prefill.submission_id:
        raise ValidationError(_("该预填申请已受理，无需预审。"))
    if prefill.precheck != Prefill.Precheck.REQUESTED or prefill.expires_at <= timezone.now():
        raise ValidationError(_("该预填申请没有待处理的预审请求（未申请、已预审或已过期）。"))
    if not complete and not note:
        raise ValidationError({"note": [_("请写明缺少哪些材料或哪里需要修改。")]})
    prefill.precheck = Prefill.Precheck.COMPLETE if complete else Prefill.Precheck.MISSING
    prefill.precheck_note, prefill.prechecked_by, prefill.prechecked_at = note, actor, timezone.now()
    prefill.save(update_fields=["precheck", "precheck_note", "prechecked_by", "prechecked_at"])
    audit.record(actor, "prefill.precheck", prefill, summary=f"{prefill.code} {prefill.precheck}", request=request)
    from yichuang.notifications.services import notify

    notify(
        prefill.applicant.get("phone") or (prefill.agent or {}).get("phone"),
        "prefill_prechecked",
        {"code": prefill.display_code, "complete": complete, "note": note,
         "expires": timezone.localtime(prefill.expires_at).strftime("%Y-%m-%d")},
    )  # fmt: skip
    return prefill


def record_view(prefill: Prefill, actor, *, request=None, what: str = "") -> None:
    """A member of staff opened the pre-filled application (its applicant's data, a file): in the audit log."""
    audit.record(actor, "prefill.view", prefill, summary=f"{prefill.code} {what}".strip(), request=request)


def forget_unneeded(now=None) -> dict:
    """Expired applications never taken in are deleted with their files (the person's data goes with them); an
    application taken in keeps its row (the submission's link to it) but its files, copied to the submission at
    acceptance, are deleted. Safe to run twice or by two workers."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked, and deleted by these very ids: an application accepted meanwhile is not among the expired.
        expired = list(
            Prefill.objects.select_for_update()
            .filter(expires_at__lte=now, submission__isnull=True)
            .values_list("pk", flat=True)
        )
        doomed = list(
            PrefillFile.objects.select_for_update()
            .filter(Q(prefill_id__in=expired) | Q(prefill__submission__isnull=False))
            .values_list("pk", "file")
        )
        PrefillFile.objects.filter(pk__in=[pk for pk, _name in doomed]).delete()
        Prefill.objects.filter(pk__in=expired).delete()  # an appointment for one keeps its slot (SET_NULL)
        if expired or doomed:
            audit.record(None, "prefill.forget", None, summary=f"{len(expired)} expired, {len(doomed)} files")
        names = [name for _pk, name in doomed]
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    return {"expired": len(expired), "files": len(doomed)}
