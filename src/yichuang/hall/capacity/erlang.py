"""Erlang C (M/M/s) and Erlang A (M/M/s+M): how a zone with s windows performs, and the fewest windows for a target.

Pure functions on three numbers of a half hour — arrivals per hour λ, minutes at the window per ticket h (so
μ = 1/h) and, for Erlang A, the mean patience 1/θ in minutes — and the number of windows s. The offered load
a = λ·h (in erlangs) is used as it is: it is never rounded, neither before the search for the fewest windows nor
anywhere else (rounding it up first is what makes pyworkforce's ErlangC overstaff, its issue #41).

Definitions (each an average over arrivals in the steady state):

* `p_wait` — the share of arrivals who find every window busy and wait at all.
* `service_level` — the share of arrivals **called within t minutes**. Erlang C: 1 − C·e^(−(sμ − λ)t). Erlang A:
  a person is called within t if the time until a window would take them, V, is at most t *and* they are still
  there then (patience τ > V); those who give up count as not called within the target, however early they left.
* `mean_wait_minutes` — the mean time an arrival spends waiting, zero waits included; in Erlang A the time until
  they are called or give up, whichever comes first (so E[W] = P(abandon)/θ, Little's law on the queue).
* `p_abandon` (Erlang A) — the share of arrivals who give up before being called.

Erlang C uses the Erlang B recursion B(k) = a·B(k−1)/(k + a·B(k−1)), whose values stay in (0, 1] for any real
a and any k (no factorials, no overflow), and C = s·B/(s − a(1 − B)); it exists only for s > a.

Erlang A (Palm; Garnett, Mandelbaum and Reiman 2002) is the birth–death chain with birth rate λ and death rate
min(n, s)·μ + max(n − s, 0)·θ. With x = λ/θ and y = sμ/θ, and every state weighed relative to state s:

* the states below s weigh 1/B − 1 (B = Erlang B with s windows and load a);
* the waiting states weigh J = Σ_k x^k / ((y+1)(y+2)…(y+k)) = y·e^x·x^(−y)·γ(y, x), γ the lower incomplete gamma;
* a person who finds j waiting ahead is called after V = −ln(B_j)/θ with B_j ~ Beta(y, j+1) (a sum of exponential
  stages at rates sμ + iθ), and is still there with probability e^(−θV) = B_j. Summing over j, the waiting
  arrivals' e^(−θV) has the density g(b) = y·b^(y−1)·e^(x(1−b)) on (0, 1), of mass J. Hence, with u = e^(−θt):
  called eventually after a wait: G = ∫₀¹ b·g(b) db = (y/x)(J − 1); called within t after a wait:
  G − ∫₀ᵘ b·g(b) db, where ∫₀ᵘ b·g(b) db = y·e^(x(1−u))·u^(y+1)·S(y+1, xu); and giving up: J − G.

S(α, z) = γ(α, z)·z^(−α)·e^z = Σ_k z^k / (α(α+1)…(α+k)) is computed in logarithms — its series for z < α + 1, a
continued fraction (Lentz) for the upper part otherwise — so loads of thousands and patience near zero or near
infinity stay finite. The share who give up is a sum of positive terms when x ≤ y (no cancellation as the patience
grows), (1 − y/x)·J + y/x otherwise. The tests check every figure against the chain solved directly.
"""

import math
from dataclasses import dataclass

# The search for the fewest windows stops here: a zone never has more (and a bad input cannot loop for long).
MAX_WINDOWS = 10_000
_EPS = 1e-17
_TINY = 1e-300


class CapacityError(ValueError):
    """Input the formulas cannot take (negative, zero where it must not be, not a number), in words for people."""


@dataclass(frozen=True)
class Performance:
    """How `windows` windows serve a stream of arrivals (steady state). `p_abandon` is None for Erlang C."""

    model: str  # "erlang_c" | "erlang_a"
    windows: int
    arrivals_per_hour: float
    handle_minutes: float
    within_minutes: float
    patience_minutes: float | None
    offered_load: float  # a = λ·h, erlangs
    stable: bool  # Erlang C with s ≤ a has no steady state: the queue grows all day
    p_wait: float
    service_level: float
    mean_wait_minutes: float  # math.inf when unstable
    p_abandon: float | None

    @property
    def occupancy(self) -> float:
        """Share of the windows' time spent serving: the load actually served over s (≤ 1)."""
        if self.windows == 0:
            return 0.0
        served = self.offered_load * (1 - (self.p_abandon or 0.0))
        return min(served / self.windows, 1.0) if self.stable else 1.0

    def as_dict(self) -> dict:
        data = {
            "model": self.model,
            "windows": self.windows,
            "arrivals_per_hour": self.arrivals_per_hour,
            "handle_minutes": self.handle_minutes,
            "within_minutes": self.within_minutes,
            "offered_load": self.offered_load,
            "stable": self.stable,
            "occupancy": self.occupancy,
            "p_wait": self.p_wait,
            "service_level": self.service_level,
            "mean_wait_minutes": self.mean_wait_minutes if math.isfinite(self.mean_wait_minutes) else None,
        }
        if self.model == "erlang_a":
            data["patience_minutes"] = self.patience_minutes
            data["p_abandon"] = self.p_abandon
        return data


