"""`yichuang capacity`: one JSON object per call — the Erlang figures for scripts and checks, and a zone's plan from
the hall's history; bad input is a CommandError (exit status 1) with the reason."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yichuang.hall.capacity import erlang
from yichuang.hall.capacity.history import period, zone_history
from yichuang.queue.models import Ticket

from .capacity_data import build


def run(*args) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("capacity", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


pytestmark = pytest.mark.django_db  # the plan tests read history; the erlang ones share the database set up for them
ERLANG = ["erlang", "--arrivals-per-hour", "43", "--handle-minutes", "12", "--within-minutes", "10"]


@pytest.mark.parametrize("target", ["0.8", "80", "80%"])
def test_erlang_prints_the_fewest_windows_for_the_target(target):
    data, _err = run(*ERLANG, "--target", target)
    assert data["model"] == "erlang_c"
    assert data["windows"] == 10  # a = 8.6 is never rounded: ⌈a⌉ = 9 erlangs would ask for 11
    assert data["offered_load"] == pytest.approx(8.6)
    assert data["service_level"] == pytest.approx(0.8268, abs=1e-4)
    assert data["p_wait"] == pytest.approx(erlang.erlang_c(10, 8.6))
    assert data["mean_wait_minutes"] == pytest.approx(erlang.erlang_c(10, 8.6) * 12 / (10 - 8.6))
    assert data["target"] == 0.8 and data["meets_target"] is True
    assert "p_abandon" not in data


def test_erlang_with_patience_is_erlang_a():
    data, _err = run(*ERLANG, "--target", "0.8", "--patience-minutes", "20")
    assert data["model"] == "erlang_a"
    expected = erlang.minimum_windows(43, 12, 0.8, 10, 20)
    assert data["windows"] == expected.windows
    assert data["p_abandon"] == pytest.approx(expected.p_abandon)
    assert data["mean_wait_minutes"] == pytest.approx(expected.p_abandon * 20)
    assert data["patience_minutes"] == 20


def test_erlang_for_a_given_number_of_windows():
    data, _err = run(*ERLANG, "--windows", "9")
    assert data["windows"] == 9
    assert data["service_level"] == pytest.approx(erlang.performance(43, 12, 9, 10).service_level)
    assert "meets_target" not in data
    data, _err = run(*ERLANG, "--windows", "9", "--target", "80%")
    assert data["meets_target"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--windows", "8"], "8 个窗口承接不了负荷 8.60"),  # a = 8.6: no steady state with 8
        ([], "请给出 --target"),
        (["--target", "100%"], "目标比例须大于 0 且小于 1"),
        (["--target", "abc"], "目标比例须为"),
        (["--target", "0.8", "--patience-minutes", "0"], "耐心时长须大于 0"),
        (["--target", "0.8", "--windows", "-2"], "窗口数不能为负数"),
    ],
)
def test_erlang_bad_input_is_a_command_error(args, message):
    with pytest.raises(CommandError, match=message):
        run(*ERLANG, *args)


def test_erlang_negative_arrivals_and_words_for_numbers():
    with pytest.raises(CommandError, match="不能为负数"):
        run(
            "erlang", "--arrivals-per-hour", "-5", "--handle-minutes", "12", "--within-minutes", "10", "--target", "0.8"
        )
    with pytest.raises(CommandError, match="每小时到达人数须为数字"):
        run("erlang", "--arrivals-per-hour", "many", "--handle-minutes", "12", "--within-minutes", "10")


def test_the_command_line_exits_non_zero_with_the_reason():
    yichuang = Path(sys.executable).parent / "yichuang"
    env = {**os.environ, "DATABASE_URL": ""}
    ok = subprocess.run([yichuang, "capacity", *ERLANG, "--target", "0.8"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["windows"] == 10  # one JSON object, nothing else on stdout
    bad = subprocess.run([yichuang, "capacity", *ERLANG, "--windows", "8"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1
    assert "承接不了负荷" in bad.stderr and bad.stdout == ""


# --- plan -------------------------------------------------------------------------------------------------------


@pytest.fixture
def capacity_hall(db):
    return build(weeks=4)


def test_plan_of_a_zone_from_its_history(capacity_hall):
    data, err = run("plan", "--zone", "cap-a", "--weekday", "1", "--weeks", "4", "--replications", "5")
    assert "cap-a" in err  # progress on stderr, the JSON alone on stdout
    assert data["weekday"] == 1 and data["weekday_name"] == "星期一"
    assert len(data["zones"]) == 1 and data["merge"] is None
    zone = data["zones"][0]
    start, end = period(4)
    history = zone_history(capacity_hall.a, 0, start, end)
    mondays = Ticket.objects.filter(issued_zone=capacity_hall.a, date__gte=start, date__lt=end, date__week_day=2)
    assert zone["history"]["days"] == 4 and zone["history"]["tickets"] == mondays.count()
    assert zone["handle_minutes"] == pytest.approx(history.handle_minutes)
    assert zone["patience_source"] == "history"
    assert zone["patience_minutes"] == pytest.approx(history.patience_minutes)
    assert [s["start"] for s in zone["slots"]][:2] == ["09:00", "09:30"] and len(zone["slots"]) == 14
    for slot, arrivals in zip(zone["slots"], history.arrivals, strict=True):
        assert slot["arrivals"] == pytest.approx(arrivals)
        c = erlang.minimum_windows(arrivals * 2, history.handle_minutes, 0.8, 10)
        a = erlang.minimum_windows(arrivals * 2, history.handle_minutes, 0.8, 10, history.patience_minutes)
        assert slot["erlang_c_windows"] == c.windows
        assert slot["erlang_a_windows"] == a.windows
        assert slot["windows"] == a.windows  # with a patience the plan is Erlang A's
        assert slot["expected"]["service_level"] >= 0.8
        assert slot["simulated"]["within_share"] is None or 0 <= slot["simulated"]["within_share"] <= 1
    assert zone["replications"] == 5
    assert zone["day"]["simulated"]["arrivals"] > 0


def test_plan_without_patience_is_erlang_c(capacity_hall):
    data, _err = run("plan", "--zone", "cap-b", "--weekday", "2", "--no-patience", "--replications", "3")
    zone = data["zones"][0]
    assert zone["patience_minutes"] is None and zone["patience_source"] == "off"
    assert all(s["erlang_a_windows"] is None and s["windows"] == s["erlang_c_windows"] for s in zone["slots"])
    assert all(s["simulated"]["abandon_share"] in (None, 0) for s in zone["slots"])


def test_plan_of_every_zone_and_a_merge(capacity_hall):
    data, _err = run("plan", "--zone", "all", "--weekday", "3", "--merge", "cap-a,cap-b", "--replications", "5")
    assert [z["zone"] for z in data["zones"]] == ["cap-a", "cap-b"]
    merge = data["merge"]
    a, b = data["zones"]
    assert merge["separate"]["windows"] == [
        x["windows"] + y["windows"] for x, y in zip(a["slots"], b["slots"], strict=True)
    ]
    assert merge["pooled"]["windows"] == merge["separate"]["windows"]
    # One queue for both: the same windows wait less, and the target needs fewer window hours.
    assert merge["pooled"]["simulated"]["mean_wait_minutes"] < merge["separate"]["simulated"]["mean_wait_minutes"]
    assert merge["pooled"]["expected"]["mean_wait_minutes"] < a["day"]["expected"]["mean_wait_minutes"] + 1e-9
    assert merge["window_hours_saved"] > 0
    assert sum(merge["pooled_minimum"]["windows"]) < sum(merge["separate"]["windows"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--zone", "nowhere"], "没有编码为 nowhere 的服务区"),
        (["--zone", "cap-a", "--weekday", "8"], "--weekday 须为 1"),
        (["--zone", "cap-a", "--weeks", "0"], "历史周数须在 1 至 104 之间"),
        (["--zone", "cap-a", "--merge", "cap-a"], "--merge 须为两个服务区编码"),
        (["--zone", "cap-a", "--merge", "cap-a,cap-a"], "请选择两个不同的服务区"),
        (["--zone", "cap-a", "--target", "1"], "目标比例须大于 0 且小于 1"),
    ],
)
def test_plan_bad_input_is_a_command_error(capacity_hall, args, message):
    with pytest.raises(CommandError, match=message):
        run("plan", *args)
