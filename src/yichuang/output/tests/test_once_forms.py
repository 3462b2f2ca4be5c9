"""Nothing is handed over twice (issue 13.2): the handover and the mail form carry a one-time token each; a repeat
shows the first receipt with a message and records nothing."""

import pytest
from django.urls import reverse

from yichuang.core.tests.once_helpers import repeated, tokens_in
from yichuang.intake.tests.helpers import PERSON
from yichuang.output.models import Handover, HandoverItem

from .conftest import SIGNATURE, ready_single

pytestmark = pytest.mark.django_db


def page_tokens(client, submission) -> dict[str, str]:
    forms = tokens_in(client.get(reverse("output:submission", args=[submission.number])))
    return {name: next(t for t in forms if t.startswith(name + ".")) for name in ("hand_over", "mail")}


def test_a_handover_sent_twice_is_one_handover(client, desk):
    submission = ready_single(desk)
    client.force_login(desk.clerk)
    token = page_tokens(client, submission)["hand_over"]
    ok = {"receiver": "applicant", "id_number": PERSON["id_number"], "receiver_name": "张三", "signature": SIGNATURE}
    post = reverse("output:hand_over", args=[submission.number])
    wrong = client.post(post, {**ok, "receiver_name": "", "form_token": token})
    assert wrong.status_code == 422 and token in tokens_in(wrong)  # the same form goes on after the error
    first = client.post(post, {**ok, "form_token": token})
    assert first.status_code == 302
    second = client.post(post, {**ok, "form_token": token})
    assert second["Location"] == first["Location"]
    assert "领取回执" in repeated(client, second)
    assert Handover.objects.count() == 1 and HandoverItem.objects.count() == 1


def test_a_mail_sent_twice_is_one_mail(client, desk):
    submission = ready_single(desk)
    client.force_login(desk.clerk)
    tokens = page_tokens(client, submission)
    assert tokens["mail"] != tokens["hand_over"]
    data = {"address": "沈丘县1号", "carrier": "EMS", "tracking_number": "EMS1234", "form_token": tokens["mail"]}
    post = reverse("output:mail", args=[submission.number])
    assert client.post(post, data).status_code == 302
    repeated(client, client.post(post, data))
    assert Handover.objects.count() == 1
