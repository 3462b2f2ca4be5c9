from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve

from yichuang.api import api
from yichuang.core import views as core_views

admin.site.site_header = "一窗 · 政务服务中心管理"
admin.site.site_title = "一窗管理"

urlpatterns = [
    path("", core_views.start, name="start"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("guide/", include("yichuang.catalogue.urls")),
    path("", include("yichuang.queue.urls")),
]

if settings.DEBUG:
    urlpatterns += [path(f"{settings.MEDIA_URL}<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
