from django.urls import path

from . import views

app_name = "fees"
urlpatterns = [
    path("callback/", views.callback, name="callback"),
    path("simulator/pay/<str:number>/", views.simulate_payment, name="simulate_payment"),
]
