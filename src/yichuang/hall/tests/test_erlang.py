"""Erlang C and Erlang A (capacity/erlang.py): textbook values, the birth–death chain solved directly, properties,
and loads where rounding the load before the search overstaffs."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from yichuang.hall.capacity import erlang
from yichuang.hall.capacity.erlang import CapacityError, minimum_windows, performance


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Pure functions: no database, so not the hall tests' cache reset (conftest.py), which needs one."""
    yield


# --- an independent computation: the chain itself ---------------------------------------------------------------


def chain(arrivals_per_hour, handle, windows, within, patience=None):
    """P(wait), P(abandon), mean wait and the share called within `within`, from the birth–death chain of M/M/s+M
    (M/M/s without patience) truncated far out, and the tagged person's progress integrated step by step (RK4).
    Nothing here uses the Erlang B recursion or the incomplete gamma function."""
    lam, mu = arrivals_per_hour / 60, 1 / handle
    theta = 0.0 if patience is None else 1 / patience
    s = windows
    weights = [1.0]
    n = 0
    while True:  # π_n ∝ Π λ / (death rate of k), until the tail is negligible
        n += 1
        death = min(n, s) * mu + max(n - s, 0) * theta
        weights.append(weights[-1] * lam / death)
        if n > s + 50 and weights[-1] < 1e-18 * sum(weights):
            break
    total = sum(weights)
    pi = [w / total for w in weights]
    p_wait = sum(pi[s:])
    queue = sum((k - s) * p for k, p in enumerate(pi) if k > s)
    mean_wait = queue / lam  # Little's law on the queue
    p_abandon = theta * queue / lam
    # f[j](t): called by t, having j ahead: f' = (sμ + jθ)(f[j−1] − f[j]) − θ f[j], f[−1] = 1, f(0) = 0.
    ahead = len(pi) - s
    f = [0.0] * ahead
    steps = 4000
    dt = within / steps

    def deriv(g):
        out = []
        for j in range(ahead):
            before = 1.0 if j == 0 else g[j - 1]
            out.append((s * mu + j * theta) * (before - g[j]) - theta * g[j])
        return out

    for _ in range(steps if within > 0 else 0):
        k1 = deriv(f)
        k2 = deriv([x + dt / 2 * y for x, y in zip(f, k1, strict=True)])
        k3 = deriv([x + dt / 2 * y for x, y in zip(f, k2, strict=True)])
        k4 = deriv([x + dt * y for x, y in zip(f, k3, strict=True)])
        f = [x + dt / 6 * (a + 2 * b + 2 * c + d) for x, a, b, c, d in zip(f, k1, k2, k3, k4, strict=True)]
    within_share = sum(pi[:s]) + sum(pi[s + j] * f[j] for j in range(ahead))
    return p_wait, p_abandon, mean_wait, within_share


# --- textbook values -----------------------------------------------------------------------------------------------


def test_erlang_c_table_values():
    """The classic example: 100 calls in 30 minutes, 3 minutes each (a = 10 erlangs), 80 % within 20 seconds."""
    expected = {11: 0.6821, 12: 0.4494, 13: 0.2853, 14: 0.1741, 15: 0.1020}
    for s, c in expected.items():
        assert erlang.erlang_c(s, 10.0) == pytest.approx(c, abs=5e-5)
    assert performance(200, 3, 13, 20 / 60).service_level == pytest.approx(0.7956, abs=5e-4)
    assert performance(200, 3, 14, 20 / 60).service_level == pytest.approx(0.8884, abs=5e-4)
    assert minimum_windows(200, 3, 0.8, 20 / 60).windows == 14


