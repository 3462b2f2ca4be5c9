"""The audit log: every change of state and every view of a person's full data lands here."""

from django.db import models

from . import rows
from .masking import mask_text
from .models import AuditEvent


def record(actor, action: str, obj: models.Model | None = None, summary: str = "", request=None, **detail):
    """Append one audit event. Called from services inside their transaction.

    `summary` and `detail` must not carry personal data in clear; the summary is masked anyway.
    """
    event = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=mask_text(summary)[:255],
        detail=detail,
        ip=client_ip(request) if request is not None else None,
    )
    return rows.insert([event], returning=True)[0]


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
