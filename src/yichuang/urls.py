from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django.views.static import serve

from yichuang.api import api
from yichuang.core import views as core_views
from yichuang.organisation.forms import StaffAdminAuthenticationForm, StaffAuthenticationForm

# Error pages in Chinese with the reason and a way back; JSON under /api/ (yichuang.core.errors).
handler400 = "yichuang.core.errors.bad_request"
handler403 = "yichuang.core.errors.permission_denied"
handler404 = "yichuang.core.errors.page_not_found"
handler500 = "yichuang.core.errors.server_error"

admin.site.site_header = _("一窗 · 政务服务中心管理")
admin.site.site_title = _("一窗管理")
admin.site.login_form = StaffAdminAuthenticationForm

urlpatterns = [
    path("", core_views.start, name="start"),
    path("favicon.ico", RedirectView.as_view(url=static("core/favicon.svg"), permanent=True)),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=StaffAuthenticationForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("guide/", include("yichuang.catalogue.urls")),
    path("situations/", include("yichuang.situation.urls")),
    path("", include("yichuang.queue.urls")),
    path("desk/intake/", include("yichuang.intake.urls")),
    path("notifications/", include("yichuang.notifications.urls")),
    path("supervision/", include("yichuang.supervision.urls")),
    path("office/", include("yichuang.backoffice.urls")),
    path("performance/", include("yichuang.performance.urls")),
    path("hall/", include("yichuang.hall.urls")),
    path("output/", include("yichuang.output.urls")),
    path("licences/", include("yichuang.licences.urls")),
    path("fees/", include("yichuang.fees.urls")),
    path("knowledge/", include("yichuang.knowledge.urls")),
    path("consult/", include("yichuang.consultation.urls")),
    path("video/", include("yichuang.video.urls")),
    path("", include("yichuang.prefill.urls")),
    path("assist/", include("yichuang.assistance.urls")),
    path("", include("yichuang.portal.urls")),
    path("", include("yichuang.feedback.urls")),
]

# Blank forms and samples of the catalogue are public; nothing else under MEDIA_ROOT is served
# (applicants' uploads are only ever shown through views that check who is asking).
urlpatterns += [
    path(
        # settings.MEDIA_URL reads "/media/" (Django prefixes the script name); a route has no leading "/".
        f"{settings.MEDIA_URL.lstrip('/')}catalogue/<path:path>",
        serve,
        {"document_root": settings.MEDIA_ROOT / "catalogue"},
    )
]
