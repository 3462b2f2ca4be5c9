from django.urls import path

from . import views

app_name = "licences"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("<int:pk>/", views.document, name="document"),
    path("<int:pk>/pdf/", views.document_pdf, name="document_pdf"),
]
