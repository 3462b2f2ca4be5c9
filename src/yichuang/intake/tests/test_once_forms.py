"""Nothing is submitted twice at the intake desk (issue 13.2): the desk's form carries a one-time token, a repeat
shows the first result and creates nothing; a likely duplicate (same applicant, same matters, same day) needs the
clerk's explicit "仍然受理", and the intake API answers 409 with the earlier number unless confirmed."""

import os
import threading
import time
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yichuang.core import once
from yichuang.core.tests.once_helpers import repeated, token_in, tokens_in
from yichuang.intake.models import Attachment, Case, Submission
from yichuang.notifications.models import Message

from .helpers import build_hall
from .test_api import body, post, staff
from .test_refuse_and_files import PDF
from .test_views import form, login

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
DESK = "/desk/intake/"


def test_the_desk_sent_twice_makes_one_submission_and_shows_the_first(client, hall):
    login(client, hall.clerk)
    data = form(action="accept", form_token=token_in(client.get(DESK)))
    first = client.post(DESK, data)
    assert first.status_code == 302, first.content.decode()[:2000]
    second = client.post(DESK, data)
    assert second["Location"] == first["Location"]
    page = repeated(client, second)
    number = Submission.objects.get().number
    assert number in page and Case.objects.count() == 3
    assert Message.objects.filter(submission=number).count() == 1  # texted once


def test_a_refusal_sent_twice_is_one_refusal(client, hall):
    login(client, hall.clerk)
    data = form(action="refuse", reasons="缺少章程。", form_token=token_in(client.get(DESK)))
    first = client.post(DESK, data)
    assert first.status_code == 302, first.content.decode()[:2000]
    repeated(client, client.post(DESK, data))
    assert Submission.objects.filter(status=Submission.Status.REFUSED).count() == 1


def test_the_checklist_and_a_form_with_errors_keep_the_token_usable(client, hall):
    login(client, hall.clerk)
    token = token_in(client.get(DESK))
    checklist = client.post(DESK, form(action="checklist", form_token=token))
    assert checklist.status_code == 200 and tokens_in(checklist) == [token]  # the same form goes on
    wrong = client.post(DESK, form(action="accept", form_token=token, **{"applicant.id_number": "123"}))
    assert wrong.status_code == 422 and tokens_in(wrong) == [token] and not Submission.objects.exists()
    assert client.post(DESK, form(action="accept", form_token=token)).status_code == 302
    assert Submission.objects.count() == 1


def test_a_token_not_issued_here_or_too_old_does_nothing(client, hall, settings):
    login(client, hall.clerk)
    bad = client.post(DESK, form(action="accept", form_token="abc.def:ghi"))
    assert bad.status_code == 400 and "表单令牌无效" in bad.content.decode()
    settings.FORM_TOKEN_SECONDS = 600
    token = once.new_token()
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 601):  # the signer's clock
        old = client.post(DESK, form(action="accept", form_token=token))
    assert old.status_code == 409 and "已失效" in old.content.decode()
    assert not Submission.objects.exists()


def test_another_user_repeating_a_token_gets_no_result(client, hall):
    login(client, hall.clerk)
    data = form(action="accept", form_token=token_in(client.get(DESK)))
    assert client.post(DESK, data).status_code == 302
    other = login(Client(), hall.admin).post(DESK, {**data, "window": hall.w1.pk})
    assert other.status_code == 409 and Submission.objects.get().number not in other.content.decode()
    assert Submission.objects.count() == 1


def test_a_file_uploaded_twice_with_the_same_form_is_kept_once(client, hall):
    login(client, hall.clerk)
    client.post(DESK, form(action="accept", form_token=token_in(client.get(DESK))))
    number = Submission.objects.get().number
    page = client.get(f"/desk/intake/{number}/")
    data = {"material": "ARTICLES", once.FIELD: token_in(page)}
    for _ in range(2):
        pdf = SimpleUploadedFile("articles.pdf", PDF, content_type="application/pdf")
        response = client.post(f"/desk/intake/{number}/files/", {**data, "file": pdf})
    repeated(client, response)
    assert Attachment.objects.count() == 1


# --- a likely duplicate -----------------------------------------------------------------------------


def test_the_same_applicant_and_matters_again_today_is_pointed_out_before_accepting(client, hall):
    login(client, hall.clerk)
    assert client.post(DESK, form(action="accept", form_token=token_in(client.get(DESK)))).status_code == 302
    earlier = Submission.objects.get().number
    token = token_in(client.get(DESK))  # a new form: the back button, or the person came again
    warned = client.post(DESK, form(action="accept", form_token=token))
    page = warned.content.decode()
    assert warned.status_code == 409 and earlier in page and "仍然受理" in page and 'id="duplicate-warning"' in page
    assert Submission.objects.count() == 1 and tokens_in(warned) == [token]
    confirmed = client.post(DESK, form(action="accept", form_token=token, confirm_duplicate="1"))
    assert confirmed.status_code == 302 and Submission.objects.count() == 2


def test_other_matters_or_another_applicant_are_not_a_duplicate(client, hall):
    login(client, hall.clerk)
    client.post(DESK, form(action="accept", form_token=once.new_token()))
    other = form(
        action="accept",
        form_token=once.new_token(),
        bundle="",
        matters=["SETUP"],
        **{f"m-{i}-material": "" for i in range(6)},
    )
    response = client.post(DESK, other)
    assert response.status_code != 409 and "duplicate-warning" not in response.content.decode()


def test_the_api_answers_409_with_the_earlier_number_unless_confirmed(hall):
    client = staff(hall.clerk)
    first = post(client, body(), key="k-1")
    assert first.status_code == 201
    again = post(client, body(), key="k-2")
    assert again.status_code == 409 and again.json()["earlier"] == first.json()["number"]
    assert "仍然受理" in again.json()["detail"]
    assert post(client, body(), key="k-1").status_code == 201  # a retry of the first is a replay, not a duplicate
    assert Submission.objects.count() == 1
    assert post(client, body(confirm_duplicate=True), key="k-2").status_code == 201
    assert Submission.objects.count() == 2


# --- two at once (PostgreSQL) -------------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="real concurrent transactions need PostgreSQL (SQLite serializes)")
@pytest.mark.django_db(transaction=True)
def test_the_desk_form_sent_twice_at_once_makes_one_submission_and_one_message():
    from django.db import connection

    hall = build_hall()
    token = once.new_token()
    data = form(action="accept", form_token=token)
    barrier, results = threading.Barrier(2), [None, None]

    def send(i):
        try:
            c = Client()
            c.force_login(hall.clerk)
            barrier.wait()
            results[i] = c.post(DESK, data)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [302, 302], results
    assert results[0]["Location"] == results[1]["Location"]
    number = Submission.objects.get().number
    assert Message.objects.filter(submission=number).count() == 1
    assert Case.objects.count() == 3
