"""Resident ID (GB 11643, ISO 7064 MOD 11-2) and unified social credit code (GB 32100, MOD 31)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from yichuang.intake.identity import (
    ID_CHECK,
    PROVINCES,
    USCC_CHARSET,
    resident_id_check,
    uscc_check,
    validate_credit_code,
    validate_resident_id,
)

from .ids import credit_code, resident_id

TODAY = datetime.date(2026, 3, 10)


def error(fn, value, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        fn(value, **kwargs)
    return info.value


# --- published examples --------------------------------------------------------------------------


def test_published_examples_are_valid():
    # GB 11643-1999's own example, and two well-known enterprise codes.
    assert validate_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert validate_resident_id(" 110105 19491231 002x ", today=TODAY) == "11010519491231002X"
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    assert validate_credit_code("91110000600037341l") == "91110000600037341L"


def test_weights_are_those_of_the_standards():
    assert resident_id_check("11010519491231002") == "X"
    assert ID_CHECK == "10X98765432"
    assert len(USCC_CHARSET) == 31 and not set("IOZSV") & set(USCC_CHARSET)
    assert uscc_check("91350100M000100Y4") == "3"


# --- resident ID: each rule with its own message ------------------------------------------------------


@pytest.mark.parametrize(
    "value, code, words",
    [
        ("", "required", "请输入身份证号码"),
        ("41162419900307123", "length", "应为 18 位，现为 17 位"),
        ("4116241990030712345", "length", "现为 19 位"),
        ("41162419900307A234", "charset", "前 17 位应为数字"),
        ("41162419900307123Y", "charset", "最后一位为数字或 X"),
        ("991624199003071234", "region", "行政区划代码"),
        ("410000199003071234", "region", "行政区划代码"),
        ("411624199002301234", "birth_date", "“19900230”不是有效日期"),
        ("411624189912311234", "birth_date", "早于 1900 年"),
    ],
)
def test_resident_id_rules(value, code, words):
    exc = error(validate_resident_id, value, today=TODAY)
    assert exc.code == code and words in exc.messages[0], exc.messages


def test_resident_id_birth_date_in_the_future():
    tomorrow = resident_id(birth="20260311")
    exc = error(validate_resident_id, tomorrow, today=TODAY)
    assert exc.code == "birth_date" and "晚于今天" in exc.messages[0]
    assert validate_resident_id(resident_id(birth="20260310"), today=TODAY)  # born today: fine


def test_resident_id_wrong_check_digit():
    good = resident_id()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    exc = error(validate_resident_id, wrong, today=TODAY)
    assert exc.code == "checksum" and exc.messages == ["身份证号码校验位不正确，请逐位核对。"]


# --- credit code -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, code, words",
    [
        ("", "required", "请输入统一社会信用代码"),
        ("91350100M000100Y4", "length", "应为 18 位，现为 17 位"),
        ("91350100M0001O0Y43", "charset", "无效字符“O”"),
        ("9135010OM000I00Y43", "charset", "“OI”"),
        ("91A50100M000100Y43", "region", "第 3–8 位"),
        ("91350100M000100Y44", "checksum", "校验码不正确"),
    ],
)
def test_credit_code_rules(value, code, words):
    exc = error(validate_credit_code, value)
    assert exc.code == code and words in exc.messages[0], exc.messages


# --- properties: every valid number passes, every single-character change is caught --------------------

regions = st.builds(lambda p, rest: f"{p:02d}{rest:04d}", st.sampled_from(sorted(PROVINCES)), st.integers(1, 9999))
births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY).map(lambda d: d.strftime("%Y%m%d"))
sequences = st.integers(0, 999).map(lambda n: f"{n:03d}")
resident_ids = st.builds(resident_id, regions, births, sequences)

uscc_bodies = st.builds(
    lambda head, region, tail: head + region + tail,
    st.text(USCC_CHARSET, min_size=2, max_size=2),
    st.integers(0, 999999).map(lambda n: f"{n:06d}"),
    st.text(USCC_CHARSET, min_size=9, max_size=9),
)
credit_codes = uscc_bodies.map(lambda body: body + uscc_check(body))


@settings(max_examples=300, deadline=None)
@given(resident_ids)
def test_valid_resident_ids_pass(number):
    assert validate_resident_id(number, today=TODAY) == number
    assert validate_resident_id(number.lower(), today=TODAY) == number


@settings(max_examples=300, deadline=None)
@given(resident_ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_one_changed_character_of_a_resident_id_is_caught(number, position, new):
    if number[position] == new:
        new = "0" if new != "0" else "1"
    mutated = number[:position] + new + number[position + 1 :]
    with pytest.raises(ValidationError):
        validate_resident_id(mutated, today=TODAY)


@settings(max_examples=300, deadline=None)
@given(credit_codes)
def test_valid_credit_codes_pass(code):
    assert validate_credit_code(code) == code


@settings(max_examples=300, deadline=None)
@given(credit_codes, st.integers(0, 17), st.sampled_from(USCC_CHARSET))
def test_one_changed_character_of_a_credit_code_is_caught(code, position, new):
    if code[position] == new:
        new = USCC_CHARSET[(USCC_CHARSET.index(new) + 1) % 31]
    mutated = code[:position] + new + code[position + 1 :]
    with pytest.raises(ValidationError) as info:
        validate_credit_code(mutated)
    assert info.value.code in {"checksum", "region"}


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_any_input_is_a_validation_error_or_a_number(text):
    for fn, kwargs in ((validate_resident_id, {"today": TODAY}), (validate_credit_code, {})):
        try:
            assert len(fn(text, **kwargs)) == 18
        except ValidationError as exc:
            assert exc.messages


def test_helpers_make_valid_numbers():
    assert validate_credit_code(credit_code()) == credit_code()
    assert validate_resident_id(resident_id(), today=TODAY) == resident_id()