# --- checking input -------------------------------------------------------------------------------------------


def _number(value, name: str, *, positive: bool = False, allow_zero: bool = True) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CapacityError(f"{name}须为数字。") from None
    if not math.isfinite(number):
        raise CapacityError(f"{name}须为有限的数字。")
    if number < 0 or (number == 0 and not allow_zero) or (positive and number <= 0):
        raise CapacityError(f"{name}须大于 0。" if positive or not allow_zero else f"{name}不能为负数。")
    return number


def _windows(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise CapacityError("窗口数须为整数。")
    if value < 0:
        raise CapacityError("窗口数不能为负数。")
    if value > MAX_WINDOWS:
        raise CapacityError(f"窗口数不能超过 {MAX_WINDOWS}。")
    return value


def check_target(target) -> float:
    """A share strictly between 0 and 1 (0.8 = 80 %)."""
    share = _number(target, "目标比例")
    if not 0 < share < 1:
        raise CapacityError("目标比例须大于 0 且小于 1（如 0.8 表示 80%）。")
    return share


# --- Erlang B and C -------------------------------------------------------------------------------------------


def log_erlang_b(windows: int, load: float) -> float:
    """ln B(s, a), the Erlang B blocking probability, by the recursion in logarithms (never under- or overflows)."""
    if load <= 0:
        return 0.0 if windows == 0 else -math.inf
    log_a = math.log(load)
    log_b = 0.0  # B(0) = 1
    for k in range(1, windows + 1):
        b = math.exp(log_b)
        log_b = log_a + log_b - math.log(k + load * b)
    return log_b


def erlang_b(windows: int, load: float) -> float:
    return math.exp(log_erlang_b(windows, load))


def erlang_c(windows: int, load: float) -> float:
    """C(s, a): the probability of waiting in M/M/s; 1.0 when s ≤ a (no steady state, everybody waits)."""
    s = _windows(windows)
    a = _number(load, "负荷")
    if a == 0:
        return 0.0
    if s <= a:
        return 1.0
    b = erlang_b(s, a)
    return min(s * b / (s - a * (1 - b)), 1.0)


def _erlang_c_performance(lam: float, h: float, s: int, t: float) -> Performance:
    a = lam * h
    if s <= a:
        return Performance("erlang_c", s, lam * 60, h, t, None, a, False, 1.0, 0.0, math.inf, None)
    c = erlang_c(s, a)
    service_level = 1 - c * math.exp(-(s - a) * t / h)
    mean_wait = c * h / (s - a)
    return Performance(
        "erlang_c", s, lam * 60, h, t, None, a, True, c, min(max(service_level, 0.0), 1.0), mean_wait, None
    )


# --- the incomplete gamma function, scaled, in logarithms -------------------------------------------------------


def log_scaled_lower_gamma(alpha: float, z: float) -> float:
    """ln S(α, z), S(α, z) = γ(α, z)·z^(−α)·e^z = Σ_k z^k / (α(α+1)…(α+k)), for α > 0 and z ≥ 0."""
    if alpha <= 0:
        raise ValueError("alpha must be positive")
    if z <= 0:
        return -math.log(alpha)
    if z < alpha + 1:
        # The series: every ratio z/(α+k) < 1, so the terms only fall and the sum is at most a few times the first.
        term = 1.0 / alpha
        total = term
        k = 0
        while term > total * _EPS:
            k += 1
            term *= z / (alpha + k)
            total += term
        return math.log(total)
    # The upper part Γ(α, z) = e^(−z)·z^α·F by the continued fraction F (modified Lentz), then γ = Γ(α) − Γ(α, z);
    # here z ≥ α + 1, where Γ(α, z)/Γ(α) stays clear of 1 and the subtraction loses nothing.
    b = z + 1 - alpha
    c = 1 / _TINY
    d = 1 / b
    fraction = d
    for i in range(1, 100_000):
        an = -i * (i - alpha)
        b += 2
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1) < 1e-16:
            break
    log_upper = -z + alpha * math.log(z) + math.log(fraction)
    log_complete = math.lgamma(alpha)
    log_lower = log_complete + math.log1p(-math.exp(log_upper - log_complete))
    return log_lower - alpha * math.log(z) + z


def _log_add(u: float, v: float) -> float:
    if u == -math.inf:
        return v
    if v == -math.inf:
        return u
    high, low = max(u, v), min(u, v)
    return high + math.log1p(math.exp(low - high))


