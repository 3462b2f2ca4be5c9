"""The start page lists every surface of the installation.

Each app's AppConfig may define `surfaces(self, request)` returning a dict
{"title": str, "order": int, "links": [{"label", "url", "note"?}]}; the start page collects them, so a
new app shows up there without touching this one. Optional keys: "intro" (a sentence under the title),
"wide" (a section of its own below the cards, a table of label and note, for long lists) and "key" (its
`data-surface` there).
"""

from django.apps import apps


def collect(request) -> list[dict]:
    groups = []
    for config in apps.get_app_configs():
        provider = getattr(config, "surfaces", None)
        if provider is None:
            continue
        group = provider(request)
        if group and group.get("links"):
            groups.append(group)
    return sorted(groups, key=lambda g: g.get("order", 100))