def test_erlang_c_closed_forms():
    # M/M/1: P(wait) = ρ; M/M/2: 2ρ²/(1 + ρ); a = 2, s = 3: 4/9.
    assert erlang.erlang_c(1, 0.3) == pytest.approx(0.3, rel=1e-12)
    rho = 0.5
    assert erlang.erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)
    assert erlang.erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-12)
    # Erlang B of 1 server: a/(1 + a); mean wait of M/M/1: ρ·h/(1 − ρ).
    assert erlang.erlang_b(1, 0.7) == pytest.approx(0.7 / 1.7, rel=1e-12)
    result = performance(30, 1.2, 1, 0)  # λ = 0.5/min, h = 1.2 → ρ = 0.6
    assert result.mean_wait_minutes == pytest.approx(0.6 * 1.2 / 0.4, rel=1e-12)
    assert result.service_level == pytest.approx(0.4, rel=1e-12)  # within 0 minutes: nobody waits


def test_erlang_b_stable_for_large_loads_and_windows():
    """The recursion never overflows: 5000 windows, 4800 erlangs; and a tiny probability stays > 0 in logarithms."""
    c = erlang.erlang_c(5000, 4800.0)
    assert 0 < c < 1
    assert erlang.log_erlang_b(300, 1.0) < -1000  # 1/300! ≈ e^−1409: underflows as a float, not as a logarithm
    assert erlang.erlang_c(300, 1.0) == 0.0
    assert performance(60, 1, 300, 5).service_level == 1.0


@pytest.mark.parametrize(
    ("arrivals", "handle", "windows", "within", "patience"),
    [
        (40, 12, 9, 10, 20),  # a hall's half hour: a = 8, people leave after 20 minutes on average
        (43, 12, 8, 10, 20),  # fewer windows than the load: Erlang A is still stable
        (60, 4, 4, 2, 5),
        (200, 3, 8, 1, 5),  # overloaded: many give up
        (12, 15, 2, 15, 60),
        (90, 6, 10, 0.5, 2),  # impatient people, a short target
    ],
)
def test_erlang_a_equals_the_chain_solved_directly(arrivals, handle, windows, within, patience):
    p_wait, p_abandon, mean_wait, within_share = chain(arrivals, handle, windows, within, patience)
    result = performance(arrivals, handle, windows, within, patience)
    assert result.model == "erlang_a"
    assert result.p_wait == pytest.approx(p_wait, abs=1e-9)
    assert result.p_abandon == pytest.approx(p_abandon, abs=1e-9)
    assert result.mean_wait_minutes == pytest.approx(mean_wait, rel=1e-8)
    assert result.service_level == pytest.approx(within_share, abs=1e-7)


def test_erlang_c_equals_the_chain_solved_directly():
    p_wait, _ab, mean_wait, within_share = chain(43, 12, 10, 10)
    result = performance(43, 12, 10, 10)
    assert result.p_wait == pytest.approx(p_wait, abs=1e-9)
    assert result.mean_wait_minutes == pytest.approx(mean_wait, rel=1e-8)
    assert result.service_level == pytest.approx(within_share, abs=1e-7)


def test_erlang_a_published_shape():
    """Erlang A against the Erlang C example: patience only helps those who stay — fewer wait, the wait is
    shorter, and the share called within the target is higher for the same windows (those who leave make room)."""
    c = performance(200, 3, 12, 20 / 60)
    a = performance(200, 3, 12, 20 / 60, patience_minutes=10)
    assert a.p_wait < c.p_wait and a.mean_wait_minutes < c.mean_wait_minutes
    assert a.service_level > c.service_level
    assert 0 < a.p_abandon < a.p_wait
    # Mean wait = P(abandon) × mean patience (Little's law on the queue, each waiting person leaves at rate θ).
    assert a.mean_wait_minutes == pytest.approx(a.p_abandon * 10, rel=1e-12)


