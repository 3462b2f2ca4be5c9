"""Nothing is rated twice by one form (issue 13.2): the pad, the signed link and the portal's rating carry a
one-time token; a repeat shows the first result and stores nothing."""

import pytest
from django.urls import reverse

from yichuang.core.tests.once_helpers import repeated, token_in
from yichuang.feedback import links
from yichuang.feedback.models import Evaluation
from yichuang.intake.tests.helpers import PERSON

from .conftest import finished_ticket
from .test_views import _portal_sign_in, pair

pytestmark = pytest.mark.django_db


def test_a_double_tap_on_the_pad_is_one_rating(client, office):
    window = office.hall.w_general
    pair(client, window, office.hall.general_clerk)
    ticket = finished_ticket(window, office.hall.general_clerk)
    url = reverse("feedback:pad", args=[window.pk])
    data = {"service": f"t{ticket.pk}", "level": "5", "form_token": token_in(client.get(url))}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302 and second["Location"] == first["Location"]
    assert second["Location"] == reverse("feedback:pad_thanks", args=[window.pk])
    assert Evaluation.objects.count() == 1


def test_the_signed_link_sent_twice_shows_the_rating_made(client, case):
    url = reverse("feedback:rate_case", args=[links.make_token(case.number)])
    data = {"level": "4", "form_token": token_in(client.get(url))}
    assert "感谢" in client.post(url, data).content.decode()
    again = client.post(url, data)
    assert again.status_code == 200 and "已经评价过" in again.content.decode()
    assert Evaluation.objects.count() == 1


def test_the_portal_rating_sent_twice_is_one_rating(client, case):
    page_url = reverse("portal:submission", args=[case.submission.number])
    _portal_sign_in(client, PERSON["phone"])
    data = {"level": "5", "dim_efficiency": "5", "form_token": token_in(client.get(page_url))}
    url = reverse("feedback:rate_portal", args=[case.number])
    assert client.post(url, data).status_code == 302
    assert "您已评价" in repeated(client, client.post(url, data))
    assert Evaluation.objects.count() == 1
