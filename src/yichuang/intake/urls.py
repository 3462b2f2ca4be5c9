from django.urls import path, register_converter

from . import views


class SubmissionNumberConverter:
    """<division code>-<yyyymmdd>-<sequence>: anything else is a 404 before any query."""

    regex = r"\d{6,12}-\d{8}-\d{6,7}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SubmissionNumberConverter, "submission_number")

app_name = "intake"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("<submission_number:number>/", views.submission, name="submission"),
    path("<submission_number:number>/personal/", views.personal_data, name="personal"),
    path("<submission_number:number>/files/", views.upload, name="upload"),
    path("<submission_number:number>/files/<int:attachment_id>/", views.download, name="download"),
    path("<submission_number:number>/<slug:document>/", views.document, name="document"),
    path("<submission_number:number>/<slug:document>.pdf", views.document_pdf, name="document_pdf"),
]
