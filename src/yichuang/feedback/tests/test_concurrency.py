"""Two ratings of the same case on the same channel at the same instant (PostgreSQL: real concurrent
transactions; SQLite serializes writers, and test_services forces the constraint path there)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from yichuang.feedback import services
from yichuang.feedback.models import Channel, Evaluation, Rectification


def run_together(*jobs):
    barrier, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            results[i] = ("ok", job())
        except ValidationError as exc:
            results[i] = ("refused", exc)
        except Exception as exc:  # noqa: BLE001 - reported below
            results[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


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
