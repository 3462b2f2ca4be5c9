from django.urls import path

from . import views

app_name = "video"

urlpatterns = [
    path("", views.citizen, name="citizen"),
    path("book/", views.book, name="book"),
    path("booking/<str:token>/", views.booking, name="booking"),
    path("booking/<str:token>/cancel/", views.cancel_booking, name="cancel_booking"),
    path("desk/", views.desk, name="desk"),
    path("expert/", views.expert, name="expert"),
    path("support/", views.support, name="support"),
    path("log/", views.log, name="log"),
    path("log/<int:call_id>/recording/", views.recording, name="recording"),
]
