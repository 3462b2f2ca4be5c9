"""The applicant's session on the JSON API: `POST /api/submissions` with channel "online".

    from yichuang.portal.api_auth import ApplicantSession, online_submission
    @router.post("/submissions", auth=[*staff_auth, ApplicantSession()])
    def create_submission(request, ...):
        actor, data = online_submission(request, payload.model_dump())   # staff: (request.user, data) unchanged

ApplicantSession accepts the online hall's session (a phone verified by a one-time code, see services.py),
with Django's CSRF check like the staff session. It does not log anyone in: request.user stays anonymous and
request.auth is an `Applicant` holding the verified phone.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from ninja.security import APIKeyCookie

from . import services


@dataclass(frozen=True)
class Applicant:
    """Who is calling: the holder of a verified phone."""

    phone: str


class ApplicantSession(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=True)
        self.openapi_name = "applicantSession"

    def authenticate(self, request, key):
        phone = services.verified_phone(request)
        return Applicant(phone) if phone else None


def online_submission(request, data: dict) -> tuple[object, dict]:
    """The `actor` and the input for intake.services.submit.

    For a member of staff: (request.user, data) as they are. For an applicant session: only channel "online",
    with no window or ticket; the applicant's phone is the verified phone (the submission keeps it: an ID number on
    record with another phone may apply, and opens none of the earlier submissions); actor None.
    """
    caller = getattr(request, "auth", None)
    if not isinstance(caller, Applicant):
        return request.user, data
    if data.get("channel") != "online":
        raise PermissionDenied('an applicant session submits with channel "online" only')
    applicant = dict(data.get("applicant") or {})
    applicant["phone"] = caller.phone
    return None, {**data, "applicant": applicant}
