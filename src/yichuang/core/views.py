from django.shortcuts import render

from yichuang.organisation.models import Site

from . import surfaces


def start(request):
    site = Site.objects.filter(is_default=True).first() or Site.objects.first()
    return render(request, "core/start.html", {"site": site, "surfaces": surfaces.collect(request)})
