"""Two ratings of the same case on the same channel at the same instant (PostgreSQL: real concurrent
transactions; SQLite serializes writers, and test_services forces the constraint path there)."""

import pytest
from django.db import connection

from yichuang.core.tests.concurrency import run_together
from yichuang.feedback import services
from yichuang.feedback.models import Channel, Evaluation, Rectification


@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_once_one_wins(office):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; test_services covers the constraint path")
    from .conftest import concluded_case

    case = concluded_case(office)
    jobs = [lambda level=level: services.rate(level=level, channel=Channel.LINK, case=case) for level in (1, 2, 1)]
    results = run_together(*jobs)
    kinds = sorted(kind for kind, _ in results)
    assert kinds == ["ok", "refused", "refused"], results
    assert all("不能重复评价" in str(exc) for kind, exc in results if kind == "refused")
    assert Evaluation.objects.filter(case=case).count() == 1
    assert Rectification.objects.count() == 1
