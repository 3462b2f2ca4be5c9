"""Who applies: an applicant is found by kind and ID number and never overwritten by an intake.

- Each submission keeps the applicant as given on its day (`Submission.applicant_name`, `applicant_id_number`,
  `applicant_phone`, and the agent's columns): its receipt, notices, messages and progress lookup read those.
- A name or phone not given before for the ID number is added as an `ApplicantContact` with the moment it was
  first given and the submission that gave it; nothing is replaced.
- A known ID number with a name never given for it is shown to the clerk (the earlier names masked, 张*) and is
  taken in only with the clerk's confirmation (`applicant.confirm_name`); without it the intake is refused at that
  field (the API: 409 when that is the only problem). An online applicant, with no clerk to see it, is not asked:
  their submission keeps the name they gave, and it opens none of the earlier submissions.

`known()` is read while the intake is checked (one statement); `upsert()` and `add_contact()` run inside the
intake's transaction — the applicant row by one INSERT … ON CONFLICT (two intakes of a new ID number at once make
one row), the contact only when the name and phone are new, by INSERT … ON CONFLICT DO NOTHING.
"""

import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core.masking import mask_id_number

from .models import Applicant, ApplicantContact, masked_name

CONFIRM_FIELD = "applicant.confirm_name"
_YES = frozenset({"1", "true", "on", "yes"})


class NameDiffers(ValidationError):
    """The only problem of an intake: a known ID number with a name not on record, not confirmed (API: 409)."""

    def __init__(self, message_dict: dict, known_names: list[str]):
        super().__init__(message_dict)
        self.known_names = known_names  # masked, the latest first


@dataclass
class Known:
    """An applicant on record for the ID number given, as read while checking the intake."""

    pk: int
    deferral_blocked: bool
    kind: str
    names: list[str] = field(default_factory=list)  # every name given for it, the latest first
    pairs: set[tuple[str, str]] = field(default_factory=set)  # (name, phone) already recorded

    @property
    def masked_names(self) -> list[str]:
        return [masked_name(self.kind, name) for name in self.names]


def same_name(a: str, b: str) -> bool:
    """Names compared as a clerk would: full-width and half-width forms alike, spaces ignored."""

    def plain(value: str) -> str:
        return "".join(unicodedata.normalize("NFKC", value or "").split())

    return plain(a) == plain(b)


def confirmed(data) -> bool:
    value = data.get("confirm_name") if isinstance(data, dict) else None
    return value is True or (isinstance(value, str | int) and str(value).strip().lower() in _YES)


def known(kind: str, id_number: str) -> Known | None:
    """The applicant on record with its names and contacts (one statement), or None."""
    if not kind or not id_number:
        return None
    rows = (
        Applicant.objects.filter(kind=kind, id_number=id_number)
        .order_by("-contacts__since", "-contacts__id")
        .values_list("pk", "name", "phone", "deferral_blocked", "contacts__name", "contacts__phone")
    )
    found = None
    for pk, name, phone, blocked, contact_name, contact_phone in rows:
        if found is None:
            found = Known(pk=pk, deferral_blocked=bool(blocked), kind=kind)
            found.pairs.add((name, phone))
            first_name = name
        if contact_name is not None:
            found.pairs.add((contact_name, contact_phone))
            if contact_name not in found.names:
                found.names.append(contact_name)
    if found is not None and first_name not in found.names:
        found.names.append(first_name)
    return found


def check_name(person, known_applicant: Known | None, data, errors, *, staff: bool) -> list[str]:
    """A known ID number with a name never given for it: the clerk must confirm. Adds the message at
    CONFIRM_FIELD and returns the earlier names (masked) when it is missing; [] otherwise."""
    if known_applicant is None or not staff or not person.name:
        return []
    if any(same_name(person.name, name) for name in known_applicant.names) or confirmed(data):
        return []
    shown = known_applicant.masked_names
    errors.add(
        CONFIRM_FIELD,
        _(
            "证件号码 %(id)s 已有登记，登记的名称为“%(names)s”，与本次填写的“%(name)s”不同。请核对证件："
            "确属同一申请人（如已更名）请勾选“已核对，按本次填写的名称受理”后再提交；否则请更正名称或证件号码。"
        )
        % {"id": mask_id_number(person.id_number), "names": "、".join(shown), "name": person.name},
    )
    return shown


def name_is_new(person, known_applicant: Known | None) -> bool:
    """The ID number is on record, and this name was never given for it (confirmed by the clerk, or online)."""
    return known_applicant is not None and not any(same_name(person.name, n) for n in known_applicant.names)


def upsert(person) -> Applicant:
    """The applicant row by kind and ID number: inserted when new; when it exists, locked (until the intake's
    transaction ends, so a concurrent deferral mark is seen) and returned unchanged. One statement, safe when two
    intakes of a new applicant run at once."""
    table = connection.ops.quote_name(Applicant._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())  # SQLite: text, as the ORM stores it
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, name, id_number, phone, deferral_blocked, deferral_block_reason, created_at, "
            f"updated_at) VALUES (%s, %s, %s, %s, %s, '', %s, %s) ON CONFLICT (kind, id_number) DO UPDATE SET "
            f"deferral_blocked = {table}.deferral_blocked RETURNING id, name, phone, deferral_blocked",
            [person.kind, person.name, person.id_number, person.phone, False, now, now],
        )
        pk, name, phone, blocked = cursor.fetchone()
    return Applicant(
        pk=pk, kind=person.kind, name=name, id_number=person.id_number, phone=phone, deferral_blocked=bool(blocked)
    )


def contact_is_new(person, known_applicant: Known | None) -> bool:
    return known_applicant is None or (person.name, person.phone) not in known_applicant.pairs


def add_contact(applicant_id: int, person, submission_id: int | None, now) -> None:
    """Record the name and phone given for the applicant, with the moment and the submission; nothing when that
    pair is on record already (also when a concurrent intake has just recorded it)."""
    q = connection.ops.quote_name
    table = q(ApplicantContact._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({q('applicant_id')}, {q('name')}, {q('phone')}, {q('since')}, "
            f"{q('submission_id')}) VALUES (%s, %s, %s, %s, %s) "
            f"ON CONFLICT ({q('applicant_id')}, {q('name')}, {q('phone')}) DO NOTHING",
            [applicant_id, person.name, person.phone, at, submission_id],
        )


def raise_if_any(errors, earlier_names: list[str]) -> None:
    """Raise what the check found: NameDiffers when the unconfirmed name is the only problem, else every problem
    as one ValidationError (the unconfirmed name among them)."""
    if set(errors.by_field) == {CONFIRM_FIELD}:
        raise NameDiffers(errors.by_field, earlier_names)
    errors.raise_if_any()
