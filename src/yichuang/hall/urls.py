from django.urls import path

app_name = "hall"

urlpatterns: list = []
