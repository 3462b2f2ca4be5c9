from django.urls import path

from . import capacity_views, views

app_name = "hall"

urlpatterns: list = [
    path("", views.live, name="live"),
    path("feed.json", views.feed, name="feed"),
    path("alerts/<int:alert_id>/ack/", views.acknowledge, name="acknowledge"),
    path("capacity/", capacity_views.capacity, name="capacity"),
]
