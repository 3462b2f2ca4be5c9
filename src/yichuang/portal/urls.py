from django.urls import path, register_converter

from yichuang.catalogue.urls import CodeConverter

from . import views


class NumberConverter(CodeConverter):
    """A submission or case number (digits, letters and "-"): anything else is a 404 before any query."""

    regex = r"[A-Za-z0-9-]{1,60}"


register_converter(NumberConverter, "intake_number")

app_name = "portal"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/code/", views.request_code, name="request_code"),
    path("portal/sign-in/", views.code, name="code"),
    path("portal/sign-out/", views.sign_out, name="sign_out"),
    path("portal/notify/", views.notify, name="notify"),
    path("portal/apply/", views.apply, name="apply"),
    path("portal/apply/matter/<catalogue_code:code>/", views.apply_matter, name="apply_matter"),
    path("portal/apply/bundle/<catalogue_code:code>/", views.apply_bundle, name="apply_bundle"),
    path("portal/submissions/<intake_number:number>/", views.submission, name="submission"),
    path("portal/submissions/<intake_number:number>/supply/", views.supply, name="supply"),
    path(
        "portal/submissions/<intake_number:number>/correction/<intake_number:case_number>/",
        views.supply_correction,
        name="supply_correction",
    ),
    path("progress/", views.progress, name="progress"),
    path("progress/<intake_number:number>/", views.progress_detail, name="progress_detail"),
]
