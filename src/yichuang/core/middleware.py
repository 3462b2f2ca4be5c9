"""Guards every request passes before anything reads it (first after SecurityMiddleware):

- Size: a body declared larger than MAX_REQUEST_BYTES is answered 413 at once, before a byte of it is read (Django
  would otherwise spool a 300 MB upload to disk before the upload check refused it); a body sent without a length
  (chunked) is read through a stream that stops at the same cap — past it, RequestTooLarge, answered 413.
- NUL bytes: PostgreSQL refuses them in text, so any that reached a query was a 500. A NUL in the path names
  nothing (it becomes U+FFFD, so the app's own "not found" answers); a cookie holding one is dropped (a quoted
  cookie can carry "\\000", and the session lookup would fail on every page). Query and body fields of the API
  are refused with a 422 at the field by the API's parser (yichuang.api.HallParser); pages check their own fields.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from . import errors

NUL = "\x00"


class RequestTooLarge(RequestDataTooBig):
    """A body past MAX_REQUEST_BYTES. A RequestDataTooBig, so that wherever it is raised (a middleware reading POST,
    a view reading the body) Django hands it to handler400, which answers 413 (core.errors.bad_request)."""


class CappedStream:
    """The request body as sent without a Content-Length: read on demand, refused past `limit` bytes."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.read_so_far = stream, limit, 0

    def _count(self, data: bytes) -> bytes:
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise RequestTooLarge(f"request body over {self.limit} bytes")
        return data

    def read(self, size: int | None = -1) -> bytes:
        room = self.limit - self.read_so_far + 1  # one byte more than allowed tells "too large" from "exactly"
        size = room if size is None or size < 0 else min(size, room)
        return self._count(self.stream.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        room = self.limit - self.read_so_far + 1
        size = room if size is None or size < 0 else min(size, room)
        return self._count(self.stream.readline(size))

    def __iter__(self):
        while line := self.readline():
            yield line

    def seekable(self) -> bool:
        return False

    def close(self):
        pass


def max_request_bytes() -> int:
    return int(settings.MAX_REQUEST_BYTES)


class RequestLimits:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = max_request_bytes()
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # Django reads no body for a length it cannot parse
            if too_large:
                return errors.too_large(request)
        elif "wsgi.input" in request.META and request.META.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            request._stream = CappedStream(request.META["wsgi.input"], limit)

        if NUL in request.path_info:
            request.path_info = request.path_info.replace(NUL, "\ufffd")
            request.path = request.path.replace(NUL, "\ufffd")
        if any(NUL in key or NUL in value for key, value in request.COOKIES.items()):
            request.COOKIES = {k: v for k, v in request.COOKIES.items() if NUL not in k and NUL not in v}
        return self.get_response(request)
