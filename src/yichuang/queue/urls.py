from django.urls import path

from . import views

app_name = "queue"

urlpatterns = [
    path("kiosk/<slug:site>/", views.kiosk, name="kiosk"),
    path("kiosk/<slug:site>/take/", views.kiosk_take, name="kiosk_take"),
    path("kiosk/<slug:site>/check-in/", views.kiosk_check_in, name="kiosk_check_in"),
    path("kiosk/<slug:site>/ticket/<str:token>/", views.kiosk_ticket, name="kiosk_ticket"),
    path("t/<str:token>/", views.mobile, name="mobile"),
    path("t/<str:token>/status/", views.mobile_status, name="mobile_status"),
    path("display/<slug:site>/", views.display, name="display"),
    path("display/<slug:site>/feed/", views.display_feed, name="display_feed"),
    path("display/<slug:site>/boards/", views.display_boards, name="display_boards"),
    path("desk/", views.desk, name="desk"),
    path("desk/seat/", views.desk_seat, name="desk_seat"),
    path("desk/leave/", views.desk_leave, name="desk_leave"),
    path("desk/call/", views.desk_call, name="desk_call"),
    path("desk/tickets/<int:ticket_id>/<slug:action>/", views.desk_ticket, name="desk_ticket"),
    path("desk/appointments/", views.desk_appointments, name="desk_appointments"),
    path("booking/<slug:site>/", views.booking, name="booking"),
    path("booking/a/<str:token>/", views.appointment, name="appointment"),
]
