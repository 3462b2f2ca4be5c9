from django.urls import path, register_converter

from . import views


class CodeConverter:
    """A catalogue or organisation code (letters, digits, ".", "_", "-"): anything else is a 404 before any query."""

    regex = r"[A-Za-z0-9_.-]{1,40}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "catalogue_code")

app_name = "catalogue"

urlpatterns = [
    path("", views.guide, name="guide"),
    path("zones/<catalogue_code:code>/", views.zone, name="zone"),
    path("departments/<catalogue_code:code>/", views.department, name="department"),
    path("life-events/<catalogue_code:code>/", views.life_event, name="life-event"),
    path("matters/<catalogue_code:code>/", views.matter, name="matter"),
    path("matters/<catalogue_code:code>/notice/", views.matter_notice, name="matter-notice"),
    path("matters/<catalogue_code:code>/notice.pdf", views.matter_notice_pdf, name="matter-notice-pdf"),
    path("bundles/", views.bundle_list, name="bundles"),
    path("bundles/<catalogue_code:code>/", views.bundle, name="bundle"),
    path("bundles/<catalogue_code:code>/notice/", views.bundle_notice, name="bundle-notice"),
    path("bundles/<catalogue_code:code>/notice.pdf", views.bundle_notice_pdf, name="bundle-notice-pdf"),
    path("windows/", views.windows, name="windows"),
]
