"""Matter codes (GB/T 39554.1 form as docs/exchange.md states it) and the province's 实施清单 through the
catalogue's own import (preview, all or nothing), YAML and xlsx."""

import io

import pytest
import yaml
from django.core.exceptions import ValidationError

from yichuang.catalogue.codes import basic_code_of, validate_basic_code, validate_implementation_code
from yichuang.catalogue.exchange import CatalogueImportError, export_catalogue, import_catalogue
from yichuang.catalogue.models import Matter
from yichuang.catalogue.tests.factories import MatterFactory
from yichuang.intake.tests.ids import credit_code

BASIC = "000105001000"
CREDIT = credit_code("11411624MB")
IMPLEMENTATION = CREDIT + BASIC + "01"


def test_code_forms():
    validate_basic_code(BASIC)
    validate_implementation_code(IMPLEMENTATION)
    validate_implementation_code(CREDIT + BASIC)  # no business item suffix
    assert basic_code_of(IMPLEMENTATION) == BASIC
    for bad in ("00010500100", "00010500100a", "0001-5001000"):
        with pytest.raises(ValidationError):
            validate_basic_code(bad)
    wrong_check = CREDIT[:17] + ("0" if CREDIT[17] != "0" else "1")
    for bad in (CREDIT + "00010500100", wrong_check + BASIC, CREDIT + BASIC + "123456", "X" * 30):
        with pytest.raises(ValidationError):
            validate_implementation_code(bad)


@pytest.mark.django_db
def test_matter_basic_code_must_match_the_implementation_code():
    matter = MatterFactory.build(implementation_code=IMPLEMENTATION, basic_code="000105002000")
    matter.department.save()
    matter.department_id = matter.department.pk
    with pytest.raises(ValidationError) as caught:
        matter.full_clean()
    assert "implementation_code" in caught.value.message_dict


def _export(fmt: str) -> bytes:
    out = io.BytesIO()
    export_catalogue(out, fmt)
    return out.getvalue()


@pytest.mark.django_db
def test_the_provinces_list_updates_codes_through_the_import_yaml():
    matter = MatterFactory()
    doc = yaml.safe_load(_export("yaml"))
    (record,) = [m for m in doc["matters"] if m["code"] == matter.code]
    record["implementation_code"], record["basic_code"] = IMPLEMENTATION, BASIC
    import_catalogue(io.BytesIO(yaml.safe_dump(doc, allow_unicode=True).encode()), "yaml")
    matter.refresh_from_db()
    assert (matter.implementation_code, matter.basic_code) == (IMPLEMENTATION, BASIC)

    record["implementation_code"] = "BAD"
    record["name"] = "改了名字"
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(io.BytesIO(yaml.safe_dump(doc, allow_unicode=True).encode()), "yaml")
    assert "实施编码" in str(caught.value.problems)
    matter.refresh_from_db()
    assert matter.implementation_code == IMPLEMENTATION and matter.name != "改了名字"  # all or nothing


@pytest.mark.django_db
def test_codes_round_trip_through_xlsx():
    matter = MatterFactory(implementation_code=IMPLEMENTATION, basic_code=BASIC)
    data = _export("xlsx")
    Matter.objects.filter(pk=matter.pk).update(implementation_code="", basic_code="")
    import_catalogue(io.BytesIO(data), "xlsx")
    matter.refresh_from_db()
    assert (matter.implementation_code, matter.basic_code) == (IMPLEMENTATION, BASIC)
