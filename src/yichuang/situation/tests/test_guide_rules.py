"""The rules' format and evaluation (situation.rules), on a small catalogue of factories."""

import pytest
from django.core.exceptions import ValidationError

from yichuang.catalogue.queries import merged_materials
from yichuang.catalogue.tests.factories import MaterialFactory, MatterFactory, MatterMaterialFactory
from yichuang.situation import rules

SOURCE = """
questions:
  - id: a
    text: 甲？
    options: [{id: x, text: 是}, {id: y, text: 否}]
  - id: b
    text: 乙？
    when: {a: [x]}
    options: [{id: p, text: P}, {id: q, text: Q}]
matters:
  - {matter: M2, when: {b: [p]}}
materials:
  - {material: opt, when: {a: [x]}, originals: 2}
  - {material: req, omit: true, when: {a: [y]}}
  - {material: extra, when: {b: [q]}, matter: M1, note: 只在乙为Q时}
  - {material: opt2, omit: true, when: {a: [y]}}
notices:
  - {text: 注意甲, when: {a: [x]}}
"""


def _parse(source=SOURCE, scope=("M1", "M2"), materials=("opt", "req", "extra", "opt2")):
    return rules.parse(source, scope=list(scope), materials=set(materials))


def _problems(source, **kw) -> str:
    with pytest.raises(ValidationError) as exc:
        _parse(source, **kw)
    return " ".join(exc.value.messages)


def test_a_valid_source_reads_into_plain_data():
    definition = _parse()
    assert [q["id"] for q in definition["questions"]] == ["a", "b"]
    assert definition["questions"][1]["when"] == {"a": ["x"]}
    assert definition["materials"][2] == {
        "material": "extra", "when": {"b": ["q"]}, "omit": False, "matter": "M1",
        "originals": None, "copies": None, "note": "只在乙为Q时",
    }  # fmt: skip


ONE = "questions: [{id: a, text: 甲, options: [{id: x, text: 1}, {id: y, text: 2}]}]\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("questions: [{id: a, text: 甲, options: [{id: yes, text: 是}, {id: no, text: 否}]}]", "yes、no、on、off"),
        ("questions: [{id: a, text: 甲, options: [{id: x, text: 是}]}]", "至少要有两个选项"),
        ("questions: [{id: a, text: 甲, when: {b: [x]}, options: [{id: x, text: 1}, {id: y, text: 2}]}]", "“b”的问题"),
        ("questions: [{id: A, text: 甲, options: [{id: x, text: 1}, {id: y, text: 2}]}]", "小写字母开头"),
        (ONE + "matters: [{matter: ZZ, when: {a: [x]}}]", "不在本引导的范围内"),
        (ONE + "matters: [{matter: M1, when: {a: [z]}}]", "没有选项“z”"),
        (ONE + "materials: [{material: nope, when: {a: [x]}}]", "没有编码为“nope”的材料"),
        (ONE + "materials: [{material: opt, omit: true, copies: 1, when: {a: [x]}}]", "免交的材料不写份数"),
        (ONE + "materials: [{material: opt, copies: 500, when: {a: [x]}}]", "份数应为 0 到 99"),
        ("questions: [\n  {id: a", "YAML 格式有误"),
        ("- just a list", "规则应包含 questions"),
        ("questions: []", "至少要有一个问题"),
    ],
)
def test_every_mistake_is_named(source, expected):
    assert expected in _problems(source)


@pytest.fixture
def scope(db):
    m1 = MatterFactory(code="M1")
    m2 = MatterFactory(code="M2")
    req = MaterialFactory(code="req", name="必要件")
    opt = MaterialFactory(code="opt", name="视情形件")
    opt2 = MaterialFactory(code="opt2", name="另一视情形件")
    MaterialFactory(code="extra", name="额外件")
    MatterMaterialFactory(matter=m1, material=req, required=True, originals=1, copies=1)
    MatterMaterialFactory(matter=m1, material=opt, required=False, originals=0, copies=1)
    MatterMaterialFactory(matter=m2, material=opt2, required=False, originals=1, copies=0)
    return [m1, m2]


def _evaluate(scope, answers):
    by_code = {m.code: m for m in scope}
    names = {"materials": {"extra": "额外件"}, "matters": {m.code: m.name for m in scope}}
    return rules.evaluate(
        _parse(), [m.code for m in scope], answers, lambda codes: merged_materials([by_code[c] for c in codes]), names
    )


def _lines(outcome):
    return {line.material: (line.required, line.originals, line.copies) for line in outcome.materials}


def test_a_question_is_asked_only_when_its_condition_holds(scope):
    assert _evaluate(scope, {}).asked == ["a"]
    assert _evaluate(scope, {"a": "y"}).asked == ["a"]
    assert _evaluate(scope, {"a": "x"}).asked == ["a", "b"]
    outcome = _evaluate(scope, {"a": "y", "b": "p"})  # b is not asked: its answer does not count
    assert outcome.answers == {"a": "y"} and outcome.complete
    assert outcome.matters == ["M1"]


def test_answers_choose_matters_materials_and_notices(scope):
    outcome = _evaluate(scope, {"a": "x", "b": "q"})
    assert outcome.complete and outcome.matters == ["M1"]
    assert _lines(outcome) == {"req": (True, 1, 1), "opt": (True, 2, 1), "extra": (True, 0, 1)}
    assert outcome.notices == ["注意甲"]
    extra = next(line for line in outcome.materials if line.material == "extra")
    assert extra.needed_by == [("M1", scope[0].name)] and extra.notes == ["只在乙为Q时"]
    assert not extra.deferrable and not extra.pledgeable

    outcome = _evaluate(scope, {"a": "x", "b": "p"})
    assert outcome.matters == ["M1", "M2"]
    assert _lines(outcome) == {"req": (True, 1, 1), "opt": (True, 2, 1), "opt2": (False, 1, 0)}


def test_a_rule_never_waives_what_a_matter_requires(scope):
    outcome = _evaluate(scope, {"a": "y"})
    assert "req" in _lines(outcome)  # the rule says omit; the catalogue requires it
    assert outcome.notices == []


def test_an_incomplete_answer_says_so_and_still_shows_what_is_known(scope):
    outcome = _evaluate(scope, {"a": "x"})
    assert not outcome.complete and outcome.asked == ["a", "b"]
    assert outcome.matters == ["M1"]  # M2 needs b = p
    assert _evaluate(scope, {"a": "nonsense"}).answers == {}


def test_the_cached_merged_list_is_never_changed(scope):
    cached = merged_materials(scope[:1])
    before = [(line.material, line.required, line.originals, list(line.notes)) for line in cached]
    by_code = {m.code: m for m in scope}
    rules.evaluate(_parse(), ["M1", "M2"], {"a": "x", "b": "q"}, lambda codes: cached if codes == ["M1"]
                   else merged_materials([by_code[c] for c in codes]),
                   {"materials": {}, "matters": {}})  # fmt: skip
    assert [(line.material, line.required, line.originals, list(line.notes)) for line in cached] == before
