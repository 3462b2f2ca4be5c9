"""The simulated day (capacity/simulation.py): it agrees with Erlang C and Erlang A in the steady state, and it
follows the day's rules — windows per half hour, handling times from samples, patience, the queue served out."""

import random

import pytest

from yichuang.hall.capacity import erlang
from yichuang.hall.capacity.simulation import Stream, _replication, simulate


@pytest.fixture(autouse=True)
def _fresh_caches():
    """No database here, so not the hall tests' cache reset (conftest.py), which needs one."""
    yield


def steady(result, skip=2):
    """The day's figures without the first half hours (the hall opens empty), weighted by arrivals."""
    slots = result.slots[skip:]
    n = sum(s.arrivals for s in slots)
    within = sum(s.within_share * s.arrivals for s in slots) / n
    wait = sum(s.mean_wait_minutes * s.arrivals for s in slots) / n
    gave_up = sum(s.abandon_share * s.arrivals for s in slots) / n
    return within, wait, gave_up


def test_agrees_with_erlang_c_in_the_steady_state():
    """60 people an hour, 4 minutes each (exponential), 6 windows, 2 minutes' target: 30 days of 20 hours (over
    eight seeds the simulated share was within ±0.01 of the formula's, the mean wait within ±10 %)."""
    slots = 40
    result = simulate(Stream([30.0] * slots, 4.0), [6] * slots, within_minutes=2, replications=30, seed=7)
    formula = erlang.performance(60, 4, 6, 2)
    within, wait, gave_up = steady(result)
    assert within == pytest.approx(formula.service_level, abs=0.02)  # 0.895
    assert wait == pytest.approx(formula.mean_wait_minutes, rel=0.15)  # 0.57 minutes
    assert gave_up == 0


def test_agrees_with_erlang_a_in_the_steady_state():
    """The same stream on 4 windows, people leaving after 5 minutes on average: about 18 % give up (over eight
    seeds: share within ±0.01, given up within ±0.005, mean wait within ±5 %)."""
    slots = 40
    result = simulate(
        Stream([30.0] * slots, 4.0), [4] * slots, within_minutes=2, patience_minutes=5, replications=30, seed=3
    )
    formula = erlang.performance(60, 4, 4, 2, 5)
    within, wait, gave_up = steady(result)
    assert within == pytest.approx(formula.service_level, abs=0.02)  # 0.685
    assert gave_up == pytest.approx(formula.p_abandon, abs=0.01)  # 0.185
    assert wait == pytest.approx(formula.mean_wait_minutes, rel=0.08)  # 0.92 minutes


def test_the_plan_of_a_half_hour_meets_its_target_when_the_hall_is_busy_all_day():
    """The fewest windows by Erlang C for 80 % within 10 minutes, kept all day, give about 80 % in the simulation."""
    plan = erlang.minimum_windows(43, 12, 0.8, 10)
    slots = 32
    result = simulate(Stream([21.5] * slots, 12.0), [plan.windows] * slots, within_minutes=10, replications=10, seed=1)
    within, _wait, _gave_up = steady(result, skip=4)
    assert within == pytest.approx(plan.service_level, abs=0.04)


def test_same_seed_same_day_and_another_seed_another():
    args = dict(within_minutes=5, patience_minutes=10, replications=3)
    a = simulate(Stream([6.0, 9.0, 4.0], [3.0, 8.0, 12.0, 5.0]), [1, 2, 1], seed=11, **args)
    b = simulate(Stream([6.0, 9.0, 4.0], [3.0, 8.0, 12.0, 5.0]), [1, 2, 1], seed=11, **args)
    c = simulate(Stream([6.0, 9.0, 4.0], [3.0, 8.0, 12.0, 5.0]), [1, 2, 1], seed=12, **args)
    assert a == b
    assert a != c


