"""`yichuang exchange create-tables | deliver | status`."""

import io
import uuid

import pytest
from django.core.management import call_command

from yichuang.exchange.models import OutboxEvent
from yichuang.exchange.targets import FrontDatabase

from .conftest import MARIADB_URL
from .helpers import with_special

pytestmark = pytest.mark.django_db


def test_create_tables_at_the_configured_front_database(settings):
    prefix = f"c{uuid.uuid4().hex[:8]}_"
    settings.EXCHANGE_TARGET, settings.EXCHANGE_TABLE_PREFIX = MARIADB_URL, prefix
    target = FrontDatabase(MARIADB_URL, prefix=prefix)
    try:
        target.connect()
    except Exception as exc:
        pytest.skip(f"MariaDB not reachable: {exc}")
    try:
        call_command("exchange", "create-tables", stdout=io.StringIO())
        conn = target.connect()
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES LIKE %s", [prefix + "%"])
            names = sorted(r[0] for r in cur.fetchall())
        conn.commit()
        assert names == sorted(
            prefix + t
            for t in ("accept", "process", "special", "result", "delivery", "evaluation", "material", "error")
        )
    finally:
        target.drop_tables()
        target.close()


def test_deliver_and_status_by_hand(desk, province, settings):
    with_special(desk)
    settings.EXCHANGE_TARGET = province.url
    out = io.StringIO()
    call_command("exchange", "deliver", stdout=out)
    assert "sent 7" in out.getvalue()
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {"sent"}
    out = io.StringIO()
    call_command("exchange", "status", stdout=out)
    assert "sent: 7" in out.getvalue() and "pending: 0" in out.getvalue()
