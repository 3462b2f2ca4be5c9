"""Fees on the pages: the output window (待缴费 and the amount; the hand-over refused at the form, 422), the
back office's case page and the applicant's progress page (the 电子票据号), the admin; and the termination of a
case whose acceptance fee was paid (refund asked)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from yichuang.backoffice import services as office_services
from yichuang.backoffice.tests.test_services import at, deferred_elderly
from yichuang.catalogue.models import Matter
from yichuang.fees.models import FeeItem, PaymentNotice, Stage
from yichuang.intake.tests.helpers import PERSON
from yichuang.organisation.tests.factories import UserFactory
from yichuang.output.models import Handover
from yichuang.output.tests.conftest import SIGNATURE, ready_single

from .conftest import fee, simulator

pytestmark = pytest.mark.django_db


def paid_notice(notice):
    gateway = simulator()
    from yichuang.fees import services

    services.push(notice.pk, gateway=gateway)
    gateway.pay(notice.number)
    notice.refresh_from_db()
    return notice


def test_the_output_window_shows_the_unpaid_fee_and_refuses_the_hand_over(client, desk):
    fee(Stage.CONCLUSION, amount="10.00")
    submission = ready_single(desk)
    case = submission.cases.get()
    client.force_login(desk.clerk)
    url = reverse("output:submission", args=[submission.number])
    html = client.get(url).content.decode()
    assert "待缴费 ¥10.00" in html and "缴费到账后才能出件" in html and "工本费" in html

    data = {"receiver": "applicant", "id_number": PERSON["id_number"], "receiver_name": PERSON["name"],
            "signature": SIGNATURE}  # fmt: skip
    response = client.post(reverse("output:hand_over", args=[submission.number]), data)
    assert response.status_code == 422 and f"办件 {case.number} 待缴费 ¥10.00" in response.content.decode()
    assert not Handover.objects.exists()

    notice = paid_notice(PaymentNotice.objects.get(case=case))
    html = client.get(url).content.decode()
    assert "待缴费" not in html and "可领取" in html and notice.receipt_number in html


def test_the_case_page_and_the_progress_page_show_the_receipt(client, desk):
    fee(amount="30.00")
    submission = ready_single(desk)
    case = submission.cases.get()
    notice = paid_notice(PaymentNotice.objects.get(case=case))

    client.force_login(desk.office.officer)
    html = client.get(reverse("backoffice:case", args=[case.number])).content.decode()
    assert 'id="case-fees"' in html and "已缴费" in html and notice.receipt_number in html
    client.logout()

    client.post(reverse("portal:progress"), {"number": submission.number, "last4": PERSON["phone"][-4:]})
    html = client.get(reverse("portal:progress_detail", args=[submission.number])).content.decode()
    assert "¥30.00" in html and notice.receipt_number in html
    assert "模拟缴费" not in html  # the demo's button is the output window's only


def test_the_admin_lists_fee_items_and_notices(client, desk):
    fee()
    admin = UserFactory(is_superuser=True, is_staff=True, username="root")
    client.force_login(admin)
    assert client.get(reverse("admin:fees_feeitem_changelist")).status_code == 200
    assert client.get(reverse("admin:fees_feeitem_add")).status_code == 200
    ready_single(desk)
    notice = PaymentNotice.objects.get()
    assert client.get(reverse("admin:fees_paymentnotice_change", args=[notice.pk])).status_code == 200
    response = client.post(
        reverse("admin:fees_feeitem_add"),
        {"matter": Matter.objects.get(code="PERMIT").pk, "name": "工本费", "amount": "-1", "basis": "某文件",
         "stage": "conclusion", "active": "on"},
    )  # fmt: skip
    assert response.status_code == 200 and FeeItem.objects.count() == 1  # refused at the field


def test_a_terminated_case_gets_its_paid_acceptance_fee_refunded(office):
    FeeItem.objects.create(matter=Matter.objects.get(code="ELDERLY"), name="评估费", amount="40.00", basis="某文件",
                           stage=Stage.ACCEPTANCE)  # fmt: skip
    case = deferred_elderly(office)
    notice = paid_notice(PaymentNotice.objects.get(case=case))
    office_services.terminate_unsupplied(case, now=at(16))
    notice.refresh_from_db()
    assert notice.status == "refund_pending"
    assert office_services.terminate_unsupplied(case, now=at(16)) is None  # the worker's second run
    notice.refresh_from_db()
    assert notice.status == "refund_pending"


def test_the_conclude_form_asks_the_units_and_refuses_bad_ones_at_the_field(client, desk):
    from yichuang.intake import services as intake
    from yichuang.intake.tests.helpers import received

    item = fee(stage=Stage.CONCLUSION, name="复印费", amount="0.50", unit="页")
    hall = desk.hall
    case = intake.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"), window=hall.w_general
    ).cases.get()
    officer = desk.office.officer
    office_services.claim(case, officer)
    client.force_login(officer)
    page = client.get(reverse("backoffice:case", args=[case.number])).content.decode()
    assert f'name="fee_units-{item.pk}"' in page and "复印费（每页 ¥0.50）数量" in page

    act = reverse("backoffice:act", args=[case.number, "conclude"])
    refused = client.post(act, {"outcome": "approved", f"fee_units-{item.pk}": "abc"})
    assert refused.status_code == 422
    assert "单位数须为正整数" in refused.content.decode() and not PaymentNotice.objects.exists()
    assert client.post(act, {"outcome": "approved", f"fee_units-{item.pk}": "12"}).status_code == 302
    assert PaymentNotice.objects.get(case=case).amount == Decimal("6.00")


def test_the_api_concludes_with_the_units_and_refuses_without_them(desk):
    from django.test import Client

    from yichuang.intake import services as intake
    from yichuang.intake.tests.helpers import received
    from yichuang.organisation import services as org_services

    item = fee(stage=Stage.CONCLUSION, name="复印费", amount="0.50", unit="页")
    hall = desk.hall
    case = intake.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"), window=hall.w_general
    ).cases.get()
    officer = desk.office.officer
    office_services.claim(case, officer)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(officer)}")
    url = f"/api/office/cases/{case.number}/conclude"
    refused = api.post(url, {"outcome": "approved"}, content_type="application/json")
    assert refused.status_code == 422 and not PaymentNotice.objects.exists(), refused.content
    done = api.post(url, {"outcome": "approved", "fee_units": {str(item.pk): 4}}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert PaymentNotice.objects.get(case=case).amount == Decimal("2.00")
