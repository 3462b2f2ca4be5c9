"""Blank forms and samples of the catalogue are public files; nothing else under MEDIA_ROOT is served."""

from django.conf import settings
from django.core import checks
from django.urls import Resolver404, resolve
from django.views.static import serve

from yichuang import urls


def test_catalogue_forms_are_served_from_media_root():
    match = resolve(f"{settings.MEDIA_URL}catalogue/forms/申请表.pdf")
    assert match.func is serve
    assert match.kwargs == {"path": "forms/申请表.pdf", "document_root": settings.MEDIA_ROOT / "catalogue"}


def test_a_catalogue_form_downloads(client, tmp_path, monkeypatch):
    # The route's document root (fixed at import) pointed at a scratch directory for this test.
    [route] = [p for p in urls.urlpatterns if getattr(p, "callback", None) is serve]
    monkeypatch.setitem(route.default_args, "document_root", tmp_path)
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "blank.txt").write_text("空白表格")
    response = client.get(f"{settings.MEDIA_URL}catalogue/forms/blank.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode() == "空白表格"
    assert client.get(f"{settings.MEDIA_URL}catalogue/forms/none.txt").status_code == 404
    assert client.get(f"{settings.MEDIA_URL}catalogue/../secret_key").status_code in (400, 404)


def test_other_media_paths_are_not_routed():
    for path in ("/media/secret_key", "/media/intake/1.pdf"):
        try:
            match = resolve(path)
        except Resolver404:
            continue
        assert match.func is not serve, path


def test_no_url_check_warnings():
    assert [m.id for m in checks.run_checks(tags=[checks.Tags.urls])] == []
