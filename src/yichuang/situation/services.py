"""Changes to situation guides: a new draft, publishing (only when every test case passes), each audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.organisation.roles import Role, acts_as

from . import cases
from .models import Guide, GuideVersion


def _ensure_admin(actor) -> None:
    if not acts_as(actor, Role.HALL_ADMIN):
        raise PermissionDenied(_("只有大厅管理员可以修改情形引导。"))


@transaction.atomic
def new_draft(guide: Guide, source: str, *, actor, note: str = "", request=None) -> GuideVersion:
    """A new draft version of `guide` (numbered after the last), checked like any edit."""
    _ensure_admin(actor)
    Guide.objects.select_for_update().filter(pk=guide.pk).first()  # numbers drawn one at a time
    number = (guide.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = GuideVersion(guide=guide, number=number, source=source, note=note, created_by=actor)
    version.full_clean()
    version.save()
    audit.record(actor, "situation.new_draft", version, summary=f"{guide.code} v{number}", request=request)
    return version


@transaction.atomic
def publish(version: GuideVersion, *, actor, request=None) -> list[cases.CaseResult]:
    """Publish a draft: its rules read against today's catalogue, every test case of the guide passing (at least
    one). The version published before is retired. Raises ValidationError naming what failed."""
    _ensure_admin(actor)
    version = GuideVersion.objects.select_for_update().select_related("guide").get(pk=version.pk)
    if version.status != GuideVersion.Status.DRAFT:
        raise ValidationError(_("只有草稿可以发布；该版本%(status)s。") % {"status": version.get_status_display()})
    version.full_clean()  # the catalogue may have changed since the draft was saved
    results = cases.run_all(version)
    if not results:
        raise ValidationError(_("请先为该情形引导编写至少一个测试用例，全部通过后才能发布。"))
    failed = [r for r in results if not r.passed]
    if failed:
        raise ValidationError(
            [
                _("测试用例“%(name)s”未通过：%(why)s") % {"name": r.case.name, "why": " ".join(r.problems)}
                for r in failed
            ]
        )
    now = timezone.now()
    retired = version.guide.versions.filter(status=GuideVersion.Status.PUBLISHED)
    for old in retired:
        audit.record(actor, "situation.retire", old, summary=f"{version.guide.code} v{old.number}", request=request)
    retired.update(status=GuideVersion.Status.RETIRED)
    version.status = GuideVersion.Status.PUBLISHED
    version.published_at, version.published_by = now, actor
    version.save(update_fields=["status", "published_at", "published_by", "definition"])
    audit.record(
        actor, "situation.publish", version, summary=f"{version.guide.code} v{version.number}",
        request=request, cases=len(results),
    )  # fmt: skip
    return results
