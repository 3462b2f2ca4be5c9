"""HTML → PDF with WeasyPrint, from the same template as the print view.

Fonts come from the machine (fonts-noto-cjk), and static files are read from disk through the
staticfiles finders: rendering never makes a network request.
"""

import mimetypes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header


def _url_fetcher(url: str, *args, **kwargs):
    prefix = "file:///__static__/"
    if url.startswith(prefix):
        path = finders.find(url[len(prefix):])
        if path:
            with open(path, "rb") as fh:
                data = fh.read()
            return {"string": data, "mime_type": mimetypes.guess_type(path)[0] or "application/octet-stream"}
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url)
    raise ValueError(f"refusing to fetch {url!r} while rendering a PDF")


def render_pdf_bytes(template: str, context: dict, request=None) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "pdf": True}, request=request)
    # Static URLs like /static/core/print.css resolve against this base to file:///__static__/…
    base_url = "file:///__static__/" + "x"
    html = html.replace(f'"/{settings.STATIC_URL}', '"file:///__static__/')
    return HTML(string=html, base_url=base_url, url_fetcher=_url_fetcher).write_pdf()


def pdf_response(template: str, context: dict, filename: str, request=None) -> HttpResponse:
    response = HttpResponse(render_pdf_bytes(template, context, request), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response