def test_erlang_a_extremes_stay_finite():
    # Thousands of people an hour, patience of a week or of a few seconds, overloaded or not.
    for args in [(20000, 3, 100, 1, 1000), (20000, 3, 1200, 1, 1e6), (600, 10, 50, 5, 0.05), (60, 10, 1, 5, 1e9)]:
        r = performance(*args)
        for value in (r.p_wait, r.service_level, r.p_abandon, r.mean_wait_minutes):
            assert math.isfinite(value) and value >= 0
        assert r.p_wait <= 1 and r.service_level <= 1 and r.p_abandon <= 1
    # Hugely overloaded with long patience: nearly everyone waits and the served load is the windows' capacity.
    r = performance(20000, 3, 100, 1, 1000)
    assert r.p_abandon == pytest.approx(1 - 100 / 1000, rel=1e-6)


def test_no_windows_and_no_arrivals():
    assert minimum_windows(0, 12, 0.8, 10).windows == 0
    assert minimum_windows(0, 12, 0.8, 10, 20).windows == 0
    nobody = performance(30, 12, 0, 10, 20)  # nobody is ever called: all give up after their patience
    assert (nobody.p_abandon, nobody.service_level, nobody.mean_wait_minutes) == (1.0, 0.0, 20)
    unstable = performance(43, 12, 8, 10)
    assert not unstable.stable and unstable.mean_wait_minutes == math.inf and unstable.service_level == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: minimum_windows(-1, 12, 0.8, 10), "不能为负数"),
        (lambda: minimum_windows(10, 0, 0.8, 10), "平均办理时长须大于 0"),
        (lambda: minimum_windows(10, 12, 1.0, 10), "目标比例"),
        (lambda: minimum_windows(10, 12, 0, 10), "目标比例"),
        (lambda: minimum_windows(10, 12, 0.8, 10, 0), "耐心时长须大于 0"),
        (lambda: minimum_windows(float("nan"), 12, 0.8, 10), "有限"),
        (lambda: minimum_windows("many", 12, 0.8, 10), "须为数字"),
        (lambda: performance(10, 12, -1, 10), "窗口数不能为负数"),
        (lambda: performance(10, 12, 2.5, 10), "整数"),
        (lambda: minimum_windows(1e9, 12, 0.8, 10, max_windows=50), "50 个窗口仍达不到目标"),
    ],
)
def test_bad_input_is_refused_in_words(call, message):
    with pytest.raises(CapacityError, match=message):
        call()


# --- the load is never rounded --------------------------------------------------------------------------------------


def rounded_load_minimum(arrivals, handle, target, within, patience=None):
    """What a planner gets that rounds the load up before searching (pyworkforce #41): the arrivals scaled so
    that the load is ⌈a⌉."""
    load = arrivals * handle / 60
    return minimum_windows(math.ceil(load) * 60 / handle, handle, target, within, patience).windows


def search_from_rounded_start(arrivals, handle, target, within):
    """pyworkforce's ErlangC.required_positions: the search starts at round(a + 1), which skips ⌊a⌋ + 1 when the
    load's fraction is one half or more."""
    s = round(arrivals * handle / 60 + 1)
    while performance(arrivals, handle, s, within).service_level < target:
        s += 1
    return s


def test_rounding_the_load_first_overstaffs_erlang_c():
    """43 tickets an hour, 12 minutes each (a = 8.6), 80 % called within 10 minutes: 10 windows reach 82.7 %, 9 only
    38.9 %. A load rounded up to 9 erlangs asks for 11."""
    result = minimum_windows(43, 12, 0.8, 10)
    assert result.offered_load == pytest.approx(8.6)
    assert result.windows == 10
    assert result.service_level == pytest.approx(0.8268, abs=1e-4)
    assert performance(43, 12, 9, 10).service_level < 0.8
    assert rounded_load_minimum(43, 12, 0.8, 10) == 11


