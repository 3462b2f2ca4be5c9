"""The public verification page (no sign-in, no personal data) and the licence's printable document for staff."""

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from yichuang.core import audit
from yichuang.core.links import absolute
from yichuang.core.pdf import pdf_response

from . import queries
from .models import Licence


def verify_url(licence: Licence, request=None) -> str:
    query = urlencode({"number": licence.number, "code": licence.verify_code})
    return absolute(f"{reverse('licences:verify')}?{query}", request)


@never_cache
def verify(request):
    number = request.GET.get("number", "").strip()
    code = request.GET.get("code", "").strip()
    asked = bool(number or code)
    result = queries.verify(number, code) if asked else None
    return render(
        request,
        "licences/verify.html",
        {"number": number[:64], "code": code[:16], "asked": asked, "result": result},
        status=200,
    )


def _document(request, pk: int) -> tuple[Licence, dict]:
    licence = get_object_or_404(Licence.objects.select_related("type", "case"), pk=pk)
    if not queries.may_see_full(request.user, licence):
        raise PermissionDenied(_("您无权查看该电子证照。"))
    audit.record(request.user, "licences.view", licence, summary=licence.identifier, request=request)
    url = verify_url(licence, request)
    return licence, {
        "licence": licence,
        "state": queries.state_on(licence, timezone.localdate()),
        "verify_url": url,
        "qr": segno.make(url, error="m").svg_inline(scale=4, border=2),
    }


@login_required
@never_cache
def document(request, pk: int):
    _licence, context = _document(request, pk)
    return render(request, "licences/document.html", context)


@login_required
@never_cache
def document_pdf(request, pk: int):
    """The same document as a PDF file (WeasyPrint, from the same template): to hand over or send on."""
    licence, context = _document(request, pk)
    return pdf_response("licences/document.html", context, f"{licence.type.name}-{licence.number}.pdf", request)
