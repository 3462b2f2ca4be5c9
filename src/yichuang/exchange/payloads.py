"""What the province receives of a case: built from the case as it stands when the event is written, and again
when the admin re-reads a rejected row (`services.reread`). Holds the applicant's name and ID number: payloads
are personal data — shown to the hall admin, never written to a log or an audit summary."""

from django.utils import timezone

from yichuang.intake.models import Case, SubmissionMaterial


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def case_payloads(case_ids, with_materials=frozenset()) -> dict[int, dict]:
    cases = Case.objects.select_related("submission", "matter", "department").filter(pk__in=list(case_ids))
    out = {}
    materials_of: dict[int, list] = {}
    wanted_submissions = {c.submission_id for c in cases if c.pk in with_materials}
    if wanted_submissions:
        for line in SubmissionMaterial.objects.filter(submission_id__in=wanted_submissions).order_by("order", "pk"):
            materials_of.setdefault(line.submission_id, []).append(line)
    for case in cases:
        submission, matter = case.submission, case.matter
        snapshot = case.matter_snapshot or {}
        data = {
            "case_no": case.number,
            "submission_no": submission.number,
            "impl_code": matter.implementation_code or snapshot.get("implementation_code", ""),
            "basic_code": matter.basic_code or snapshot.get("basic_code", ""),
            "matter_code": snapshot.get("code", matter.code),
            "matter_name": snapshot.get("name", matter.name),
            "department_code": case.department.code,
            "department_name": case.department.name,
            "applicant_name": submission.applicant_name,
            "applicant_id_no": submission.applicant_id_number,
            "channel": submission.channel,
            "accepted_at": _iso(case.accepted_at),
            "due_at": _iso(case.due_at),
            "case_status": case.status,
            "concluded_at": _iso(case.concluded_at),
            "limit_unit": snapshot.get("limit_unit", ""),
            "promised_limit": snapshot.get("promised_limit", ""),
        }
        if case.pk in with_materials:
            codes = set()
            data["materials"] = []
            for line in materials_of.get(case.submission_id, []):
                needed = line.matters or []
                if needed and data["matter_code"] not in needed:
                    continue
                if line.code in codes:
                    continue
                codes.add(line.code)
                data["materials"].append(
                    {"material_code": line.code, "material_name": line.name, "material_status": line.status,
                     "originals": line.originals, "copies": line.copies}
                )  # fmt: skip
        out[case.pk] = data
    return out


def event_payload(case_data: dict, kind: str, at, detail: dict) -> dict:
    return {**case_data, "event_kind": kind, "event_time": _iso(at), "detail": detail}


# The keys of a payload (`case_payloads` and `event_payload`): what the admin may correct in a rejected row.
KEYS = frozenset(
    {
        "case_no", "submission_no", "impl_code", "basic_code", "matter_code", "matter_name", "department_code",
        "department_name", "applicant_name", "applicant_id_no", "channel", "accepted_at", "due_at", "case_status",
        "concluded_at", "limit_unit", "promised_limit", "materials", "event_kind", "event_time", "detail",
    }
)  # fmt: skip
