"""The error bodies of the JSON API (yichuang/api.py writes them), for endpoints to declare in OpenAPI,
e.g. `@router.get("/things/{code}", response={200: ThingOut, 404: ErrorOut})`."""

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str = Field(description="Why the request was refused, in one sentence.")


class FieldErrorOut(Schema):
    field: str | None = Field(description="The parameter or field at fault (dotted for nested ones), if any.")
    reason: str


class InvalidOut(ErrorOut):
    """422: a parameter or a domain rule refused the input; `detail` repeats the first reason."""

    errors: list[FieldErrorOut]
