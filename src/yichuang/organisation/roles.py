"""Staff roles. Each role is a Django group; its permissions are synced after every migrate.

Later apps add their permissions here (by "app_label.codename"); a permission whose app is not
installed yet is skipped, so the table can name the whole hall's duties in one place.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", _("综合受理人员")
    BACKOFFICE_OFFICER = "backoffice_officer", _("后台审批人员")
    DEPARTMENT_LEAD = "department_lead", _("部门负责人")
    OUTPUT_CLERK = "output_clerk", _("出件人员")
    CONSULTANT = "consultant", _("咨询人员")
    SUPERVISOR = "supervisor", _("督办人员")
    HALL_ADMIN = "hall_admin", _("大厅管理员")
    AUDITOR = "auditor", _("审计人员")


_CATALOGUE_EDIT = [
    f"catalogue.{verb}_{model}"
    for model in ("matter", "material", "mattermaterial", "bundle", "bundleitem", "lifeevent", "synonym")
    for verb in ("add", "change", "delete", "view")
]
_ORGANISATION_EDIT = [
    f"organisation.{verb}_{model}"
    for model in ("site", "openingperiod", "department", "pickupslot", "zone", "window", "seat", "user")
    for verb in ("add", "change", "delete", "view")
]

_LICENCES_EDIT = [
    *(
        f"licences.{verb}_{model}"
        for model in ("licencetype", "reusablematerial")
        for verb in ("add", "change", "delete", "view")
    ),
    "licences.view_licence",
]

_CALENDAR_EDIT = [
    f"clock.{verb}_{model}"
    for model in ("calendaroverride", "calendaryear", "clockrules")
    for verb in ("add", "change", "delete", "view")
]
# Queue rules and appointment slots are configured in the admin; tickets and appointments only viewed there.
_QUEUE_EDIT = [
    *(
        f"queue.{verb}_{model}"
        for model in ("queuesettings", "appointmentslot")
        for verb in ("add", "change", "delete", "view")
    ),
    "queue.view_ticket",
    "queue.view_appointment",
]

# Intake is changed only through its services; the admin shows it (masked) and clears broken-pledge marks.
_INTAKE_VIEW = [f"intake.view_{model}" for model in ("submission", "case", "handoff", "applicant")]

# The back office changes only through its services; the admin shows its records to hall admins and supervisors.
_BACKOFFICE_VIEW = [
    f"backoffice.view_{model}"
    for model in ("correction", "specialprocedure", "extension", "decision", "alert", "backofficerules")
]
# Hall admins edit the back-office rules (automatic withdrawal of overdue corrections, reminder days).
_BACKOFFICE_EDIT = [*_BACKOFFICE_VIEW, "backoffice.add_backofficerules", "backoffice.change_backofficerules"]

# Supervision: orders and their ledger change only through supervision.services (read-only in the admin);
# hall admins edit the supervised tasks.
_SUPERVISION_VIEW = ["supervision.view_supervisiontask", "supervision.view_order", "supervision.view_orderevent"]
_SUPERVISION_EDIT = [*_SUPERVISION_VIEW, "supervision.add_supervisiontask", "supervision.change_supervisiontask"]

# Output: handovers and reminders change only through output.services (read-only in the admin); hall admins
# edit the output rules (reminder after N days).
_OUTPUT_VIEW = ["output.view_handover", "output.view_handoveritem", "output.view_reminder"]
_OUTPUT_EDIT = [*_OUTPUT_VIEW, "output.view_outputrules", "output.add_outputrules", "output.change_outputrules"]

# Feedback: ratings, rectifications and appeals change only through feedback.services (read-only in the admin);
# hall admins edit the rating rules.
_FEEDBACK_VIEW = [
    f"feedback.view_{model}" for model in ("evaluation", "rectification", "appeal", "ratingpad", "feedbackrules")
]
_FEEDBACK_EDIT = [*_FEEDBACK_VIEW, "feedback.add_feedbackrules", "feedback.change_feedbackrules"]

# Consultation: consultations, escalations and ratings change only through consultation.services (read-only in
# the admin); hall admins edit the consultation rules (the escalation's reply limit in working days).
_CONSULTATION_VIEW = [
    f"consultation.view_{model}" for model in ("consultation", "escalation", "consultationrating", "consultationrules")
]
_CONSULTATION_EDIT = [
    *_CONSULTATION_VIEW,
    "consultation.add_consultationrules",
    "consultation.change_consultationrules",
]

# Knowledge base: articles change only through knowledge.services (the /knowledge/ pages); the admin shows them.
_KNOWLEDGE_VIEW = [f"knowledge.view_{model}" for model in ("article", "articleversion", "articlefile", "searchlog")]

# Video: calls, bookings and recordings change only through video.services (read-only in the admin); hall admins
# edit the video rules (recording allowed, slot length, ring time).
_VIDEO_VIEW = [f"video.view_{model}" for model in ("call", "booking", "videorules")]
_VIDEO_EDIT = [*_VIDEO_VIEW, "video.add_videorules", "video.change_videorules"]

# Situation guides: hall admins edit guides, their test cases and draft rules; publishing runs the cases.
_SITUATION_EDIT = [
    f"situation.{verb}_{model}"
    for model in ("guide", "guideversion", "guidecase")
    for verb in ("add", "change", "delete", "view")
]

# The live hall: alerts change only through hall.services (read-only in the admin); hall admins edit the alert rules.
_HALL_VIEW = ["hall.view_alert", "hall.view_alertrules"]
_HALL_EDIT = [*_HALL_VIEW, "hall.add_alertrules", "hall.change_alertrules"]

# Fees: hall admins configure the fee items; notices change only through fees.services (read-only in the admin).
_FEES_VIEW = ["fees.view_paymentnotice", "fees.view_feeitem"]
_FEES_EDIT = [*_FEES_VIEW, *(f"fees.{verb}_feeitem" for verb in ("add", "change", "delete"))]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.WINDOW_CLERK: ["organisation.view_window"],
    Role.BACKOFFICE_OFFICER: [],
    Role.DEPARTMENT_LEAD: [],
    Role.OUTPUT_CLERK: ["organisation.view_window"],
    Role.CONSULTANT: ["catalogue.view_matter", "catalogue.view_bundle"],
    Role.SUPERVISOR: [
        "core.view_auditevent",
        *_INTAKE_VIEW,
        *_BACKOFFICE_VIEW,
        *_SUPERVISION_VIEW,
        *_FEEDBACK_VIEW,
        *_OUTPUT_VIEW,
        *_CONSULTATION_VIEW,
        *_VIDEO_VIEW,
        *_HALL_VIEW,
        *_FEES_VIEW,
    ],
    Role.HALL_ADMIN: [
        *_CATALOGUE_EDIT,
        "exchange.view_outboxevent",  # 省级平台数据推送: rows the province rejected, corrected and resent
        "exchange.change_outboxevent",
        # 电子证照: the types and which matters issue them and which materials they stand for; reusable materials;
        # licences are listed (issued and revoked by the services, the holder hidden there)
        *_LICENCES_EDIT,
        *_ORGANISATION_EDIT,
        *_CALENDAR_EDIT,
        *_QUEUE_EDIT,
        *_INTAKE_VIEW,
        *_BACKOFFICE_EDIT,
        *_SUPERVISION_EDIT,
        *_FEEDBACK_EDIT,
        *_OUTPUT_EDIT,
        *_KNOWLEDGE_VIEW,
        *_CONSULTATION_EDIT,
        *_VIDEO_EDIT,
        *_SITUATION_EDIT,
        *_HALL_EDIT,
        *_FEES_EDIT,
        "assistance.view_assistance",
        "prefill.view_prefill",
        "organisation.view_apitoken",
        "core.view_auditevent",
        "core.view_periodicjob",  # 后台任务状态: the worker's periodic jobs and heartbeat
    ],
    Role.AUDITOR: ["core.view_auditevent"],
}

# Roles that may use the Django admin (hall configuration and catalogue).
STAFF_ROLES = {Role.HALL_ADMIN, Role.AUDITOR, Role.SUPERVISOR}

# Roles that see every department's work; a back-office officer sees only their own department's.
ALL_DEPARTMENTS_ROLES = {Role.SUPERVISOR, Role.HALL_ADMIN, Role.AUDITOR}


# --- who may act: the one set of role checks -----------------------------------------------------------------
# The rule for superusers lives here only: a superuser acts as every hall-wide role (window and output clerk,
# consultant, hall admin, supervisor, auditor), but is no department's member — the checks bound to a department
# (its officers, its lead) need that role in that department, so that a department's work, its leads' approvals
# ("never one's own") and its scoping stay with real members of it. A disabled or anonymous user holds nothing.


def is_active_user(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def acts_as(user, *roles: Role) -> bool:
    """The user holds one of these hall-wide roles, or is a superuser."""
    return is_active_user(user) and bool(user.is_superuser or user.has_role(*roles))


def has_any_role(user) -> bool:
    """The user has some duty at the hall (any role), or is a superuser."""
    return is_active_user(user) and bool(user.is_superuser or user.role_names())


def member_of(user, department_id, *roles: Role) -> bool:
    """The user holds one of `roles` (officer, lead) in that department; a superuser is no department's member."""
    if not (is_active_user(user) and department_id):
        return False
    return user.department_id == department_id and user.has_role(*roles)


def in_own_department(user, *roles: Role) -> bool:
    """The user holds one of `roles` in the department they belong to (None: no department, no membership)."""
    return member_of(user, getattr(user, "department_id", None), *roles)


def sync_role_groups(app_config=None, **kwargs) -> None:
    """Create one group per role and give it exactly its permissions.

    As a post_migrate receiver it runs once, after the last app's signal (every app's permissions exist by then):
    the signal is sent once per app, also after each flush of a transactional test."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    if app_config is not None and app_config is not [a for a in apps.get_app_configs() if a.models_module][-1]:
        return
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=str(role))
        group.permissions.set([by_name[perm] for perm in perms if perm in by_name])
