"""Sign-ins and sign-outs go to the audit log (failed attempts too, without the password)."""

from . import audit


def logged_in(sender, request, user, **kwargs):
    audit.record(user, "auth.login", user, summary=user.username, request=request)


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user, "auth.logout", user, summary=user.username, request=request)


def login_failed(sender, credentials, request=None, **kwargs):
    audit.record(None, "auth.login_failed", None, summary=str(credentials.get("username", ""))[:150], request=request)
