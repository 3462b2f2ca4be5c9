"""The situation guide in a real browser: the page's evaluator (static/situation/guide.js) gives exactly the
server's result (situation.rules) for generated answers — on the demo guide and on a guide built to be tricky
(questions behind questions, an omit of a required material, a material for a matter not chosen) — and the
public page follows each answer without reloading."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect

from yichuang.catalogue.queries import merged_materials
from yichuang.catalogue.tests.factories import BundleFactory, MaterialFactory, MatterFactory, MatterMaterialFactory
from yichuang.situation import queries, services
from yichuang.situation.models import Guide, GuideCase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRICKY = """
questions:
  - {id: a, text: 甲, options: [{id: x, text: X}, {id: y, text: Y}, {id: z, text: Z}]}
  - {id: b, text: 乙, when: {a: [x, y]}, options: [{id: p, text: P}, {id: q, text: Q}]}
  - {id: c, text: 丙, when: {b: [q]}, options: [{id: m, text: M}, {id: n, text: N}]}
matters:
  - {matter: T2, when: {a: [y, z]}}
  - {matter: T2, when: {c: [m]}}
  - {matter: T3, when: {b: [p]}}
materials:
  - {material: shared, when: {a: [x]}, copies: 3}
  - {material: shared, omit: true, when: {a: [z]}}
  - {material: opt, omit: true, when: {c: [n]}}
  - {material: opt, when: {c: [m]}, originals: 2, note: 丙为M}
  - {material: loose, when: {a: [z]}, matter: T3}
  - {material: loose, when: {b: [q]}}
notices:
  - {text: 甲为Y, when: {a: [y]}}
  - {text: 乙丙, when: {b: [q], c: [m, n]}}
"""


def _tricky_guide(admin):
    t1, t2, t3 = MatterFactory(code="T1"), MatterFactory(code="T2"), MatterFactory(code="T3")
    shared = MaterialFactory(code="shared")
    opt = MaterialFactory(code="opt")
    MaterialFactory(code="loose")
    MatterMaterialFactory(matter=t1, material=shared, required=True, originals=1, copies=1)
    MatterMaterialFactory(matter=t2, material=shared, required=True, deferrable=True, originals=0, copies=2, notes="二")
    MatterMaterialFactory(matter=t2, material=opt, required=False, originals=0, copies=1)
    MatterMaterialFactory(matter=t3, material=opt, required=False, originals=1, copies=0, notes="三")
    guide = Guide.objects.create(code="tricky", name="难题", bundle=BundleFactory(matters=[t1, t2, t3]))
    GuideCase.objects.create(guide=guide, name="一", answers="a=z", expect_matters="T1\nT2")
    services.publish(services.new_draft(guide, TRICKY, actor=admin), actor=admin)
    return guide


def answers_for(version):
    """Answers to the version's questions: mostly one of its options, sometimes none, a wrong one, or a question
    that does not exist."""
    parts = {
        q["id"]: st.one_of(st.none(), st.just("bogus"), st.sampled_from([o["id"] for o in q["options"]]))
        for q in version.definition["questions"]
    }
    parts["nope"] = st.one_of(st.none(), st.just("x"))
    return st.fixed_dictionaries(parts).map(lambda d: {k: v for k, v in d.items() if v is not None})


def _compare(page, version, answers):
    data = queries.page_data(version)
    in_page = page.evaluate("([d, a]) => window.yichuangSituation.evaluate(d, a)", [data, answers])
    for line in in_page["materials"]:  # the page also carries names for display
        line.pop("name"), line.pop("matter_names")
    assert in_page == queries.outcome(version, answers, merged=_cached_merge()).as_dict(), answers


def _cached_merge():
    cache = {}

    def merge(matters):
        key = tuple(m.pk for m in matters)
        if key not in cache:
            cache[key] = merged_materials(matters)
        return cache[key]

    return merge


def test_the_page_and_the_server_evaluate_alike(demo_guides, page):
    tricky = _tricky_guide(demo_guides).published()
    demo = Guide.objects.get(code="enterprise-opening").published()
    page.goto("/situations/enterprise-opening/")
    page.wait_for_function("window.yichuangSituation !== undefined")

    for version in (tricky, demo):
        _same_for(page, version)()


def _same_for(page, version):
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(answers=answers_for(version))
    def same(answers):
        _compare(page, version, answers)

    return same


def test_the_list_follows_each_answer(demo_guides, page, screenshot):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/situations/enterprise-opening/")
    result = page.locator("[data-situation-result]")
    expect(result.locator(".situation-status")).to_have_attribute("data-complete", "0")
    expect(page.locator("fieldset[data-question=staff]")).to_be_hidden()  # asked only with social insurance
    for question, option in [
        ("seal", "need"),
        ("bank", "open"),
        ("invoice", "skip"),
        ("social", "need"),
        ("staff", "hired"),
        ("fund", "need"),
        ("shareholders", "legal"),
        ("premises", "rented"),
    ]:
        page.check(f"input[name=q-{question}][value={option}]")  # fmt: skip
    expect(result.locator("[data-matter]")).to_have_count(5)
    expect(result.locator("tr[data-material=rental-contract]")).to_contain_text("租赁期限一年以上")
    expect(result.locator("tr[data-material=employee-roster]")).to_contain_text("必要")
    expect(result.locator(".situation-status")).to_have_attribute("data-complete", "0")
    page.keyboard.press("Tab")
    page.check("input[name=q-agent][value=self]")
    expect(result.locator(".situation-status")).to_have_attribute("data-complete", "1")
    expect(result.locator("tr[data-material=power-of-attorney]")).to_have_count(0)
    expect(result).to_contain_text("银行开户须法定代表人本人到场")
    screenshot(page, "situation-guide", full_page=True)
    page.check("input[name=q-social][value=skip]")  # the follow-up question goes, and with it its answer
    expect(page.locator("fieldset[data-question=staff]")).to_be_hidden()
    expect(result.locator("tr[data-material=employee-roster]")).to_have_count(0)
    expect(result.locator("[data-matter]")).to_have_count(4)
