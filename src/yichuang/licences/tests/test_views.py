"""The public verification page shows a licence's facts and state and never its holder; the document page is for
the staff who need the holder, and each view of it is audited."""

import datetime as dt

import pytest

from yichuang.core.models import AuditEvent
from yichuang.intake.tests.helpers import PERSON
from yichuang.licences import services
from yichuang.organisation.tests.factories import DepartmentFactory, UserFactory

from .conftest import approve

pytestmark = pytest.mark.django_db
VERIFY = "/licences/verify/"


@pytest.fixture
def licence(office, permit_licence):
    return approve(office).licence


def verify_page(client, number, code) -> str:
    response = client.get(VERIFY, {"number": number, "code": code})
    assert response.status_code == 200
    return response.content.decode()


def test_verification_shows_the_facts_and_no_personal_data(client, licence, time_machine):
    time_machine.move_to(dt.datetime(2027, 1, 4, 10, tzinfo=dt.UTC), tick=False)
    html = verify_page(client, licence.number, licence.verify_code.lower())  # typed in small letters
    assert "有效" in html and "食品经营许可证" in html and licence.number in html and "县市场监督管理局" in html
    assert "2031年3月9日" in html
    for private in (PERSON["name"], PERSON["name"][0] + "*", PERSON["id_number"], PERSON["id_number"][-4:]):
        assert private not in html


def test_a_wrong_code_and_an_unknown_number_read_the_same(client, licence):
    wrong_code = "A" * 8 if licence.verify_code != "A" * 8 else "C" * 8
    wrong = verify_page(client, licence.number, wrong_code)
    unknown = verify_page(client, "NO-SUCH-NUMBER", licence.verify_code)
    garbage = verify_page(client, licence.number, "<script>")
    for html in (wrong, unknown, garbage):
        assert "未找到该证照" in html and "食品经营许可证" not in html
    assert "未找到该证照" not in client.get(VERIFY).content.decode()  # nothing asked yet: no verdict


def test_expired_and_revoked_licences_say_so(client, licence, office, time_machine):
    time_machine.move_to(dt.datetime(2031, 3, 10, 9, tzinfo=dt.UTC), tick=False)
    assert "已过期" in verify_page(client, licence.number, licence.verify_code)
    services.revoke(licence, office.hall.admin, reason="注销")
    assert "已注销" in verify_page(client, licence.number, licence.verify_code)


def test_the_document_for_staff_who_need_it_audited(client, licence, office):
    url = f"/licences/{licence.pk}/"
    assert client.get(url).status_code == 302  # sign in first

    other_officer = UserFactory(officer=True, department=DepartmentFactory())
    window_clerk = UserFactory(window_clerk=True)
    for user in (other_officer, window_clerk):
        client.force_login(user)
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="licences.view").exists()

    for user in (office.officer, UserFactory(output_clerk=True)):
        client.force_login(user)
        html = client.get(url).content.decode()
        assert PERSON["name"] in html and PERSON["id_number"] in html and licence.verify_code in html
        assert "<svg" in html  # the verification QR
    assert AuditEvent.objects.filter(action="licences.view", object_id=str(licence.pk)).count() == 2


def test_a_nul_or_a_long_number_is_simply_not_found(client, licence):
    for number in ("\x00", "A\x00B", "9" * 500):
        assert "未找到该证照" in verify_page(client, number, licence.verify_code)


def test_only_the_clerk_who_took_it_in_opens_a_reused_licence(client, office, licence):
    from yichuang.catalogue.models import Material
    from yichuang.intake import services as intake

    licence.type.materials.add(Material.objects.get(code="LICENCE"))
    intake.submit(
        actor=office.hall.clerk, applicant=PERSON, matters=["INVOICE"], window=office.hall.w1,
        materials=[{"material": "LICENCE", "status": "reused", "licence": licence.pk}],
    )  # fmt: skip
    url = f"/licences/{licence.pk}/"
    client.force_login(office.hall.clerk2)  # another window's clerk
    assert client.get(url).status_code == 403
    client.force_login(office.hall.clerk)
    assert client.get(url).status_code == 200


def test_the_document_as_a_pdf_for_the_same_staff_audited(client, licence, office):
    url = f"/licences/{licence.pk}/pdf/"
    client.force_login(UserFactory(window_clerk=True))
    assert client.get(url).status_code == 403
    client.force_login(office.officer)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="licences.view", object_id=str(licence.pk)).count() == 1
