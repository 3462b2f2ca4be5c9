"""Fixtures of the licence tests: the back-office tests' small hall, with a licence type issued by PERMIT."""

import datetime as dt

import pytest

from yichuang.backoffice import services as office_services
from yichuang.backoffice.tests.conftest import (  # noqa: F401 - fixtures
    _media,
    django_db_setup,
    office,
    take_in,
)
from yichuang.catalogue.models import Matter
from yichuang.intake.tests.helpers import T0
from yichuang.licences.models import LicenceType


@pytest.fixture
def permit_licence(office) -> LicenceType:  # noqa: F811 - the imported fixture
    """食品经营许可证: issued by PERMIT (县市场监督管理局), valid five years."""
    licence_type = LicenceType.objects.create(
        code="11100000MB0143722X", name="食品经营许可证", holder_kind="person", valid_years=5
    )
    licence_type.issuing_matters.add(Matter.objects.get(code="PERMIT"))
    return licence_type


def approve(o, *, at=T0, certificate_number=""):
    """A PERMIT case accepted at `at`, claimed and approved an hour later by the samr officer."""
    case = take_in(o.hall, now=at)
    office_services.claim(case, o.officer, now=at + dt.timedelta(minutes=30))
    office_services.conclude(
        case, o.officer, outcome="approved", certificate_number=certificate_number, now=at + dt.timedelta(hours=1)
    )
    case.refresh_from_db()
    return case
