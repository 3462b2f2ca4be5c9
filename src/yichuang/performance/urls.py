from django.urls import path

from . import views

app_name = "performance"

urlpatterns = [
    path("", views.report, name="report"),
    path("export.xlsx", views.export, name="export"),
]
