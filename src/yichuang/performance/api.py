"""The performance API: `GET /api/performance?from=&to=&by=` — the same figures as the page
(`performance.queries.report`), staff token or session, the same access (supervisors and hall admins: all rows;
department leads: their department's work; anyone else 403). A bad period or dimension is a 422."""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from yichuang.core.schemas import ErrorOut, InvalidOut
from yichuang.organisation.api_auth import staff_auth

from . import queries

router = Router(tags=["performance"], auth=staff_auth)


class PerformanceQuery(Schema):
    from_: str | None = Field(None, alias="from", description="First day, YYYY-MM-DD (default: this month).")
    to: str | None = Field(None, description="Day after the last, YYYY-MM-DD (exclusive).")
    by: str = Field("staff", description='"staff", "window", "zone" or "department".')
    sort: str = Field("", description='A column ("tickets", "satisfaction", …), "-name" for descending.')


class RowOut(Schema):
    key: int | None = Field(description="Id of the user, window, zone or department; null = none recorded.")
    name: str
    note: str
    tickets: int = Field(description="Tickets finished in the period.")
    handling_minutes: float | None = Field(description="Average served → finished.")
    waiting_minutes: float | None = Field(description="Average issued → first called.")
    submissions: int = Field(description="Submissions accepted in the period.")
    within_limit: int = Field(description="Cases concluded in the period with concluded_at ≤ due_at.")
    past_limit: int
    within_rate: float | None = Field(description="Percent of concluded cases within the limit.")
    ratings: int
    level_avg: float | None
    satisfaction_rate: float | None = Field(description="Percent of ratings at level 4 or 5.")
    bad: int = Field(description="Ratings at level 1 or 2.")
    assisted: int = Field(description="Submissions made for an assisted service (帮办代办); per staff: by the helper.")


class PerformanceOut(Schema):
    start: datetime.date = Field(alias="from")
    end: datetime.date = Field(alias="to", description="Exclusive.")
    by: str
    sort: str
    rows: list[RowOut]
    total: RowOut


def _row(r: queries.Row) -> dict:
    return {
        "key": r.key, "name": r.name, "note": r.note, "tickets": r.tickets, "handling_minutes": r.handling_minutes,
        "waiting_minutes": r.waiting_minutes, "submissions": r.submissions, "within_limit": r.within,
        "past_limit": r.past, "within_rate": r.within_rate, "ratings": r.ratings, "level_avg": r.level_avg,
        "satisfaction_rate": r.satisfaction_rate, "bad": r.bad, "assisted": r.assisted,
    }  # fmt: skip


@router.get(
    "/performance",
    response={200: PerformanceOut, 401: ErrorOut, 403: ErrorOut, 422: InvalidOut},
    by_alias=True,
    summary="Performance figures per staff member, window, zone or department for a period",
)
def performance(request, params: Query[PerformanceQuery]):
    if not queries.may_see(request.user):
        raise PermissionDenied(_("绩效考核仅供督办人员、大厅管理员和部门负责人查看。"))
    period = queries.parse_period(params.from_, params.to)  # ValidationError → 422
    data = queries.report(period, params.by, request.user, sort=params.sort)
    return {
        "from": period.start,
        "to": period.end,
        "by": data.by,
        "sort": data.sort,
        "rows": [_row(r) for r in data.rows],
        "total": _row(data.total),
    }