def _log_abandon_mass(x: float, y: float, log_j: float) -> float:
    """ln(J − G): the waiting states' weight of those who give up (relative to state s)."""
    if x > y:
        return _log_add(math.log1p(-y / x) + log_j, math.log(y / x))
    # Σ_k (k+1)·x^k / ((y+1)…(y+k+1)): positive terms, exact as the patience grows and J − G shrinks.
    term = 1.0 / (y + 1)
    total = term
    k = 0
    while True:
        k += 1
        term *= x * (k + 1) / (k * (y + k + 1))
        total += term
        if term <= total * _EPS and x * (k + 2) / ((k + 1) * (y + k + 2)) < 1:
            break
    return math.log(total)


def _erlang_a_performance(lam: float, h: float, s: int, t: float, patience: float) -> Performance:
    a = lam * h
    theta = 1 / patience
    if s == 0:  # nobody is ever called: everyone waits until they give up
        return Performance("erlang_a", 0, lam * 60, h, t, patience, a, True, 1.0, 0.0, patience, 1.0)
    x = lam / theta
    y = s / h / theta
    log_b = log_erlang_b(s, a)
    log_below = math.log(-math.expm1(log_b)) - log_b if log_b < 0 else -math.inf  # 1/B − 1
    log_j = math.log(y) + log_scaled_lower_gamma(y, x)
    log_norm = _log_add(log_below, log_j)
    p_wait = math.exp(log_j - log_norm)
    p_abandon = math.exp(_log_abandon_mass(x, y, log_j) - log_norm)
    # Called within t after a wait: G − ∫₀ᵘ b·g(b) db, with G = (y/x)(J − 1) = y·S(y+1, x).
    log_called = math.log(y) + log_scaled_lower_gamma(y + 1, x)
    # ln ∫₀ᵘ b·g(b) db with u = e^(−θt): 1 − u and ln u from θt directly, exact however long the patience.
    log_late = math.log(y) + x * -math.expm1(-theta * t) - (y + 1) * theta * t
    log_late += log_scaled_lower_gamma(y + 1, x * math.exp(-theta * t))
    late_share = min(math.exp(log_late - log_called), 1.0)
    called_within = math.exp(log_called - log_norm) * (1 - late_share)
    service_level = math.exp(log_below - log_norm) + called_within
    return Performance(
        "erlang_a",
        s,
        lam * 60,
        h,
        t,
        patience,
        a,
        True,
        min(p_wait, 1.0),
        min(max(service_level, 0.0), 1.0),
        p_abandon * patience,
        min(p_abandon, 1.0),
    )


# --- the public functions ---------------------------------------------------------------------------------------


def performance(
    arrivals_per_hour: float,
    handle_minutes: float,
    windows: int,
    within_minutes: float,
    patience_minutes: float | None = None,
) -> Performance:
    """How `windows` windows perform: Erlang A with a patience (minutes), Erlang C without."""
    lam = _number(arrivals_per_hour, "每小时到达人数") / 60
    h = _number(handle_minutes, "平均办理时长", positive=True)
    s = _windows(windows)
    t = _number(within_minutes, "目标等候时长")
    if lam == 0:
        model = "erlang_c" if patience_minutes is None else "erlang_a"
        return Performance(
            model, s, 0.0, h, t, patience_minutes, 0.0, True, 0.0, 1.0, 0.0, None if model == "erlang_c" else 0.0
        )
    if patience_minutes is None:
        return _erlang_c_performance(lam, h, s, t)
    patience = _number(patience_minutes, "耐心时长", positive=True)
    return _erlang_a_performance(lam, h, s, t, patience)


def minimum_windows(
    arrivals_per_hour: float,
    handle_minutes: float,
    target: float,
    within_minutes: float,
    patience_minutes: float | None = None,
    *,
    max_windows: int = MAX_WINDOWS,
) -> Performance:
    """The fewest windows whose share called within `within_minutes` is at least `target`, with its figures.

    The search goes up one window at a time from the smallest s worth trying — for Erlang C the smallest s > a (a
    never rounded), for Erlang A ⌊target·a⌋ (the share called is at most the share served, at most s/a) — so the
    first s that meets the target is the exact minimum. No arrivals: 0 windows."""
    lam = _number(arrivals_per_hour, "每小时到达人数")
    h = _number(handle_minutes, "平均办理时长", positive=True)
    share = check_target(target)
    t = _number(within_minutes, "目标等候时长")
    if patience_minutes is not None:
        _number(patience_minutes, "耐心时长", positive=True)
    if lam == 0:
        return performance(0, h, 0, t, patience_minutes)
    load = lam * h / 60
    s = math.floor(load) + 1 if patience_minutes is None else max(1, math.floor(share * load))
    while s <= max_windows:
        result = performance(lam, h, s, t, patience_minutes)
        if result.service_level >= share:
            return result
        s += 1
    raise CapacityError(f"{max_windows} 个窗口仍达不到目标：请检查到达人数和办理时长。")
