"""Reads of situation guides shared by the pages, the intake and the API: the scope of a guide, its published
version, and the one evaluation (`outcome`) that the guide page, the kiosk, the online hall and the intake desk
all use on the server. The page's own evaluator (`static/situation/guide.js`) gets `page_data()`."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yichuang.catalogue.models import Material, MatterMaterial
from yichuang.catalogue.queries import merged_materials
from yichuang.core.schemas import row_id

from . import rules
from .models import Guide, GuideVersion


def fits(guide: Guide, bundle, matters) -> bool:
    """The guide is the chosen bundle's, or the one chosen matter's (without a bundle)."""
    if guide.bundle_id:
        return bundle is not None and guide.bundle_id == bundle.pk
    return bundle is None and [m.pk for m in matters] == [guide.matter_id]


def parse_for(guide: Guide, source: str) -> dict:
    scope = [m.code for m in guide.scope()]
    known = set(Material.objects.values_list("code", flat=True))
    return rules.parse(source, scope=scope, materials=known)


def _names(definition: dict, scope) -> dict:
    codes = rules.materials_named(definition)
    return {
        "materials": dict(Material.objects.filter(code__in=codes).values_list("code", "name")),
        "matters": {m.code: m.name for m in scope},
    }


def outcome(version: GuideVersion, answers: dict, *, merged=None) -> rules.Outcome:
    """The result of `answers` under `version` on today's catalogue. `merged` (matters → NoticeLines) defaults to
    the catalogue's merged list; the intake passes its cached one."""
    scope = version.guide.scope()
    by_code = {m.code: m for m in scope}

    def merge(codes):
        matters = [by_code[c] for c in codes]
        return merged(matters) if merged is not None else merged_materials(matters)

    return rules.evaluate(
        version.definition, [m.code for m in scope], answers, merge, _names(version.definition, scope)
    )


def published_for(*, bundle=None, matter=None) -> GuideVersion | None:
    filters = {"guide__bundle": bundle} if bundle is not None else {"guide__matter": matter}
    return (
        GuideVersion.objects.select_related("guide__bundle", "guide__matter")
        .filter(status=GuideVersion.Status.PUBLISHED, **filters)
        .first()
    )


def usable_version(version_id) -> GuideVersion:
    """A version a submission may be taken in under: published now or earlier (a pre-filled application keeps the
    version it was answered under), never a draft."""
    version = (
        GuideVersion.objects.select_related("guide__bundle", "guide__matter")
        .filter(pk=row_id(version_id))
        .exclude(status=GuideVersion.Status.DRAFT)
        .first()
    )
    if version is None:
        raise ValidationError({"situation": [_("没有这个已发布的情形引导版本。")]})
    return version


def published_guides():
    return (
        Guide.objects.filter(versions__status=GuideVersion.Status.PUBLISHED)
        .select_related("bundle__zone", "matter")
        .order_by("code")
    )


def page_data(version: GuideVersion) -> dict:
    """Everything the page's evaluator needs: the rules and the catalogue's requirements of the scope's matters, in
    the order `catalogue.queries.merged_materials` reads them."""
    scope = version.guide.scope()
    reqs = MatterMaterial.objects.filter(matter__in=scope).select_related("material").order_by("order", "pk")
    lines: dict[str, list] = {m.code: [] for m in scope}
    code_of = {m.pk: m.code for m in scope}
    for req in reqs:
        lines[code_of[req.matter_id]].append(
            {
                "material": req.material.code,
                "name": req.material.name,
                "originals": req.originals,
                "copies": req.copies,
                "required": req.required,
                "core": req.core,
                "deferrable": req.deferrable,
                "pledgeable": req.pledgeable,
                "notes": req.notes,
            }
        )
    return {
        "version": version.pk,
        "definition": version.definition,
        "scope": [m.code for m in scope],
        "matters": {m.code: {"name": m.name, "lines": lines[m.code]} for m in scope},
        "names": _names(version.definition, scope),
    }


def questions_with_answers(version: GuideVersion, answers: dict) -> list[dict]:
    """The questions asked and the option chosen, as texts (for a submission's page and documents)."""
    asked, counted, _complete = rules.answered(version.definition, answers or {})
    result = []
    for q in version.definition["questions"]:
        if q["id"] in asked:
            option = next((o["text"] for o in q["options"] if o["id"] == counted.get(q["id"])), "")
            result.append({"id": q["id"], "question": q["text"], "answer": option})
    return result


def form_questions(version: GuideVersion, outcome: rules.Outcome) -> list[dict]:
    """The questions as the page shows them: every one (the page hides those not asked), the option chosen."""
    return [
        {
            "id": q["id"],
            "text": q["text"],
            "help": q["help"],
            "asked": q["id"] in outcome.asked,
            "options": [{**o, "checked": outcome.answers.get(q["id"]) == o["id"]} for o in q["options"]],
        }
        for q in version.definition["questions"]
    ]


def answers_from(data) -> dict[str, str]:
    """The answers in a request's data (fields q-<question id>), bounded."""
    return {k[2:34]: str(v)[:32] for k, v in list(data.items())[:200] if k.startswith("q-") and v}
