"""The one reading of phone numbers (core.phones), and every door using it."""

import pytest
from django.core.exceptions import ValidationError

from yichuang.core import phones


@pytest.mark.parametrize(
    "written",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "0086 13812345678", "(138)12345678",
     " 13812345678\t"],
)  # fmt: skip
def test_every_spelling_of_a_mobile_is_the_same_number(written):
    assert phones.normalise(written) == "13812345678"
    assert phones.clean_mobile(written) == "13812345678"
    assert phones.clean_phone(written) == "13812345678"
    assert phones.is_mobile(written)


@pytest.mark.parametrize("bad", ["1381234567", "23812345678", "12812345678", "138123456789", "abc", "0394-5212345"])
def test_not_a_mobile(bad):
    with pytest.raises(ValidationError):
        phones.clean_mobile(bad)
    assert not phones.is_mobile(bad)


def test_blank():
    assert phones.normalise(None) == phones.normalise("") == ""
    assert phones.clean_mobile("", blank=True) == phones.clean_mobile(None, blank=True) == ""
    assert phones.clean_phone("  ") == ""
    with pytest.raises(ValidationError):
        phones.clean_mobile("")


def test_landline_kept_as_written_for_intake():
    assert phones.clean_phone("0394-5212345") == "0394-5212345"
    assert phones.clean_phone("03945212345") == "03945212345"
    assert phones.clean_phone("+86 0394-5212345") == "0394-5212345"
    assert phones.normalise("0394-5212345") == "03945212345"
    for bad in ("394-5212345", "0394-521", "phone"):
        with pytest.raises(ValidationError):
            phones.clean_phone(bad)


def test_every_door_reads_phones_through_core_phones():
    from yichuang.intake import services as intake
    from yichuang.portal import services as portal
    from yichuang.queue import services as queue

    assert intake.clean_phone is phones.clean_phone
    assert portal.clean_mobile is phones.clean_mobile
    assert queue.clean_phone("+86 138-1234-5678") == "13812345678" and queue.clean_phone("") == ""
    with pytest.raises(queue.QueueError) as info:
        queue.clean_phone("12345")
    assert info.value.message_dict == {"phone": ["请输入 11 位手机号码。"]}


@pytest.mark.django_db
def test_outbox_stores_the_normalised_number():
    from yichuang.notifications import services as notifications
    from yichuang.notifications.models import Message

    message = notifications.notify("0086 (138) 1234-5678", Message.Kind.ACCEPTED, {"cases": 1})
    assert message.recipient == "13812345678"
    assert notifications.notify("  ", Message.Kind.ACCEPTED, {"cases": 1}) is None
