"""The front database refusing one row (a value too long for its column, a payload of the wrong shape) rejects
that row only — the rest of the batch is sent; the error table missing, its grant missing or the connection
dropped does not stop the delivery."""

import logging

import pytest

from yichuang.exchange import services
from yichuang.exchange.models import OutboxEvent
from yichuang.exchange.targets import FrontDatabase, TargetError

from .conftest import rows
from .helpers import with_special

pytestmark = pytest.mark.django_db
Status = OutboxEvent.Status
LONG_NAME = "欧阳" * 60  # 120 characters: yc_accept.applicant_name is VARCHAR(100)


def accept_of(case) -> OutboxEvent:
    return OutboxEvent.objects.get(stream=case.number, table="accept")


def statuses(case) -> list[str]:
    return list(OutboxEvent.objects.filter(stream=case.number).order_by("id").values_list("status", flat=True))


def test_a_value_too_long_rejects_its_row_only_and_the_rest_of_the_batch_is_sent(desk, front):
    _s1, bad = with_special(desk)
    _s2, good = with_special(desk)
    row = accept_of(bad)
    OutboxEvent.objects.filter(pk=row.pk).update(payload={**row.payload, "applicant_name": LONG_NAME})
    report = services.deliver_due(target=front)
    assert report.rejected == 1 and report.sent == 7  # both acceptances were one batch
    row.refresh_from_db()
    assert row.status == Status.REJECTED
    assert "too long" in row.reject_reason.lower()  # MariaDB "Data too long …", PostgreSQL "value too long …"
    assert "欧阳" not in row.reject_reason and row.payload["applicant_id_no"] not in row.reject_reason
    assert set(statuses(good)) == {Status.SENT}
    assert statuses(bad) == [Status.REJECTED] + [Status.PENDING] * 6  # its case waits behind it
    assert [r[1] for r in rows(front, "accept")] == [good.number]
    assert len(rows(front, "material", "row_id, seq")) == 1  # the rejected row's materials were not written


def test_a_payload_of_the_wrong_shape_is_rejected_with_a_reason_not_the_drain(desk, front):
    _s1, bad = with_special(desk)
    _s2, good = with_special(desk)
    row = accept_of(bad)
    OutboxEvent.objects.filter(pk=row.pk).update(payload={**row.payload, "materials": "x"})
    report = services.deliver_due(target=front)  # no TypeError out of the drain job
    assert report.rejected == 1 and report.sent == 7
    row.refresh_from_db()
    assert row.status == Status.REJECTED and "materials" in row.reject_reason
    assert set(statuses(good)) == {Status.SENT}


def test_a_list_in_a_text_column_is_rejected_naming_the_column(desk, front):
    _s, case = with_special(desk)
    row = accept_of(case)
    OutboxEvent.objects.filter(pk=row.pk).update(payload={**row.payload, "impl_code": ["a", "b"]})
    assert services.deliver_due(target=front).rejected == 1
    row.refresh_from_db()
    assert row.status == Status.REJECTED and "impl_code" in row.reject_reason


def test_a_table_missing_at_the_front_database_is_retried_not_rejected(desk, front):
    _s, case = with_special(desk)
    conn = front.connect()
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE {front.name('accept')}")
    conn.commit()
    report = services.deliver_due(target=front)
    assert report.retrying == 1 and report.rejected == 0  # the schema, not the row: every row waits
    assert statuses(case) == [Status.PENDING] * 7


# --- the error table ----------------------------------------------------------------------------------


def _drop_error_table(front: FrontDatabase) -> None:
    conn = front.connect()
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE {front.name('error')}")
    conn.commit()


def test_no_error_table_does_not_stop_delivery(desk, front, caplog):
    _s, case = with_special(desk)
    _drop_error_table(front)
    with pytest.raises(TargetError):
        front.rejections()
    with pytest.raises(TargetError):
        front.mark_read([1])
    with caplog.at_level(logging.WARNING, logger="yichuang.exchange"):
        report = services.deliver_due(target=front)  # PostgreSQL: the failed SELECT's transaction rolled back
    assert report.sent == 7 and set(statuses(case)) == {Status.SENT}
    assert "could not read the error table" in caplog.text
    assert "张" not in caplog.text


def test_a_dropped_connection_reading_the_error_table_does_not_stop_delivery(desk, front):
    _s, case = with_special(desk)
    front.connect().close()  # the server or the network dropped it; the target still holds the object
    report = services.deliver_due(target=front)
    assert report.sent == 7 and set(statuses(case)) == {Status.SENT}


def test_any_failure_reading_rejections_is_logged_and_delivery_goes_on(desk, caplog):
    _s, case = with_special(desk)

    class Broken:
        def rejections(self):
            raise RuntimeError("张三 110101199003071234")  # personal data in the text: not logged

        def send(self, events, batch_id):
            from yichuang.exchange.targets import Outcome

            return {e.pk: Outcome("sent") for e in events}

        def close(self):
            pass

    with caplog.at_level(logging.WARNING, logger="yichuang.exchange"):
        assert services.deliver_due(target=Broken()).sent == 7
    assert "RuntimeError" in caplog.text and "张三" not in caplog.text and "1101" not in caplog.text
