"""Absolute addresses for QR codes, printed documents (and their PDFs) and links in messages: one place decides
the scheme and host, so that every link of an installation points at the same server.

- `PUBLIC_URL`, when set, is the address of every link (the hall's public or Wi-Fi address behind a proxy).
- Otherwise a link follows the address the page was requested at: the request given, else the request this
  thread is handling (`RequestMiddleware` remembers it, so a message a service builds during a request needs
  no request argument).
- Without any request (the task worker's messages), `SERVING_URL`: the address the web server is served at;
  `yichuang demo --port N` sets it for the processes it starts.
"""

import contextvars

from django.conf import settings
from django.core.exceptions import DisallowedHost

_current_request = contextvars.ContextVar("yichuang_links_request", default=None)


def base_url(request=None) -> str:
    """Scheme and host (and port) of links, without a trailing slash."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/")
    request = request if request is not None else _current_request.get()
    if request is not None:
        try:
            return f"{request.scheme}://{request.get_host()}"
        except DisallowedHost:  # a host the server does not answer to is never put in a link
            pass
    return settings.SERVING_URL.rstrip("/")


def absolute(path: str, request=None) -> str:
    """The absolute address of `path` (as reverse() gives it, starting with "/")."""
    return base_url(request) + ("" if path.startswith("/") else "/") + path


class RequestMiddleware:
    """Remembers the request being handled, for links built deeper down (services writing messages)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
