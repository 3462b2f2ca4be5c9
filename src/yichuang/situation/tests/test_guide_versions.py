"""Versions and test cases: the demo guide publishes only because its cases pass; a failing case, a draft without
cases, a published version's edit are refused; the admin's 試算 panel and the public page show the same result."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yichuang.core.models import AuditEvent
from yichuang.organisation.tests.factories import UserFactory
from yichuang.situation import cases, queries, services
from yichuang.situation.models import Guide, GuideCase, GuideVersion

ALL = {"seal": "need", "bank": "open", "invoice": "need", "social": "need", "staff": "hired", "fund": "need",
       "shareholders": "natural", "premises": "rented", "agent": "agent"}  # fmt: skip


def test_the_demo_guide_is_published_after_its_cases_pass(demo_guides):
    guide = Guide.objects.get(code="enterprise-opening")
    version = guide.published()
    assert version.number == 1 and version.published_by == demo_guides
    results = cases.run_all(version)
    assert len(results) == 3 and all(r.passed for r in results), [r.problems for r in results]
    assert AuditEvent.objects.filter(action="situation.publish", object_id=str(version.pk)).exists()


def test_the_outcome_of_every_answer(demo_guides):
    version = queries.published_for(bundle=Guide.objects.get(code="enterprise-opening").bundle)
    outcome = queries.outcome(version, ALL)
    assert outcome.complete and len(outcome.matters) == 6
    lines = {line.material: line for line in outcome.materials}
    assert (lines["rental-contract"].required, lines["rental-contract"].copies) == (True, 1)
    assert lines["rental-contract"].needed_by == [("411624-XK-SCJG-001", "企业设立登记")]
    assert lines["power-of-attorney"].required and lines["id-card"].copies == 2
    assert "提供出租人（提供人）的产权证明复印件" in lines["domicile-proof"].notes

    few = queries.outcome(version, {**ALL, "seal": "skip", "bank": "later", "social": "skip"})
    assert few.matters == ["411624-XK-SCJG-001", "411624-QT-SW-001", "411624-GG-GJJ-001"]
    assert "staff" not in few.asked and "employee-roster" not in {line.material for line in few.materials}


def _draft(guide, source=None, actor=None):
    return services.new_draft(guide, source or guide.published().source, actor=actor)


def test_a_failing_case_stops_publication_and_names_the_case(demo_guides):
    guide = Guide.objects.get(code="enterprise-opening")
    rule = "copies: %d, matter: 411624-XK-SCJG-001"
    broken = guide.published().source.replace(rule % 1, rule % 2)
    draft = _draft(guide, broken, demo_guides)
    assert draft.number == 2 and draft.status == GuideVersion.Status.DRAFT
    with pytest.raises(ValidationError) as exc:
        services.publish(draft, actor=demo_guides)
    assert "全部事项、租用住所、委托办理" in exc.value.messages[0] and "rental-contract" in exc.value.messages[0]
    assert guide.published().number == 1  # the old version still answers

    GuideCase.objects.filter(guide=guide, name="全部事项、租用住所、委托办理").update(
        expect_materials="rental-contract 0/2\npower-of-attorney 1/0\nid-card 1/2\nemployee-roster 1/0"
    )  # the admin changes the case on purpose: now it publishes, and v1 is retired
    services.publish(draft, actor=demo_guides)
    assert guide.published().number == 2
    assert GuideVersion.objects.get(guide=guide, number=1).status == GuideVersion.Status.RETIRED


def test_no_cases_no_publication(demo_guides):
    guide = Guide.objects.get(code="enterprise-opening")
    guide.cases.all().delete()
    with pytest.raises(ValidationError, match="至少一个测试用例"):
        services.publish(_draft(guide, actor=demo_guides), actor=demo_guides)


def test_a_published_version_never_changes(demo_guides):
    version = Guide.objects.get(code="enterprise-opening").published()
    version.source += "\n# changed"
    with pytest.raises(ValidationError, match="不能修改"):
        version.full_clean()
    with pytest.raises(ValidationError, match="只有草稿"):
        services.publish(version, actor=demo_guides)


def test_only_hall_admins_change_guides(demo_guides):
    guide = Guide.objects.get(code="enterprise-opening")
    with pytest.raises(PermissionDenied):
        _draft(guide, actor=UserFactory(window_clerk=True))
    draft = _draft(guide, actor=demo_guides)
    with pytest.raises(PermissionDenied):
        services.publish(draft, actor=UserFactory(supervisor=True))


def test_a_case_with_wrong_lines_is_refused_in_the_admin(demo_guides):
    case = GuideCase(guide=Guide.objects.get(code="enterprise-opening"), name="x", answers="seal", expect_matters="A")
    with pytest.raises(ValidationError, match="问题编码=选项编码"):
        case.full_clean()


def test_the_try_panel_shows_results_and_cases(demo_guides, client):
    version = Guide.objects.get(code="enterprise-opening").published()
    client.force_login(demo_guides)
    page = client.get(f"/admin/situation/guideversion/{version.pk}/try/", {"q-premises": "rented"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "房屋租赁合同" in text and text.count("通过") >= 3
    draft = _draft(version.guide, actor=demo_guides)
    response = client.post(f"/admin/situation/guideversion/{draft.pk}/publish/", follow=True)
    assert "已发布" in response.content.decode()
    assert version.guide.published().pk == draft.pk


def test_the_public_page_answers_without_script(demo_guides, client):
    page = client.get("/situations/enterprise-opening/", {**{f"q-{k}": v for k, v in ALL.items()}})
    text = page.content.decode()
    assert page.status_code == 200 and 'data-complete="1"' in text
    assert "房屋租赁合同" in text and "银行开户须法定代表人本人到场" in text
    assert client.get("/situations/").status_code == 200
    assert client.get("/situations/nope/").status_code == 404


def test_a_new_version_in_the_admin_is_made_by_the_service(demo_guides, client):
    guide = Guide.objects.get(code="enterprise-opening")
    client.force_login(demo_guides)
    page = client.get("/admin/situation/guideversion/add/", {"guide": guide.pk})
    assert guide.published().source.splitlines()[1] in page.content.decode()  # starts from the last rules
    response = client.post("/admin/situation/guideversion/add/",
                           {"guide": guide.pk, "source": guide.published().source, "note": "改写"})  # fmt: skip
    assert response.status_code == 302
    draft = GuideVersion.objects.get(guide=guide, number=2)
    assert draft.status == "draft" and draft.created_by == demo_guides and draft.note == "改写"
    assert AuditEvent.objects.filter(action="situation.new_draft", object_id=str(draft.pk)).exists()
    bad = client.post("/admin/situation/guideversion/add/", {"guide": guide.pk, "source": "questions: []"})
    assert bad.status_code == 200 and "至少要有一个问题" in bad.content.decode()
