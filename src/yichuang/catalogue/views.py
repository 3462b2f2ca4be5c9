from django.shortcuts import render

from . import queries


def guide(request):
    query = request.GET.get("q", "").strip()
    return render(request, "catalogue/guide.html", {"query": query, "matters": queries.matters(query)[:50]})
