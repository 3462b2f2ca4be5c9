from django.shortcuts import render

from yichuang.clock.queries import calendar_warnings_today
from yichuang.organisation.models import Site

from . import surfaces


def start(request):
    site = Site.objects.filter(is_default=True).first() or Site.objects.first()
    context = {"site": site, "surfaces": surfaces.collect(request), "calendar_warnings": calendar_warnings_today()}
    return render(request, "core/start.html", context)
