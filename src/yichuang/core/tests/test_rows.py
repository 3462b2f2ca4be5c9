"""core.rows: the plain INSERT and the plain read give the rows the ORM would, on both databases."""

import datetime

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from yichuang.core import rows
from yichuang.core.models import AuditEvent
from yichuang.notifications.models import Message
from yichuang.organisation.api_auth import token_with_user
from yichuang.organisation.models import ApiToken
from yichuang.organisation.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def event(n: int, **kwargs) -> AuditEvent:
    return AuditEvent(action=f"test.{n}", object_type="x", object_id=str(n), detail={"n": n, "名": "值"}, **kwargs)


@pytest.mark.parametrize("count", [1, 3])  # one row: VALUES; several on PostgreSQL: one array per column
def test_inserted_rows_read_back_as_given_with_their_keys(count):
    user = UserFactory()
    before = timezone.now()
    made = rows.insert([event(n, actor=user if n % 2 else None, ip="2001:0DB8:0:0::0001") for n in range(count)],
                       returning=True)  # fmt: skip
    assert all(e.pk and not e._state.adding for e in made)
    for e in made:
        stored = AuditEvent.objects.get(pk=e.pk)
        n = int(e.object_id)
        assert (stored.action, stored.detail) == (f"test.{n}", {"n": n, "名": "值"})
        assert stored.actor_id == (user.pk if n % 2 else None)
        assert stored.ip == "2001:db8::1"  # normalised as the ORM would
        assert before <= stored.at <= timezone.now()  # auto_now_add stamped, as by the ORM


def test_defaults_and_empty_values_are_written_as_the_orm_writes_them():
    [mine] = rows.insert([Message(recipient="13900000000", kind="accepted", subject="s", body="b")], returning=True)
    theirs = Message.objects.create(recipient="13900000000", kind="accepted", subject="s", body="b")
    left, right = model_to_dict(Message.objects.get(pk=mine.pk)), model_to_dict(theirs)
    for moment in ("next_attempt_at", "created_at"):
        assert abs(left.pop(moment) - right.pop(moment)) < datetime.timedelta(seconds=5)
    left.pop("id"), right.pop("id")
    assert left == right


def test_without_returning_the_rows_are_written_and_keys_left_unset():
    made = rows.insert([event(1), event(2)])
    assert [e.pk for e in made] == [None, None]
    assert AuditEvent.objects.filter(action__in=["test.1", "test.2"]).count() == 2
    assert rows.insert([]) == []


def test_a_row_read_by_plain_sql_equals_the_orm_instance():
    user = UserFactory(last_login=timezone.now())
    [stored] = rows.insert([event(7, actor=user)], returning=True)
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(AuditEvent, 'a')} FROM {q(AuditEvent._meta.db_table)} a WHERE a.id = %s",
                       [stored.pk])  # fmt: skip
        row = cursor.fetchone()
    read = rows.from_row(AuditEvent, "a", row)
    orm = AuditEvent.objects.get(pk=stored.pk)
    assert model_to_dict(read) == model_to_dict(orm)
    assert isinstance(read.at, datetime.datetime) and timezone.is_aware(read.at)  # SQLite gives text: converted
    assert read.detail == {"n": 7, "名": "值"}
    assert not read._state.adding


def test_the_token_and_its_user_equal_what_the_orm_loads():
    user = UserFactory(last_login=timezone.now())
    token = ApiToken.objects.create(user=user, key_hash=ApiToken.hash("k"), last_used=timezone.now())
    found = token_with_user(ApiToken.hash("k"))
    orm = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert model_to_dict(found) == model_to_dict(orm)
    assert model_to_dict(found.user, exclude=["groups", "user_permissions"]) == model_to_dict(
        orm.user, exclude=["groups", "user_permissions"]
    )
    assert isinstance(found.last_used, datetime.datetime) and isinstance(found.user.last_login, datetime.datetime)
    assert found.user.is_active is True
    assert token_with_user(ApiToken.hash("other")) is None


def test_rows_given_as_values_are_what_instances_would_write():
    due = timezone.now() + datetime.timedelta(hours=1)
    rows.insert_values(Message, [
        {"recipient": "13900000001", "kind": "accepted", "subject": "s", "body": "b", "expires_at": due},
        {"recipient": "13900000002", "kind": "accepted", "subject": "s", "body": "b"},  # the rest: defaults
    ])  # fmt: skip
    first, second = Message.objects.filter(recipient__startswith="1390000000").order_by("recipient")
    assert (first.expires_at, first.status, first.attempts) == (due, Message.Status.PENDING, 0)
    assert second.expires_at is None and timezone.now() - second.created_at < datetime.timedelta(seconds=5)
    with pytest.raises(TypeError):
        rows.insert_values(Message, [{"recipient": "1", "nonsense": 1}])
    with pytest.raises(ValueError):
        rows.insert_values(AuditEvent, [{"action": "x"}])  # `at` is auto_now_add: needs an instance
    rows.insert_values(Message, [])
    assert Message.objects.count() == 2


def test_while_queries_are_logged_the_rows_are_written_and_logged():
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        rows.insert([event(1), event(2)], returning=True)
        rows.insert_values(Message, [{"recipient": "13900000003", "kind": "accepted", "subject": "s", "body": "b"}])
    logged = [q["sql"] for q in captured.captured_queries]
    assert len(logged) == 2 and "test.1" in logged[0] and "13900000003" in logged[1]
    assert AuditEvent.objects.filter(action__in=["test.1", "test.2"]).count() == 2
