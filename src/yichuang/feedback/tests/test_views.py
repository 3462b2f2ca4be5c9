"""The pages: the rating pad (paired devices only), the signed link, the portal, the rectification list."""

import datetime as dt
import time
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from yichuang.feedback import links, services
from yichuang.feedback.models import Channel, Evaluation, Rectification
from yichuang.intake.tests.helpers import PERSON
from yichuang.organisation.tests.factories import UserFactory, WindowFactory
from yichuang.output.models import Handover, HandoverItem
from yichuang.portal import services as portal_services

from .conftest import finished_ticket

pytestmark = pytest.mark.django_db


def pair(client, window, user):
    client.force_login(user)
    response = client.post(reverse("feedback:pad_pair", args=[window.pk]))
    assert response.status_code == 302
    name = f"yichuang_pad_{window.pk}"
    kept = client.cookies[name]
    client.logout()  # the tablet keeps only its pad cookie
    client.cookies[name] = kept.value
    return client


def test_an_unpaired_device_is_refused(client, office):
    finished_ticket(office.hall.w_general, office.hall.general_clerk)
    response = client.get(reverse("feedback:pad", args=[office.hall.w_general.pk]))
    assert response.status_code == 403
    assert "尚未配对" in response.content.decode()
    assert client.post(reverse("feedback:pad", args=[office.hall.w_general.pk]), {"level": 1}).status_code == 403
    assert client.get(reverse("feedback:pad_current", args=[office.hall.w_general.pk])).status_code == 403
    assert not Evaluation.objects.exists()
    # A cookie of another window, or a forged one, does not help.
    pair(client, office.hall.w1, office.hall.clerk)
    assert client.get(reverse("feedback:pad", args=[office.hall.w_general.pk])).status_code == 403
    client.cookies[f"yichuang_pad_{office.hall.w_general.pk}"] = "forged"
    assert client.get(reverse("feedback:pad", args=[office.hall.w_general.pk])).status_code == 403


def test_pairing_needs_a_signed_in_member_of_staff(client, office):
    url = reverse("feedback:pad_pair", args=[office.hall.w_general.pk])
    assert client.post(url).status_code == 302 and not hasattr(office.hall.w_general, "rating_pad")
    client.force_login(UserFactory(username="norole"))
    assert client.post(url).status_code == 403


def test_the_pad_rates_the_visit_just_finished(client, office):
    window = office.hall.w_general
    pair(client, window, office.hall.general_clerk)
    url = reverse("feedback:pad", args=[window.pk])
    assert "欢迎您" in client.get(url).content.decode()
    assert client.get(reverse("feedback:pad_current", args=[window.pk])).json() == {"service": ""}
    ticket = finished_ticket(window, office.hall.general_clerk)
    page = client.get(url).content.decode()
    assert ticket.number in page and "不满意" in page and "服务态度" in page
    assert client.get(reverse("feedback:pad_current", args=[window.pk])).json() == {"service": f"t{ticket.pk}"}
    response = client.post(
        url, {"service": f"t{ticket.pk}", "level": "2", "dim_attitude": "2", "tags": ["slow"], "comment": "慢"}
    )
    assert response.status_code == 302 and response.url == reverse("feedback:pad_thanks", args=[window.pk])
    evaluation = Evaluation.objects.get()
    assert (evaluation.channel, evaluation.level, evaluation.ticket, evaluation.window) == ("pad", 2, ticket, window)
    assert evaluation.dimensions == {"attitude": 2} and evaluation.tags == ["slow"]
    assert evaluation.rectification.assignee == office.hall.general_clerk
    assert "欢迎您" in client.get(url).content.decode()  # back to idle: nothing left to rate
    # A second tap for the same service is refused.
    assert client.post(url, {"service": f"t{ticket.pk}", "level": "5"}).status_code == 422
    assert Evaluation.objects.count() == 1


def test_the_pad_of_an_output_window_rates_the_handover(client, office, case):
    window = WindowFactory(zone=office.hall.general, number=50, name="综合出件", output=True)
    pair(client, window, office.hall.admin)
    handover = Handover.objects.create(
        submission=case.submission, method="in_person", receiver="applicant", receiver_name="张三",
        window=window, handed_by=office.hall.admin,
    )  # fmt: skip
    HandoverItem.objects.create(handover=handover, case=case, outcome="approved")
    url = reverse("feedback:pad", args=[window.pk])
    assert case.matter_name in client.get(url).content.decode()
    assert client.post(url, {"service": f"h{handover.pk}", "level": "4"}).status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.case, evaluation.channel, evaluation.window) == (case, Channel.PAD, window)
    # An old handover (over 15 minutes) is not offered.
    Handover.objects.filter(pk=handover.pk).update(handed_at=timezone.now() - dt.timedelta(minutes=16))
    assert "欢迎您" in client.get(url).content.decode()


