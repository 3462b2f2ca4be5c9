from django.urls import path, register_converter

from . import views


class CaseNumberConverter:
    """A case number (digits, letters and "-"): anything else is a 404 before any query."""

    regex = r"[A-Za-z0-9-]{1,60}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CaseNumberConverter, "case_number")

app_name = "backoffice"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("cases/<case_number:number>/", views.case, name="case"),
    path("cases/<case_number:number>/do/<slug:action>/", views.act, name="act"),
    path("cases/<case_number:number>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("cases/<case_number:number>/special/<int:pk>/", views.special_notice, name="special_notice"),
    path("cases/<case_number:number>/special/<int:pk>.pdf", views.special_notice_pdf, name="special_notice_pdf"),
    path("cases/<case_number:number>/withdrawn/", views.withdrawn_notice, name="withdrawn_notice"),
    path("cases/<case_number:number>/withdrawn.pdf", views.withdrawn_notice_pdf, name="withdrawn_notice_pdf"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/read/", views.alerts_read, name="alerts_read"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("handoffs/return/", views.return_results, name="return_results"),
    path("handoffs/<int:pk>/", views.handoff, name="handoff"),
    path("handoffs/<int:pk>.pdf", views.handoff_pdf, name="handoff_pdf"),
    path("handoffs/<int:pk>/collect/", views.collect, name="collect"),
]
