"""One-time form tokens (core.once): claimed once by the unique key, released when the form is shown again, refused
when forged or too old, bound to their sender, removed by the periodic job once they can no longer be sent. The
forms themselves are tested in each app (test_once_forms.py)."""

import datetime as dt

import pytest
from django.core import signing
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from yichuang.core import once, periodic
from yichuang.core import tasks as core_tasks
from yichuang.core.models import FormToken

pytestmark = pytest.mark.django_db


def test_a_key_is_claimed_once():
    key = once.key_of(once.new_token("x"))
    assert key.startswith("x.") and len(key) <= 64
    with transaction.atomic():
        row, first = once.claim(key, "user:1", "/a/")
        again, repeat = once.claim(key, "user:1", "/a/")  # the savepoint keeps the transaction usable
        assert first and not repeat and again.pk == row.pk
    assert FormToken.objects.count() == 1


def test_forged_and_old_tokens_are_refused(settings):
    token = once.new_token()
    with pytest.raises(signing.BadSignature):
        once.key_of(token[:-2] + "xx")
    with pytest.raises(signing.BadSignature):
        once.key_of(None)
    settings.FORM_TOKEN_SECONDS = 600
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=signing.time.time() + 601):
        with pytest.raises(signing.SignatureExpired):
            once.key_of(token)


def test_a_form_shown_again_keeps_its_own_token_only():
    factory = RequestFactory()
    token = once.new_token("mail")
    posted = factory.post("/x/", {once.FIELD: token})
    assert once.token_for(posted, "mail") == token
    assert once.token_for(posted, "hand_over") != token  # another form of the page: a new one
    FormToken.objects.create(key=once.key_of(token), created_at=timezone.now())
    assert once.token_for(posted, "mail") != token  # spent


def test_the_periodic_job_removes_only_tokens_past_their_lifetime(settings):
    settings.FORM_TOKEN_SECONDS = 3600
    now = timezone.now()
    FormToken.objects.create(key="old", created_at=now - dt.timedelta(seconds=3601))
    FormToken.objects.create(key="young", created_at=now - dt.timedelta(seconds=3500))
    assert core_tasks.FORM_TOKENS in {j.name for j in periodic.jobs()}
    assert periodic.get(core_tasks.FORM_TOKENS).func() == {"removed": 1}
    assert list(FormToken.objects.values_list("key", flat=True)) == ["young"]
