"""Two consultants press 接听 at the same moment, each on their own connection: exactly one gets the call.
PostgreSQL only (the SQLite test database is one in-memory connection shared by every thread)."""

import threading

import pytest
from django.db import connection, connections

from yichuang.video import services
from yichuang.video.models import Call

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_answers_one_wins_the_other_is_refused(people):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with one connection per thread")
    for _round in range(5):
        call = services.place_call(kind=Call.Kind.CONSULT)
        barrier = threading.Barrier(2)
        outcomes = []

        def answer(user, call=call, barrier=barrier, outcomes=outcomes):
            try:
                copy = Call.objects.get(pk=call.pk)
                barrier.wait()
                services.answer_call(copy, user)
                outcomes.append(("won", user.pk))
            except services.Refused:
                outcomes.append(("refused", user.pk))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=answer, args=(u,)) for u in (people.consultant, people.consultant2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(o for o, _ in outcomes) == ["refused", "won"]
        winner = next(pk for o, pk in outcomes if o == "won")
        assert Call.objects.get(pk=call.pk).callee_id == winner
