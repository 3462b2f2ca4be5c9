"""Who may see and act on which department's work — the one place every app asks.

A back-office officer or department lead sees only their own department; supervisors, hall admins
and auditors see all departments; everyone else sees no department's back-office work.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .roles import ALL_DEPARTMENTS_ROLES, Role, acts_as, in_own_department


def sees_all_departments(user) -> bool:
    return acts_as(user, *ALL_DEPARTMENTS_ROLES)


def visible_department_ids(user) -> set[int] | None:
    """The departments whose work the user may see; None means every department."""
    if sees_all_departments(user):
        return None
    if in_own_department(user, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD):
        return {user.department_id}
    return set()


def restrict_to_departments(queryset: QuerySet, user, field: str = "department") -> QuerySet:
    """Filter any queryset down to what the user may see; `field` leads to a Department."""
    ids = visible_department_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def ensure_department_access(user, department_id: int) -> None:
    """Raise PermissionDenied unless the user may act on this department's work."""
    ids = visible_department_ids(user)
    if ids is not None and department_id not in ids:
        raise PermissionDenied(_("无权处理其他部门的办件。"))
