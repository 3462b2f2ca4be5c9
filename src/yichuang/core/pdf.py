"""HTML → PDF with WeasyPrint, from the same template as the print view.

Fonts come from the machine (fonts-noto-cjk: the stylesheet names "Noto Sans CJK SC" and "Noto Serif CJK SC"),
and static files are read from disk through the staticfiles finders: rendering never makes a network request.
"""

import logging
import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

STATIC_BASE = "file:///__static__/"

# WeasyPrint logs every layout step at INFO; a server log needs only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _fetcher():
    """A WeasyPrint URL fetcher that serves static files from disk and data: URLs, and refuses the rest."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith(STATIC_BASE):
                name = unquote(urlsplit(url[len(STATIC_BASE) :]).path)
                path = finders.find(name)
                if path:
                    with open(path, "rb") as fh:
                        data = fh.read()
                    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, data, {"Content-Type": mime})
                raise ValueError(f"no static file {name!r}")
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"refusing to fetch {url!r} while rendering a PDF")

    return StaticOnlyFetcher(allowed_protocols=("file", "data"))


def _static_prefix() -> str:
    """The path under which {% static %} puts files: "/static/" for STATIC_URL "static/" or "/static/"."""
    return "/" + settings.STATIC_URL.lstrip("/")


def render_pdf_bytes(template: str, context: dict, request=None) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "pdf": True}, request=request)
    # Static URLs like /static/core/yichuang.css become file:///__static__/core/yichuang.css, read from disk.
    html = html.replace(f'"{_static_prefix()}', f'"{STATIC_BASE}')
    return HTML(string=html, base_url=STATIC_BASE, url_fetcher=_fetcher()).write_pdf()


def pdf_response(template: str, context: dict, filename: str, request=None) -> HttpResponse:
    response = HttpResponse(render_pdf_bytes(template, context, request), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response
