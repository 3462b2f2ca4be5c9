from django.urls import path

from . import views

app_name = "catalogue"

urlpatterns = [
    path("", views.guide, name="guide"),
    path("zones/<str:code>/", views.zone, name="zone"),
    path("departments/<str:code>/", views.department, name="department"),
    path("life-events/<str:code>/", views.life_event, name="life-event"),
    path("matters/<str:code>/", views.matter, name="matter"),
    path("matters/<str:code>/notice/", views.matter_notice, name="matter-notice"),
    path("matters/<str:code>/notice.pdf", views.matter_notice_pdf, name="matter-notice-pdf"),
    path("bundles/", views.bundle_list, name="bundles"),
    path("bundles/<str:code>/", views.bundle, name="bundle"),
    path("bundles/<str:code>/notice/", views.bundle_notice, name="bundle-notice"),
    path("bundles/<str:code>/notice.pdf", views.bundle_notice_pdf, name="bundle-notice-pdf"),
    path("windows/", views.windows, name="windows"),
]
