"""The admin's 导入节假日通知 (paste or upload → preview → confirm) and single overrides moving running cases."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yichuang.backoffice.tests.conftest import take_in
from yichuang.clock.models import CalendarOverride, CalendarYear
from yichuang.intake.models import TimelineEvent
from yichuang.notifications.models import Message
from yichuang.organisation.tests.factories import UserFactory

from .test_services import NOTICE_2027, close, t

pytestmark = pytest.mark.django_db
URL = "/admin/clock/calendaroverride/import-notice/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(hall_admin=True, username="halladmin"))
    return client


def test_the_changelists_offer_the_import_and_show_assumed_years(admin_client):
    CalendarYear.objects.update_or_create(year=2027, defaults={"complete": False, "assumed": True})
    for url in ("/admin/clock/calendaroverride/", "/admin/clock/calendaryear/"):
        page = admin_client.get(url).content.decode()
        assert URL in page and "导入节假日通知" in page
    assert "假定(非官方)" in admin_client.get("/admin/clock/calendaryear/").content.decode()


def test_only_staff_with_the_change_permission(client):
    client.force_login(UserFactory(is_staff=True, username="staffonly"))
    assert client.get(URL).status_code == 403


def test_preview_shows_the_year_and_changes_nothing_then_confirm_imports(admin_client):
    page = admin_client.post(URL, {"text": NOTICE_2027, "preview": "预览"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-date="2027-10-01"' in html and "10月1日 国庆节（休）" in html
    assert 'class="workday" data-date="2027-09-26"' in html
    assert "国办发明电〔2026〕99号" in html and "2026年11月5日" in html
    assert "2027-02-20（周六）" in html or "2027-02-20（星期六）" in html
    assert not CalendarOverride.objects.exists()

    confirm = admin_client.post(URL, {"text": NOTICE_2027, "confirm": "1"})
    assert confirm.status_code == 302
    assert CalendarOverride.objects.filter(date=dt.date(2027, 10, 1), note="国庆节", is_workday=False).exists()
    assert CalendarYear.objects.get(year=2027).complete


def test_the_confirmation_parses_the_text_again(admin_client):
    bad = NOTICE_2027.replace("共9天", "共8天")
    page = admin_client.post(URL, {"text": bad, "confirm": "1"})
    assert page.status_code == 200 and "第7行" in page.content.decode()
    assert not CalendarOverride.objects.exists()


def test_a_gb18030_upload(admin_client):
    upload = SimpleUploadedFile("2027.txt", NOTICE_2027.encode("gb18030"), content_type="text/plain")
    page = admin_client.post(URL, {"file": upload, "preview": "预览"})
    assert "国务院办公厅关于2027年部分节假日安排的通知" in page.content.decode()


def test_an_unreadable_line_is_shown_at_the_field_with_its_number(admin_client):
    text = NOTICE_2027.replace("（周三）放假，共1天。\n六", "（周四）放假，共1天。\n六")  # 2027-06-09 is a Wednesday
    page = admin_client.post(URL, {"text": text})
    html = page.content.decode()
    assert "errorlist" in html and "第10行" in html and "不是周四" in html
    assert not CalendarOverride.objects.exists()


def test_the_preview_lists_the_running_cases_it_moves(admin_client, office):
    case = take_in(office.hall, now=t(2026, 12, 29))
    # The admin's own clock: the preview is about now; pin it so that the case is running.
    import time_machine

    with time_machine.travel(t(2026, 12, 29, 14), tick=False):
        admin_client.force_login(UserFactory(hall_admin=True, username="halladmin2"))  # a session of that day
        html = admin_client.post(URL, {"text": NOTICE_2027}).content.decode()
        assert case.number in html and "2027-01-04 17:30" in html
        admin_client.post(URL, {"text": NOTICE_2027, "confirm": "1"})
    case.refresh_from_db()
    assert case.due_at == close(2027, 1, 4)


def test_a_single_override_saved_in_the_admin_moves_running_cases(admin_client, office):
    case = take_in(office.hall, now=t(2026, 3, 10))
    import time_machine

    with time_machine.travel(t(2026, 3, 10, 14), tick=False):
        page = admin_client.post(
            "/admin/clock/calendaroverride/add/",
            {"date": "2026-03-12", "note": "测试", "source": ""},
            follow=True,
        )
    assert page.status_code == 200
    html = page.content.decode()
    assert case.number in html and "2026-03-16 17:30" in html
    case.refresh_from_db()
    assert case.due_at == close(2026, 3, 16)
    assert TimelineEvent.objects.filter(case=case, kind="deadline_moved").count() == 1
    assert Message.objects.filter(kind="deadline_moved").count() == 1

    override = CalendarOverride.objects.get(date=dt.date(2026, 3, 12))
    with time_machine.travel(t(2026, 3, 10, 15), tick=False):
        admin_client.post(f"/admin/clock/calendaroverride/{override.pk}/delete/", {"post": "yes"})
    case.refresh_from_db()
    assert case.due_at == close(2026, 3, 13)
