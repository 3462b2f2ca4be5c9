"""The one hook of the exchange: what goes to the provincial platform, written in the caller's transaction.

    from yichuang.exchange import outbox
    outbox.publish(events)          # timeline events (TimelineEvent rows or the dicts intake inserts)
    outbox.publish_rating(evaluation)

Every service that writes a case's timeline event calls `publish` right after (intake at acceptance,
backoffice for each step, special procedure and result, output for the handover, clock for a moved deadline),
feedback calls `publish_rating` for each rating of a case. Which events go and into which of the province's
tables is decided here only (`TABLE_OF`); events of other kinds, and events of no case, are ignored.

With no target configured (EXCHANGE_TARGET empty) nothing is written: the exchange is off and costs the
services nothing (docs/exchange.md, "No target").
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import OutboxEvent

Table = OutboxEvent.Table

TABLE_OF: dict[str, str] = {
    # 受理: one row per case, when it reaches its department's worklist or its pickup batch
    "dispatched": Table.ACCEPT,
    "awaiting_pickup": Table.ACCEPT,
    # 办理过程
    "collected": Table.PROCESS,
    "claimed": Table.PROCESS,
    "assigned": Table.PROCESS,
    "correction_requested": Table.PROCESS,
    "correction_received": Table.PROCESS,
    "extension_requested": Table.PROCESS,
    "extension_approved": Table.PROCESS,
    "extension_rejected": Table.PROCESS,
    "result_returned": Table.PROCESS,
    "deadline_moved": Table.PROCESS,
    # 特别程序
    "special_started": Table.SPECIAL,
    "special_ended": Table.SPECIAL,
    # 办结
    "approved": Table.RESULT,
    "rejected": Table.RESULT,
    "terminated": Table.RESULT,
    "withdrawn": Table.RESULT,
    "result_recorded": Table.RESULT,
    # 送达
    "handed_over": Table.DELIVERY,
    "mailed": Table.DELIVERY,
    # 评价
    "rated": Table.EVALUATION,
}

# What of a timeline event's detail the province receives (the rest is internal: row ids, clock internals,
# staff user names, the signer of a pickup slip).
DETAIL_KEYS = frozenset(
    {
        "procedure_kind", "due", "items", "days", "reason", "reasons", "legal_basis", "certificate_number",
        "within_limit", "channel", "method", "partial", "withdrawn", "automatic", "correction_due", "materials",
        "department", "department_name", "scheduled_for", "outcome", "approved",
    }
)  # fmt: skip


def enabled() -> bool:
    return bool(getattr(settings, "EXCHANGE_TARGET", ""))


def _get(event, name):
    return event.get(name) if isinstance(event, dict) else getattr(event, name, None)


def _case_id(event):
    if isinstance(event, dict):
        return event.get("case_id") or getattr(event.get("case"), "pk", None)
    return event.case_id


@transaction.atomic(savepoint=False)  # nothing is caught: a failure here undoes the caller's change
def publish(events: Iterable) -> list[OutboxEvent]:
    """Write an outbox row for each event of a case whose kind the province receives."""
    if not enabled():
        return []
    wanted = [e for e in events if _get(e, "kind") in TABLE_OF and _case_id(e)]
    if not wanted:
        return []
    from .payloads import case_payloads

    cases = case_payloads({_case_id(e) for e in wanted}, with_materials={
        _case_id(e) for e in wanted if TABLE_OF[_get(e, "kind")] == Table.ACCEPT
    })  # fmt: skip
    rows = []
    for e in wanted:
        case_id, kind = _case_id(e), str(_get(e, "kind"))
        detail = {k: v for k, v in (_get(e, "detail") or {}).items() if k in DETAIL_KEYS}
        at = _get(e, "at") or timezone.now()
        rows.append(_row(case_id, cases[case_id], kind, at, detail))
    return OutboxEvent.objects.bulk_create(rows)


@transaction.atomic(savepoint=False)
def publish_rating(evaluation) -> OutboxEvent | None:
    """Write the outbox row of a rating of a case (ratings of a visit without a case are not sent)."""
    if not enabled() or not evaluation.case_id:
        return None
    from .payloads import case_payloads

    detail = {"level": evaluation.level, "channel": evaluation.channel, "comment": evaluation.comment}
    row = _row(evaluation.case_id, case_payloads({evaluation.case_id})[evaluation.case_id], "rated",
               evaluation.created_at, detail, evaluation_id=evaluation.pk)  # fmt: skip
    row.save()
    return row


def _row(case_id, case_data: dict, kind: str, at, detail: dict, evaluation_id=None) -> OutboxEvent:
    from .payloads import event_payload

    return OutboxEvent(
        stream=case_data["case_no"],
        table=TABLE_OF[kind],
        kind=kind,
        case_id=case_id,
        evaluation_id=evaluation_id,
        timeline_detail=detail,
        payload=event_payload(case_data, kind, at, detail),
        created_at=timezone.now(),
        next_attempt_at=timezone.now(),
    )
