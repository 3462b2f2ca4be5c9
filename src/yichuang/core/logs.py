"""Logging filters of the console handler (settings.LOGGING)."""

import logging


class OneLineClientErrors(logging.Filter):
    """A refused request (4xx) is one log line with its reason, never a traceback.

    Django logs PermissionDenied, a refused upload or a body too large (django.request, django.security.*) with the
    exception attached, so that each 403 printed a whole traceback: noise that hid the 500s. The reason moves into the
    line; a 5xx keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and isinstance(status, int) and 400 <= status < 500:
            exc = record.exc_info[1]
            reason = str(exc) if exc is not None else ""
            message = record.getMessage()
            if reason and reason not in message:
                message = f"{message} — {reason}"
            record.msg, record.args = " ".join(message.splitlines()), None
            record.exc_info = record.exc_text = None
        return True
