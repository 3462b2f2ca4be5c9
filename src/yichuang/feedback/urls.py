from django.urls import path, register_converter

from . import views


class NumberConverter:
    """A case number (digits, letters and "-"): anything else is a 404 before any query."""

    regex = r"[A-Za-z0-9-]{1,60}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TokenConverter(NumberConverter):
    """A signed link token (case number, timestamp and signature)."""

    regex = r"[A-Za-z0-9:_-]{1,200}"


register_converter(NumberConverter, "feedback_case")
register_converter(TokenConverter, "feedback_token")

app_name = "feedback"

urlpatterns = [
    path("rate/<int:window_id>", views.pad, name="pad"),
    path("rate/<int:window_id>/pair", views.pad_pair, name="pad_pair"),
    path("rate/<int:window_id>/thanks", views.pad_thanks, name="pad_thanks"),
    path("rate/<int:window_id>/current", views.pad_current, name="pad_current"),
    path("rate/case/<feedback_token:token>", views.rate_case, name="rate_case"),
    path("rate/portal/<feedback_case:number>", views.rate_portal, name="rate_portal"),
    path("feedback/rectifications/", views.rectifications, name="rectifications"),
    path("feedback/rectifications/<int:pk>/<slug:action>/", views.rectification_act, name="rectification_act"),
]
