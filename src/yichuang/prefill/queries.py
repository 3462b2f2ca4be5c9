"""Reads of pre-filled applications shared by the kiosk, the online hall and the intake desk."""

from django.utils import timezone

from yichuang.situation import queries as situation_queries

from .models import Prefill


def zones_for(prefill: Prefill):
    """The zones of the application's site that take its guide's bundle (or matter) in — where its ticket is taken
    and its appointment booked."""
    from yichuang.organisation.models import Zone

    guide = prefill.version.guide
    zones = Zone.objects.filter(site=prefill.site_id)
    if guide.bundle_id:
        return zones.filter(pk=guide.bundle.zone_id)
    return zones.filter(matters=guide.matter_id).order_by("order", "code")


def upload_lines(version) -> list[dict]:
    """Every material the guide's answers could ask for (the page shows those the current answers need)."""
    data = situation_queries.page_data(version)
    seen, lines = set(), []
    for code in data["scope"]:
        for line in data["matters"][code]["lines"]:
            if line["material"] not in seen:
                seen.add(line["material"])
                lines.append({"material": line["material"], "name": line["name"]})
    for rule in version.definition["materials"]:
        if not rule["omit"] and rule["material"] not in seen:
            seen.add(rule["material"])
            lines.append({"material": rule["material"], "name": data["names"]["materials"].get(rule["material"], "")})
    return lines


def guides_at(site):
    """The published guides whose bundle (or matter) this site takes in."""
    return [
        g
        for g in situation_queries.published_guides()
        if (g.bundle_id and g.bundle.zone.site_id == site.pk)
        or (g.matter_id and g.matter.zones.filter(site=site).exists())
    ]


def mine(owner: str):
    return (
        Prefill.objects.filter(owner=owner, expires_at__gt=timezone.now())
        .select_related("version__guide", "submission")
        .order_by("-created_at")[:50]
    )


def awaiting_precheck(site=None):
    rows = Prefill.objects.filter(
        precheck=Prefill.Precheck.REQUESTED, submission__isnull=True, expires_at__gt=timezone.now()
    ).select_related("version__guide")
    return rows.filter(site=site) if site is not None else rows


def desk_values(prefill: Prefill) -> dict:
    """The intake desk's form as the pre-filled application fills it."""
    guide = prefill.version.guide
    values = {
        "applicant.kind": prefill.applicant.get("kind", ""),
        "applicant.name": prefill.applicant.get("name", ""),
        "applicant.id_number": prefill.applicant.get("id_number", ""),
        "applicant.phone": prefill.applicant.get("phone", ""),
        "agent.name": (prefill.agent or {}).get("name", ""),
        "agent.id_number": (prefill.agent or {}).get("id_number", ""),
        "agent.phone": (prefill.agent or {}).get("phone", ""),
        "bundle": guide.bundle.code if guide.bundle_id else "",
        "situation_version": str(prefill.version_id),
        "prefill": prefill.code,
        "action": "checklist",
    }
    values.update({f"q-{k}": v for k, v in prefill.answers.items()})
    if guide.matter_id:
        values["matters"] = [guide.matter.code]
    return values
