from django.urls import path

from . import views

app_name = "prefill"

urlpatterns = [
    path("self/<str:site>/", views.kiosk_start, name="kiosk_start"),
    path("self/<str:site>/done/<str:code>/", views.kiosk_done, name="kiosk_done"),
    path("self/<str:site>/done/<str:code>/ticket/", views.kiosk_ticket, name="kiosk_ticket"),
    path("self/<str:site>/<str:guide>/", views.kiosk_form, name="kiosk_form"),
    path("portal/prefill/", views.portal_start, name="portal_start"),
    path("portal/prefill/p/<str:code>/", views.portal_done, name="portal_done"),
    path("portal/prefill/<str:guide>/", views.portal_form, name="portal_form"),
    path("desk/prefills/", views.precheck_list, name="precheck_list"),
    path("desk/prefills/<str:code>/", views.precheck_detail, name="precheck_detail"),
    path("desk/prefills/<str:code>/files/<str:material>/", views.prefill_file, name="file"),
]
