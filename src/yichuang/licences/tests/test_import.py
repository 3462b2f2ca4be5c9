"""Licences from the province's licence store: all or nothing, idempotent, updates (a revocation) applied once, a
hall-issued licence never overwritten; the command."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from yichuang.intake.tests.helpers import PERSON
from yichuang.intake.tests.ids import credit_code
from yichuang.licences import queries, services
from yichuang.licences.models import Licence, LicenceType

from .conftest import approve

pytestmark = pytest.mark.django_db
COMPANY_CODE = credit_code("91411624MA9G")


@pytest.fixture
def business_licence(db) -> LicenceType:
    return LicenceType.objects.create(code="BL", name="营业执照", holder_kind="org", valid_years=None)


def row(**overrides) -> str:
    data = {
        "type": "BL",
        "number": "91411624MA9G-0001",
        "holder_kind": "org",
        "holder_name": "沈丘县好运商贸有限公司",
        "holder_id_number": COMPANY_CODE,
        "issuer_name": "周口市市场监督管理局",
        "issuer_code": "11411600MB1234567X",
        "issued_on": "2025-06-01",
    }
    data.update(overrides)
    return json.dumps(data, ensure_ascii=False)


def test_imported_licences_are_held_and_a_second_import_changes_nothing(business_licence):
    first = services.import_province([row(), row(number="91411624MA9G-0002", valid_until="2026-01-01")])
    assert (first.created, first.updated, first.errors) == (2, 0, [])
    licence = Licence.objects.get(number="91411624MA9G-0001")
    assert licence.source == Licence.Source.PROVINCE and licence.valid_until is None
    assert list(queries.held("org", COMPANY_CODE, on=dt.date(2026, 12, 1))) == [licence]  # the other expired
    again = services.import_province([row(), row(number="91411624MA9G-0002", valid_until="2026-01-01")])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    revoked = services.import_province([row(status="revoked")])
    assert revoked.updated == 1
    licence.refresh_from_db()
    assert licence.status == Licence.Status.REVOKED and licence.revoked_at is not None
    assert services.import_province([row(status="revoked")]).unchanged == 1


def test_one_bad_row_imports_nothing_and_names_each_mistake(business_licence):
    result = services.import_province(
        [
            row(),
            "not json",
            row(type="NOPE"),
            row(holder_id_number="91411624MA9G00000X"),
            row(issued_on="2025-13-01"),
            row(number=""),
            row(valid_until="2020-01-01"),
        ]
    )
    assert [e.split("：")[0] for e in result.errors] == [f"第 {n} 行" for n in range(2, 8)]
    assert not Licence.objects.exists()


def test_a_licence_issued_here_is_never_overwritten(office, permit_licence):
    licence = approve(office).licence
    result = services.import_province(
        [
            json.dumps(
                {
                    "type": permit_licence.code, "number": licence.number, "holder_kind": "person",
                    "holder_name": "别人", "holder_id_number": PERSON["id_number"], "issuer_name": "某局",
                    "issued_on": "2026-01-01",
                },
                ensure_ascii=False,
            )
        ]
    )  # fmt: skip
    assert result.errors and "本中心颁发" in result.errors[0]
    licence.refresh_from_db()
    assert licence.holder_name == PERSON["name"] and licence.source == Licence.Source.HALL


def test_the_command(business_licence, tmp_path, monkeypatch):
    path = tmp_path / "licences.jsonl"
    path.write_text(row() + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("licences", "import", str(path), "--dry-run", stdout=out)
    assert "将新增 1 张" in out.getvalue() and not Licence.objects.exists()
    call_command("licences", "import", str(path), stdout=out)
    assert "已新增 1 张" in out.getvalue() and Licence.objects.count() == 1
    path.write_text(row(type="NOPE") + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("licences", "import", str(path), stdout=out, stderr=io.StringIO())