def test_handling_times_come_from_the_samples():
    """One window, each person takes exactly 1000 minutes (the only sample): of ten arrivals only the first is
    called within the target, and the queue is still served out after closing (nobody is left uncalled)."""
    result = simulate(Stream([10.0], [1000.0]), [1], within_minutes=10, replications=20, seed=5)
    total = result.day.arrivals * result.replications
    assert round(result.day.within_share * total) == result.replications  # one person per day
    assert result.day.abandon_share == 0
    instant = simulate(Stream([10.0], [0.0]), [1], within_minutes=0, replications=5, seed=5)
    assert instant.day.within_share == 1 and instant.day.mean_wait_minutes == 0


def test_no_window_in_a_half_hour_means_waiting_for_the_next():
    """Windows [0, 3]: everyone of the first half hour waits until minute 30 (on average 15 minutes, a third within
    10); those of the second are called at once (handling takes no time)."""
    result = simulate(Stream([20.0, 20.0], [0.0]), [0, 3], within_minutes=10, replications=30, seed=2)
    first, second = result.slots
    assert first.mean_wait_minutes == pytest.approx(15, abs=1.5)
    assert first.within_share == pytest.approx(1 / 3, abs=0.06)
    assert second.mean_wait_minutes == 0 and second.within_share == 1


def test_a_window_going_off_duty_finishes_its_person_and_then_stops():
    """Windows [1, 0, 1], each person 40 minutes: the window serves into the second half hour, calls nobody there,
    and calls the next at minute 60 (or when it finishes, if later)."""
    rng = random.Random(4)
    for _ in range(20):
        people = _replication([Stream([3.0, 0.0, 0.0], [40.0])], [1, 0, 1], 10, None, 30.0, rng)
        calls = sorted(p.called for p in people)
        for earlier, later in zip(calls, calls[1:], strict=False):
            assert later >= 60 - 1e-9
            assert later >= earlier + 40 - 1e-9
        if people:
            first = min(people, key=lambda p: p.arrived)
            assert first.called == pytest.approx(first.arrived)


def test_patience_people_give_up_and_count_against_the_target():
    """No window until minute 60, patience 5 minutes: nearly all of the first half hour give up; they are not
    called within the target even though they left early, and their wait is the time until they left."""
    result = simulate(Stream([20.0, 0.0, 0.0], 1.0), [0, 0, 2], within_minutes=10, patience_minutes=5, seed=9)
    first = result.slots[0]
    assert first.abandon_share > 0.95
    assert first.within_share < 0.05
    assert first.mean_wait_minutes == pytest.approx(5, rel=0.15)


def test_two_streams_share_one_queue_with_their_own_handling_times():
    """A merged pool: stream a's people take 0 minutes, stream b's 1000; with one window, b's first person blocks
    everyone behind, whichever stream they came from."""
    result = simulate([Stream([4.0], [0.0]), Stream([4.0], [1000.0])], [1], within_minutes=30, replications=10, seed=8)
    a, b = result.streams
    assert a.arrivals > 0 and b.arrivals > 0
    assert a.within_share < 1 and b.within_share < 1  # both queues were held up by b's long services
    alone = simulate(Stream([4.0], [0.0]), [1], within_minutes=30, replications=10, seed=8)
    assert alone.day.within_share == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(streams=Stream([1.0, 2.0], 4.0), windows=[1]),  # one figure per slot
        dict(streams=Stream([-1.0], 4.0), windows=[1]),
        dict(streams=Stream([1.0], 0.0), windows=[1]),
        dict(streams=Stream([1.0], []), windows=[1]),
        dict(streams=Stream([1.0], 4.0), windows=[-1]),
        dict(streams=Stream([1.0], 4.0), windows=[1], patience_minutes=0),
        dict(streams=Stream([1.0], 4.0), windows=[1], replications=0),
    ],
)
def test_bad_input_is_refused(kwargs):
    kwargs.setdefault("within_minutes", 10)
    with pytest.raises(ValueError):
        simulate(**kwargs)
