"""An application refused for any reason keeps what the applicant entered and uploaded: each checked file is staged
on the server for that form and that phone, named on the form shown again, used when the form comes back without
a new file, attached on success and then deleted. Nobody else's session sees or uses it; after a day it is gone.
And a limit in a year nobody has entered is told to the applicant in a plain sentence."""

import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yichuang.catalogue.models import Material
from yichuang.catalogue.tests.factories import MatterFactory, MatterMaterialFactory
from yichuang.clock.models import CalendarYear
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.intake.models import Attachment, Submission
from yichuang.intake.tests.ids import resident_id
from yichuang.portal.models import StagedUpload

from .conftest import sign_in
from .test_apply import ID, PDF, PNG, apply_url, setup_form, upload

pytestmark = pytest.mark.django_db

OTHER_PHONE = "13700001111"
KEY = "k" * 24
KEPT_ID = "已上传：id.pdf（无需重新上传）"
KEPT_FORM = "已上传：form.png（无需重新上传）"
BAD_ID = ID[:-1] + ("0" if ID[-1] != "0" else "1")
# Monday 7 December 2026, when the issue was found: 30 working days from here end in 2027.
DEC_7 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
APPLICANT_SENTENCE = (
    "本事项的办理期限需要用到2027年的节假日安排，该安排尚未录入本系统，暂时无法在网上提交。"
    "您填写的内容和上传的文件已保存，安排录入后可直接提交；也可拨打大厅电话咨询。"
)


def staged_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "portal" / "staged"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def without_files(**overrides) -> dict:
    """The SETUP form sent again with no file chosen (what a browser sends: no file part)."""
    return setup_form(**{"m-file_0": None, "m-file_1": None, **overrides})


