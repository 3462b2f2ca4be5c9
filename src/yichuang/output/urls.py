from django.urls import path

from . import views

app_name = "output"

NUMBER = "<str:number>"

urlpatterns = [
    path("", views.desk, name="desk"),
    path(f"s/{NUMBER}/", views.submission, name="submission"),
    path(f"s/{NUMBER}/hand-over/", views.hand_over, name="hand_over"),
    path(f"s/{NUMBER}/mail/", views.mail, name="mail"),
    path("handovers/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("handovers/<int:pk>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
]
