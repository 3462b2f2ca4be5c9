"""The public situation guide: /situations/ lists the guides, /situations/<code>/ asks and shows the result (live
in the page; without script the form is sent and the server answers)."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import queries
from .models import Guide


def index(request):
    return render(request, "situation/index.html", {"guides": list(queries.published_guides())})


def guide_context(version, answers: dict, *, data_id: str = "situation-data") -> dict:
    """What `situation/_guide.html` needs, for any page that embeds the guide (kiosk, online hall, intake desk)."""
    outcome = queries.outcome(version, answers)
    by_code = {m.code: m for m in version.guide.scope()}
    return {
        "situation_version": version,
        "situation_data": queries.page_data(version),
        "situation_data_id": data_id,
        "situation_questions": queries.form_questions(version, outcome),
        "situation_outcome": outcome,
        "situation_chosen": [by_code[c] for c in outcome.matters],
        "situation_missing": len(outcome.asked) - len(outcome.answers),
    }


@never_cache
def guide(request, code: str):
    found = Guide.objects.select_related("bundle__zone", "matter").filter(code=code[:40]).first()
    version = found.published() if found else None
    if version is None:
        raise Http404("没有这个情形引导。")
    context = guide_context(version, queries.answers_from(request.GET))
    return render(request, "situation/guide.html", {"guide": found, **context})
