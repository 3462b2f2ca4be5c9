from django.urls import path, register_converter

from . import views


class NumberConverter:
    """ZX-<year>-<sequence>: anything else is a 404 before any query."""

    regex = r"ZX-\d{4}-\d{4,8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TokenConverter:
    regex = r"[A-Za-z0-9_-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NumberConverter, "consultation_number")
register_converter(TokenConverter, "consultation_token")

app_name = "consultation"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("suggest/", views.suggest, name="suggest"),
    path("ask/", views.ask, name="ask"),
    path("matters/", views.matters, name="matters"),
    path("department/", views.department, name="department"),
    path("t/<consultation_token:token>/", views.citizen, name="citizen"),
    path("<consultation_number:number>/", views.detail, name="detail"),
    path("<consultation_number:number>/reply/", views.reply, name="reply"),
    path("<consultation_number:number>/escalate/", views.escalate, name="escalate"),
    path("<consultation_number:number>/answer/", views.answer, name="answer"),
    path("<consultation_number:number>/propose/", views.propose, name="propose"),
    path("<consultation_number:number>/suggest-article/", views.suggest_article, name="suggest_article"),
]