def test_the_signed_link(client, case):
    url = reverse("feedback:rate_case", args=[links.make_token(case.number)])
    page = client.get(url).content.decode()
    assert case.number in page and "办事指南准确性" in page
    response = client.post(url, {"level": "1", "dim_usability": "1", "comment": "不方便", "real_name": "1"})
    assert response.status_code == 200 and "感谢" in response.content.decode()
    evaluation = Evaluation.objects.get()
    assert (evaluation.channel, evaluation.level, evaluation.real_name) == ("link", 1, True)
    assert evaluation.rectification.follow_up_required
    again = client.get(url)
    assert again.status_code == 200 and "已经评价过" in again.content.decode()
    client.post(url, {"level": "5"})
    assert Evaluation.objects.count() == 1


def test_expired_and_forged_links_are_refused(client, case):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 16 * 86400):
        old = links.make_token(case.number)
    response = client.get(reverse("feedback:rate_case", args=[old]))
    assert response.status_code == 410 and "已过期" in response.content.decode()
    assert client.post(reverse("feedback:rate_case", args=[old]), {"level": "5"}).status_code == 410
    token = links.make_token(case.number)
    number, stamp, signature = token.rsplit(":", 2)
    for forged in (f"{number[:-1]}2:{stamp}:{signature}", token[:-2] + "xx", "nonsense"):
        response = client.get(reverse("feedback:rate_case", args=[forged]))
        assert response.status_code == 400 and "无效" in response.content.decode()
    assert not Evaluation.objects.exists()


def _portal_sign_in(client, phone):
    session = client.session
    session[portal_services.SESSION_PHONE] = phone
    session[portal_services.SESSION_AT] = time.time()
    session.save()


def test_the_applicant_rates_a_concluded_case_in_the_portal(client, case):
    page_url = reverse("portal:submission", args=[case.submission.number])
    _portal_sign_in(client, PERSON["phone"])
    page = client.get(page_url).content.decode()
    assert "评价办件服务" in page and reverse("feedback:rate_portal", args=[case.number]) in page
    response = client.post(reverse("feedback:rate_portal", args=[case.number]), {"level": "5", "dim_efficiency": "5"})
    assert response.status_code == 302 and response.url == page_url
    assert Evaluation.objects.get().channel == Channel.PORTAL
    assert "您已评价" in client.get(page_url).content.decode()


def test_only_the_applicant_rates_in_the_portal(client, case):
    url = reverse("feedback:rate_portal", args=[case.number])
    assert client.post(url, {"level": "5"}).status_code == 404
    _portal_sign_in(client, "13700000000")
    assert client.post(url, {"level": "5"}).status_code == 404
    assert not Evaluation.objects.exists()


def test_the_rectification_list_by_role(client, office, case):
    evaluation = services.rate(level=2, channel=Channel.LINK, case=case, comment="等太久")
    rect = evaluation.rectification
    Rectification.objects.filter(pk=rect.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    url = reverse("feedback:rectifications")
    assert client.get(url).status_code == 302
    client.force_login(office.supervisor)
    page = client.get(url).content.decode()
    assert f'id="r{rect.pk}"' in page and "rectification overdue" in page and "等太久" in page and "已超期" in page
    client.force_login(office.officer)
    assert f'id="r{rect.pk}"' in client.get(url).content.decode()
    client.force_login(office.tax_officer)
    assert f'id="r{rect.pk}"' not in client.get(url).content.decode()
    assert (
        client.post(reverse("feedback:rectification_act", args=[rect.pk, "follow-up"]), {"note": "x"}).status_code
        == 404
    )
    client.force_login(UserFactory(username="norole"))
    assert client.get(url).status_code == 403


def test_the_rectification_forms(client, office, case):
    rect = services.rate(level=1, channel=Channel.LINK, case=case).rectification

    def act(user, action, data):
        client.force_login(user)
        return client.post(reverse("feedback:rectification_act", args=[rect.pk, action]), data, follow=True)

    assert "回访已记录" in act(office.officer, "follow-up", {"note": "已电话回访"}).content.decode()
    assert "申诉已提交" in act(office.officer, "appeal", {"reason": "非服务问题"}).content.decode()
    page = act(
        office.supervisor, "review", {"appeal": rect.evaluation.appeals.get().pk, "upheld": "0", "outcome": "不成立"}
    )
    assert "复核意见已记录" in page.content.decode() and "申诉不成立" in page.content.decode()
    assert "整改已办结" in act(office.officer, "resolve", {"status": "fixed", "resolution": "已改进"}).content.decode()
    rect.refresh_from_db()
    assert rect.status == "fixed" and rect.follow_up_note == "已电话回访"
    assert Evaluation.objects.get().level == 1
    errors = act(office.officer, "resolve", {"status": "fixed", "resolution": "again"}).content.decode()
    assert "已经办结" in errors


def test_the_supervision_board_shows_overdue_rectifications_red(client, office, case):
    rect = services.rate(level=2, channel=Channel.LINK, case=case).rectification
    client.force_login(office.supervisor)
    board = client.get(reverse("supervision:board")).content.decode()
    assert "没有超期未整改的差评" in board and "整改中的差评共 1 件" in board
    Rectification.objects.filter(pk=rect.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    board = client.get(reverse("supervision:board")).content.decode()
    assert f'data-rectification="{rect.pk}"' in board and case.number in board
