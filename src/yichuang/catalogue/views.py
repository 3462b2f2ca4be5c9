"""The public service guide (办事指南): search, browsing, matter and bundle pages, one-time notices.

Every page is public and read-only; all reads go through queries.py. An unknown code is a 404, a query the
search cannot use gives an empty result: never a 500.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core.pdf import pdf_response
from yichuang.knowledge import queries as knowledge_queries

from . import queries, search
from .models import Bundle, Matter

RESULT_LIMIT = 50


def guide(request):
    query = search.normalise_query(request.GET.get("q"))
    context = {"query": query}
    if query:
        understood = search.understood(query)  # once for the matters and the bundles
        results, count = queries.search_page(understood, RESULT_LIMIT)
        context.update(
            results=results,
            result_count=count,
            result_limit=RESULT_LIMIT,
            bundle_results=queries.matching_bundles(understood),
        )
    else:
        context.update(
            zones=[z for z in queries.zones() if z.matter_count],
            departments=[d for d in queries.departments() if d.matter_count],
            life_events=[e for e in queries.life_events() if e.matter_count or e.bundle_count],
            bundles=queries.bundles(),
        )
    return render(request, "catalogue/guide.html", context)


def zone(request, code):
    zone = get_object_or_404(queries.zones(), code=code)
    return _listing(request, zone.name, _("服务区"), queries.matter_summaries(zone=code), zone=zone, site=zone.site)


def department(request, code):
    department = get_object_or_404(queries.departments(), code=code)
    return _listing(
        request, department.name, _("实施部门"), queries.matter_summaries(department=code), department=department
    )


def life_event(request, code):
    event = get_object_or_404(queries.life_events(), code=code)
    return _listing(
        request,
        event.name,
        _("主题"),
        queries.matter_summaries(life_event=code),
        life_event=event,
        bundles=queries.bundles().filter(life_event=event),
    )


def _listing(request, title, kind, matter_qs, **extra):
    return render(request, "catalogue/listing.html", {"title": title, "kind": kind, "matters": matter_qs, **extra})


def matter(request, code):
    matter = _matter_or_404(code)
    return render(
        request,
        "catalogue/matter.html",
        {
            "matter": matter,
            "requirements": list(matter.requirements.all()),
            "places": queries.where_to_apply(matter),
            "bundles": queries.bundles().filter(items__matter=matter).distinct(),
            "articles": knowledge_queries.articles_for_matters([matter], public_only=True),
        },
    )


def bundle_list(request):
    return render(request, "catalogue/bundle_list.html", {"bundles": queries.bundles()})


def bundle(request, code):
    bundle = _bundle_or_404(code)
    items = list(bundle.items.all())
    matter_list = [item.matter for item in items]
    return render(
        request,
        "catalogue/bundle.html",
        {
            "bundle": bundle,
            "matters": matter_list,
            "lines": queries.merged_materials(matter_list),
            "places": [queries.bundle_place(bundle)],
            "not_taken_in": [m for m in matter_list if not m.can_be_taken_in],
        },
    )


def matter_notice(request, code):
    return render(request, "catalogue/notice.html", _matter_notice_context(code))


def matter_notice_pdf(request, code):
    context = _matter_notice_context(code)
    return pdf_response("catalogue/notice.html", context, f"一次性告知书-{code}.pdf", request=request)


def bundle_notice(request, code):
    return render(request, "catalogue/notice.html", _bundle_notice_context(code))


def bundle_notice_pdf(request, code):
    context = _bundle_notice_context(code)
    return pdf_response("catalogue/notice.html", context, f"一次性告知书-{code}.pdf", request=request)


def windows(request):
    return render(request, "catalogue/windows.html", {"scopes": queries.window_scopes()})


def _matter_or_404(code: str) -> Matter:
    try:
        return queries.matter_detail(code)
    except Matter.DoesNotExist:
        raise Http404(_("没有这个事项。")) from None


def _bundle_or_404(code: str) -> Bundle:
    try:
        return queries.bundle_detail(code)
    except Bundle.DoesNotExist:
        raise Http404(_("没有这个一件事。")) from None


def _notice_common() -> dict:
    return {"site": queries.default_site(), "today": timezone.localdate()}


def _matter_notice_context(code: str) -> dict:
    matter = _matter_or_404(code)
    if matter.status == Matter.Status.CANCELLED:
        raise Http404(_("该事项已取消，不再出具告知书。"))
    return {
        **_notice_common(),
        "subject": matter,
        "matter": matter,
        "matters": [matter],
        "lines": queries.merged_materials([matter]),
        "places": queries.where_to_apply(matter),
        "not_taken_in": [] if matter.can_be_taken_in else [matter],
        "pdf_url_name": "catalogue:matter-notice-pdf",
        "page_url_name": "catalogue:matter",
    }


def _bundle_notice_context(code: str) -> dict:
    bundle = _bundle_or_404(code)
    matter_list = [item.matter for item in bundle.items.all()]
    return {
        **_notice_common(),
        "subject": bundle,
        "bundle": bundle,
        "matters": matter_list,
        "lines": queries.merged_materials(matter_list),
        "places": [queries.bundle_place(bundle)],
        "not_taken_in": [m for m in matter_list if not m.can_be_taken_in],
        "pdf_url_name": "catalogue:bundle-notice-pdf",
        "page_url_name": "catalogue:bundle",
    }
