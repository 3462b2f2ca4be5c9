"""E-licences issued on approval, renumbered, revoked; validity; the holder's licences valid on a day."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from yichuang.backoffice import services as office_services
from yichuang.core.models import AuditEvent
from yichuang.intake.models import CaseStatus
from yichuang.intake.tests.helpers import PERSON, T0
from yichuang.licences import queries, services
from yichuang.licences.models import ALPHABET, Licence, LicenceType

from .conftest import approve, take_in

pytestmark = pytest.mark.django_db


def test_an_approved_case_of_a_licensing_matter_issues_its_licence(office, permit_licence):
    case = approve(office)

    licence = Licence.objects.get(case=case)
    assert licence.type == permit_licence
    assert licence.number == case.number  # no certificate number given: the case's own
    assert licence.identifier == f"{permit_licence.code}-{case.number}"
    assert (licence.holder_kind, licence.holder_name, licence.holder_id_number) == (
        "person",
        PERSON["name"],
        PERSON["id_number"],
    )
    assert (licence.department, licence.issuer_name, licence.issuer_code) == (
        office.hall.samr,
        "县市场监督管理局",
        "samr",
    )
    assert licence.issued_on == dt.date(2026, 3, 10)
    assert licence.valid_until == dt.date(2031, 3, 9)  # five years, the day of issue counted
    assert len(licence.verify_code) == 8 and set(licence.verify_code) <= set(ALPHABET)
    assert AuditEvent.objects.filter(action="licences.issue", object_id=str(licence.pk)).count() == 1


def test_rejected_cases_and_matters_without_a_licence_issue_none(office, permit_licence):
    case = take_in(office.hall)
    office_services.claim(case, office.officer, now=T0)
    office_services.conclude(case, office.officer, outcome="rejected", reasons="不符合条件", legal_basis="某条例")
    permit_licence.issuing_matters.clear()
    approve(office)
    assert not Licence.objects.exists()


def test_the_officers_certificate_number_and_a_taken_one(office, permit_licence):
    first = approve(office, certificate_number="JY14116240000001")
    assert first.licence.number == "JY14116240000001"

    case = take_in(office.hall)
    office_services.claim(case, office.officer, now=T0)
    with pytest.raises(ValidationError) as caught:
        office_services.conclude(case, office.officer, outcome="approved", certificate_number="JY14116240000001")
    assert "certificate_number" in caught.value.message_dict
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS  # nothing half-saved: no decision, no licence
    assert Licence.objects.count() == 1


def test_recording_the_certificate_number_later_renumbers_the_licence(office, permit_licence):
    case = approve(office)
    office_services.record_result(case, office.officer, certificate_number="JY14116240000009")
    licence = Licence.objects.get(case=case)
    assert (licence.number, licence.identifier) == ("JY14116240000009", f"{permit_licence.code}-JY14116240000009")
    other = approve(office, at=T0 + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        office_services.record_result(other, office.officer, certificate_number="JY14116240000009")
    assert Licence.objects.get(case=other).number == other.number


def test_revoke_needs_a_reason_and_happens_once(office, permit_licence):
    licence = approve(office).licence
    with pytest.raises(ValidationError):
        services.revoke(licence, office.hall.admin, reason=" ")
    services.revoke(licence, office.hall.admin, reason="经营者申请注销")
    licence.refresh_from_db()
    assert licence.status == Licence.Status.REVOKED and licence.revoked_at is not None
    with pytest.raises(ValidationError):
        services.revoke(licence, office.hall.admin, reason="再次")


@pytest.mark.parametrize(
    ("issued", "years", "last"),
    [
        (dt.date(2026, 3, 10), 5, dt.date(2031, 3, 9)),
        (dt.date(2028, 2, 29), 1, dt.date(2029, 2, 27)),  # no 29 February next year: to the 28th, less a day
        (dt.date(2026, 12, 31), 1, dt.date(2027, 12, 30)),
        (dt.date(2026, 1, 1), None, None),
    ],
)
def test_validity(issued, years, last):
    assert services.valid_until(issued, years) == last


def test_held_licences_are_those_valid_on_the_day(office, permit_licence):
    licence = approve(office).licence
    held = lambda day: list(queries.held("person", PERSON["id_number"], on=day))  # noqa: E731
    assert held(dt.date(2026, 3, 9)) == []  # not yet issued
    assert held(dt.date(2026, 3, 10)) == [licence]
    assert held(dt.date(2031, 3, 9)) == [licence]  # the last day
    assert held(dt.date(2031, 3, 10)) == []  # expired
    assert list(queries.held("org", PERSON["id_number"], on=dt.date(2027, 1, 1))) == []  # another kind of holder
    services.revoke(licence, office.hall.admin, reason="注销")
    assert held(dt.date(2027, 1, 1)) == []


def test_a_number_too_long_for_the_identifier_or_taken_at_the_same_moment(office, permit_licence, monkeypatch):
    """The identifier holds the type code and the longest certificate number; a licence of the same number written
    between the check and the write (another officer, at the same moment) is the field's message, not a 500."""
    long_number = "N" * 64
    assert approve(office, certificate_number=long_number).licence.identifier == f"{permit_licence.code}-{long_number}"

    case = take_in(office.hall)
    office_services.claim(case, office.officer, now=T0)
    monkeypatch.setattr(services, "_free_number", lambda licence_type, number, exclude=None: number)  # the race
    with pytest.raises(ValidationError) as caught:
        office_services.conclude(case, office.officer, outcome="approved", certificate_number=long_number)
    assert "certificate_number" in caught.value.message_dict
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and Licence.objects.count() == 1


def test_the_province_reinstating_a_licence_leaves_no_revocation_behind(db):
    import json

    from yichuang.intake.tests.ids import credit_code

    LicenceType.objects.create(code="BL", name="营业执照", holder_kind="org")
    row = {
        "type": "BL", "number": "BL-1", "holder_kind": "org", "holder_name": "某公司",
        "holder_id_number": credit_code("91411624MA9G"), "issuer_name": "某局", "issued_on": "2025-01-01",
    }  # fmt: skip
    services.import_province([json.dumps(row)])
    services.import_province([json.dumps({**row, "status": "revoked"})])
    licence = Licence.objects.get()
    assert licence.revoked_at is not None and licence.revoke_reason
    services.import_province([json.dumps({**row, "status": "valid"})])
    licence.refresh_from_db()
    assert (licence.status, licence.revoked_at, licence.revoke_reason) == ("valid", None, "")
