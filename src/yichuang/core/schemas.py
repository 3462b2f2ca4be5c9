"""The error bodies of the JSON API (yichuang/api.py writes them), for endpoints to declare in OpenAPI,
e.g. `@router.get("/things/{code}", response={200: ThingOut, 404: ErrorOut})`."""

from typing import Annotated

from ninja import Field, Path, Schema

# The largest id a table holds (a signed 64-bit integer, SQLite's and PostgreSQL's bigint): a larger id in a path is
# refused at the parameter (422), never sent to the database, where SQLite raises OverflowError (a 500).
MAX_ROW_ID = 2**63 - 1

# An integer id in an endpoint's path: `def call(request, window_id: RowId)`.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


class ErrorOut(Schema):
    detail: str = Field(description="Why the request was refused, in one sentence.")


class FieldErrorOut(Schema):
    field: str | None = Field(description="The parameter or field at fault (dotted for nested ones), if any.")
    reason: str


class InvalidOut(ErrorOut):
    """422: a parameter or a domain rule refused the input; `detail` repeats the first reason."""

    errors: list[FieldErrorOut]


def row_id(value) -> int | None:
    """An id typed into a form or a query string: ASCII digits that fit a row id, else None (never a 500 from
    int('²') or an id beyond 64 bits)."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ROW_ID else None