def test_rounding_the_load_first_overstaffs_erlang_a():
    """The same with people who give up after 20 minutes on average: a = 8.2 needs 8 windows, ⌈a⌉ = 9 asks for 9;
    and a = 9.4 needs 9 where the rounded load asks for 10."""
    assert minimum_windows(41, 12, 0.8, 10, 20).windows == 8
    assert rounded_load_minimum(41, 12, 0.8, 10, 20) == 9
    assert minimum_windows(47, 12, 0.8, 10, 20).windows == 9
    assert rounded_load_minimum(47, 12, 0.8, 10, 20) == 10


def test_search_starts_at_the_smallest_stable_number():
    """An output window's half hour: 32 people an hour, 3 minutes each (a = 1.6), 80 % within 10 minutes. Two
    windows reach 81.3 %; a search that starts at round(a + 1) = 3 never looks at two."""
    result = minimum_windows(32, 3, 0.8, 10)
    assert result.windows == 2
    assert result.service_level == pytest.approx(0.8126, abs=1e-4)
    assert search_from_rounded_start(32, 3, 0.8, 10) == 3


# --- properties -------------------------------------------------------------------------------------------------------

arrivals = st.floats(min_value=0.5, max_value=400)
handles = st.floats(min_value=0.5, max_value=40)
withins = st.floats(min_value=0, max_value=60)
patiences = st.floats(min_value=0.2, max_value=240)


@settings(max_examples=150, deadline=None)
@given(arrivals, handles, withins, st.integers(min_value=0, max_value=5))
def test_erlang_c_service_level_rises_with_each_window(lam, h, t, extra):
    s = math.floor(lam * h / 60) + 1 + extra
    assume(s < 400)
    this, more = performance(lam, h, s, t), performance(lam, h, s + 1, t)
    assert more.service_level >= this.service_level - 1e-12
    assert more.p_wait <= this.p_wait + 1e-12
    assert more.mean_wait_minutes <= this.mean_wait_minutes + 1e-12


@settings(max_examples=150, deadline=None)
@given(arrivals, handles, withins, patiences, st.integers(min_value=1, max_value=60))
def test_erlang_a_service_level_rises_with_each_window(lam, h, t, patience, s):
    this, more = performance(lam, h, s, t, patience), performance(lam, h, s + 1, t, patience)
    assert more.service_level >= this.service_level - 1e-9
    assert more.p_abandon <= this.p_abandon + 1e-12
    assert more.mean_wait_minutes <= this.mean_wait_minutes + 1e-9
    assert 0 <= this.service_level <= 1 - this.p_abandon + 1e-9  # nobody who gave up was called in time


@settings(max_examples=100, deadline=None)
@given(arrivals, handles, withins, st.integers(min_value=0, max_value=4))
def test_erlang_a_becomes_erlang_c_as_patience_grows(lam, h, t, extra):
    s = math.floor(lam * h / 60) + 1 + extra
    assume(s < 300)
    c = performance(lam, h, s, t)
    assume(c.p_wait < 0.95)  # close to saturation the limit is reached only for patience far beyond any hall's
    previous = None
    for patience in (1e3 * h, 1e5 * h, 1e7 * h):
        a = performance(lam, h, s, t, patience)
        gap = abs(a.service_level - c.service_level) + abs(a.p_wait - c.p_wait)
        if previous is not None:
            assert gap <= previous + 1e-9
        previous = gap
    assert previous < 1e-4
    assert a.p_abandon < 1e-4


@settings(max_examples=100, deadline=None)
@given(arrivals, handles, st.floats(min_value=0.05, max_value=0.95), withins, st.none() | patiences)
def test_minimum_windows_is_the_exact_minimum(lam, h, target, t, patience):
    result = minimum_windows(lam, h, target, t, patience)
    assert result.service_level >= target
    fewer = result.windows - 1
    if fewer >= 1 and (patience is not None or fewer > result.offered_load):
        assert performance(lam, h, fewer, t, patience).service_level < target
    # Never below what the load itself needs: Erlang C above a, Erlang A at least target·a served.
    if patience is None:
        assert result.windows > result.offered_load
    else:
        assert result.windows >= math.floor(target * result.offered_load)
