from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("submission/<str:number>/", views.submission, name="submission"),
    path("messages/<int:pk>/retry/", views.retry, name="retry"),
    path("receipts/sms/", views.sms_receipt, name="sms_receipt"),
]