@pytest.fixture(autouse=True)
def _on_commit(monkeypatch):
    """Staged copies are deleted from disk after the commit; the test's transaction never commits, so each
    callback runs at once (as it would right after the commit of a real request)."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def test_a_refused_form_keeps_the_uploads_and_the_second_submit_uses_them(applicant):
    first = applicant.post(apply_url(), setup_form(**{"applicant-id_number": BAD_ID}))
    assert first.status_code == 200
    page = first.content.decode()
    assert "校验位不正确" in page
    assert KEPT_ID in page and KEPT_FORM in page and 'id="kept-files-note"' in page
    assert 'value="李四"' in page  # what was typed is shown again
    assert not Submission.objects.exists() and not Attachment.objects.exists()
    assert StagedUpload.objects.count() == 2 and len(staged_files()) == 2

    second = applicant.post(apply_url(), without_files())
    assert second.status_code == 302, second.content.decode()[:3000]
    submission = Submission.objects.get()
    files = {a.material_code: a for a in Attachment.objects.filter(submission=submission)}
    assert {code: a.original_name for code, a in files.items()} == {"ID": "id.pdf", "FORM": "form.png"}
    assert files["ID"].file.read() == PDF and files["FORM"].file.read() == PNG
    assert files["ID"].content_type == "application/pdf"
    # The staged copies are gone once attached.
    assert not StagedUpload.objects.exists() and staged_files() == []


def test_without_the_kept_file_the_line_still_asks_for_one(applicant):
    response = applicant.post(apply_url(), without_files())
    assert response.status_code == 200
    page = response.content.decode()
    assert "请上传这份材料" in page and "已上传：" not in page
    assert not Submission.objects.exists()


def test_a_refused_file_is_not_kept_and_a_new_file_replaces_the_kept_one(applicant):
    disguised = upload("id.pdf", b"MZ\x90\x00 exe")
    page = applicant.post(apply_url(), setup_form(**{"m-file_0": disguised})).content.decode()
    assert "不是 PDF、JPEG、PNG 或 OFD" in page
    assert KEPT_ID not in page and KEPT_FORM in page
    assert list(StagedUpload.objects.values_list("material", flat=True)) == ["FORM"]
    # Another file for FORM replaces the kept one (and its copy on disk).
    page = applicant.post(
        apply_url(), without_files(**{"m-file_1": upload("form2.pdf"), "applicant-id_number": BAD_ID})
    ).content.decode()
    assert "已上传：form2.pdf（无需重新上传）" in page and KEPT_FORM not in page
    assert StagedUpload.objects.get().original_name == "form2.pdf" and len(staged_files()) == 1
    response = applicant.post(apply_url(), without_files(**{"m-file_0": upload("id.pdf")}))
    assert response.status_code == 302
    names = dict(Attachment.objects.values_list("material_code", "original_name"))
    assert names == {"ID": "id.pdf", "FORM": "form2.pdf"}


def test_another_persons_session_never_sees_or_uses_a_staged_file(applicant, hall):
    applicant.post(apply_url(), setup_form(**{"applicant-id_number": BAD_ID}))
    assert StagedUpload.objects.count() == 2
    other = sign_in(Client(), OTHER_PHONE)
    # The same form key, no files: nothing is shown as kept and nothing is used.
    other_id = resident_id("411624", "19900101", "052")
    response = other.post(apply_url(), without_files(**{"applicant-id_number": other_id, "applicant-name": "王五"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "已上传：" not in page and "id.pdf" not in page and "form.png" not in page
    assert page.count("请上传这份材料") == 2
    assert not Submission.objects.exists()
    # Their own files on the same key are theirs alone; the first applicant's stay untouched and unused.
    done = other.post(apply_url(), setup_form(**{"applicant-id_number": other_id, "applicant-name": "王五"}))
    assert done.status_code == 302
    assert StagedUpload.objects.count() == 2  # the first applicant's, still kept for them
    assert Attachment.objects.count() == 2
    # A signed-out session reaches no form at all.
    assert Client().post(apply_url(), without_files()).status_code == 302


def test_a_staged_file_is_kept_one_day(client, hall):
    start = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        applicant = sign_in(client)
        applicant.post(apply_url(), setup_form(**{"applicant-id_number": BAD_ID}))
        assert StagedUpload.objects.count() == 2
    with time_machine.travel(start + dt.timedelta(hours=25), tick=False):
        applicant = sign_in(client)  # the sign-in lasts two hours
        page = applicant.post(apply_url(), without_files(**{"applicant-id_number": BAD_ID})).content.decode()
        assert "已上传：" not in page and page.count("请上传这份材料") == 2  # too old: not used
        # The next file staged (by anyone) deletes the old ones, rows and files.
        applicant.post(apply_url(), without_files(**{"m-file_0": upload("new.pdf"), "applicant-id_number": BAD_ID}))
        assert list(StagedUpload.objects.values_list("original_name", flat=True)) == ["new.pdf"]
        assert len(staged_files()) == 1


@pytest.mark.calendar_as_installed
def test_a_year_nobody_entered_the_applicant_reads_a_plain_sentence_and_keeps_the_files(client, hall, caplog):
    matter = MatterFactory(
        code="INJURY",
        name="工伤认定",
        department=hall.samr,
        zones=[hall.general],
        legal_limit=Decimal("60"),
        promised_limit=Decimal("30"),
        online=True,
    )
    MatterMaterialFactory(matter=matter, material=Material.objects.get(code="ID"), order=1, core=True)
    MatterMaterialFactory(matter=matter, material=Material.objects.get(code="FORM"), order=2)
    data = {
        "key": KEY,
        "applicant-kind": "person",
        "applicant-name": "李四",
        "applicant-id_number": ID,
        "m-status_0": "received",
        "m-file_0": SimpleUploadedFile("身份证.pdf", PDF),
        "m-status_1": "received",
        "m-file_1": SimpleUploadedFile("申请表.png", PNG),
    }
    with time_machine.travel(DEC_7, tick=False):
        applicant = sign_in(client)
        with caplog.at_level(logging.WARNING, logger="yichuang.intake.services"):
            response = applicant.post(apply_url("INJURY"), data)
        assert response.status_code == 200
        page = response.content.decode()
        assert APPLICANT_SENTENCE in page
        assert "请管理员" not in page and "工作日历尚未录入" not in page  # the administrator's sentence is not theirs
        assert "已上传：身份证.pdf（无需重新上传）" in page and "已上传：申请表.png（无需重新上传）" in page
        assert 'value="李四"' in page
        assert any("2027" in r.getMessage() for r in caplog.records)  # the administrator's line in the log
        assert not Submission.objects.exists()
        # The administrator enters 2027; the applicant sends the same form again without choosing the files.
        CalendarYear.objects.create(year=2027, complete=True)
        again = {k: v for k, v in data.items() if not k.startswith("m-file_")}
        response = applicant.post(apply_url("INJURY"), again)
    assert response.status_code == 302, response.content.decode()[:3000]
    submission = Submission.objects.get()
    assert dict(Attachment.objects.filter(submission=submission).values_list("material_code", "original_name")) == {
        "ID": "身份证.pdf",
        "FORM": "申请表.png",
    }
    assert not StagedUpload.objects.exists()
