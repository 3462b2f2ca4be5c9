from django.urls import path

from . import views

app_name = "assistance"

urlpatterns = [
    path("", views.index, name="index"),
    path("t/<str:token>/", views.person, name="person"),
    path("consent-form.pdf", views.consent_form, name="consent_form"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/consent/", views.consent_file, name="consent"),
]
