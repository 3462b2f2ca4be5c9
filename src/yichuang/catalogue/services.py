"""State changes of the catalogue, and the rules other apps ask of it."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yichuang.organisation.models import Window, Zone

from .models import Matter


def ensure_can_be_taken_in(matter: Matter, zone: Zone, window: Window | None = None) -> None:
    """The catalogue's rules for taking a matter in at a zone (and window); raises ValidationError.

    Intake calls this for every matter; it is the single place these rules live.
    """
    if matter.status != Matter.Status.IN_USE:
        raise ValidationError(
            _("事项“%(name)s”已%(status)s，暂不受理。") % {"name": matter.name, "status": matter.get_status_display()},
            code="matter_not_in_use",
        )
    if window is not None and window.kind == Window.Kind.SPECIALIZED:
        if window.department_id != matter.department_id:
            raise ValidationError(_("该专业窗口不受理此事项。"), code="wrong_window")
        return
    if matter.specialized_only:
        specialized = Window.objects.filter(
            kind=Window.Kind.SPECIALIZED, department_id=matter.department_id, zone__site_id=zone.site_id
        ).order_by("number").first()
        where = (
            _("请到 %(number)s 号窗口（%(name)s）办理。") % {"number": specialized.number, "name": specialized.name}
            if specialized else _("请到该部门专业窗口办理。")
        )
        raise ValidationError(
            _("事项“%(name)s”只在专业窗口受理。") % {"name": matter.name} + where, code="specialized_only"
        )
    if not matter.zones.filter(pk=zone.pk).exists():
        raise ValidationError(
            _("事项“%(name)s”不在“%(zone)s”受理。") % {"name": matter.name, "zone": zone.name},
            code="wrong_zone",
        )
