"""Errors people can read (Chinese pages with the reason and a way back; JSON under /api/ for every status, 413
and 500 included; a 403 logged as one line) and the guards against hostile input: NUL bytes, oversized bodies."""

import io
import json
import logging
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from yichuang.organisation.tests.factories import SiteFactory, UserFactory, WindowFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    return response.content.decode()


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), (response["Content-Type"], response.content[:300])
    return response.json()


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- pages ---------------------------------------------------------------------------------------------


def test_404_page_is_chinese_with_a_way_back(client):
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/guide/")
    assert response.status_code == 404
    html = _page(response)
    assert "页面不存在" in html and 'href="/"' in html and "返回首页" in html
    assert 'href="http://testserver/guide/">返回上一页' in html
    assert "Not Found" not in html
    # A way back only to this site.
    html = _page(client.get("/no-such-page/", HTTP_REFERER="https://evil.example/"))
    assert "evil.example" not in html and "返回上一页" not in html


def test_404_page_shows_the_reason_an_app_gave(client):
    client.force_login(UserFactory(window_clerk=True))
    html = _page(client.get("/desk/intake/411624-20990101-000001/"))
    assert "没有这个受理编号" in html


def test_403_page_shows_the_reason_and_a_way_back(client):
    client.force_login(UserFactory())  # no role
    response = client.get("/notifications/submission/S1/")
    assert response.status_code == 403
    html = _page(response)
    assert "无权访问" in html and "您没有查看消息的岗位。" in html and 'href="/"' in html


def test_a_csrf_failure_is_a_chinese_403(client):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = _page(response)
    assert "表单已过期" in html and "CSRF verification failed" not in html


def test_500_page_is_chinese_and_self_contained(client, monkeypatch):
    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setattr("yichuang.core.views.calendar_warnings_today", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    html = _page(response)
    assert "服务器出错" in html and 'href="/"' in html and "the database went away" not in html


def test_500_template_renders_without_a_request_or_database():
    from django.template.loader import get_template

    html = get_template("500.html").render({})
    assert "服务器出错" in html and "返回首页" in html


def test_413_page_for_people_before_the_body_is_read(client, settings):
    settings.MAX_REQUEST_BYTES = 1000
    response = client.post("/accounts/login/", {"username": "x" * 2000, "password": "y"})
    assert response.status_code == 413
    html = _page(response)
    assert "提交的内容过大" in html and "返回首页" in html


# --- the API: JSON with a Chinese detail for every error --------------------------------------------------


def test_api_unknown_path_and_method_are_chinese_json(client):
    body = _json(client.get("/api/no/such/thing"))
    assert _has_chinese(body["detail"])
    response = client.delete("/api/windows")
    assert response.status_code == 405 and _has_chinese(_json(response)["detail"])


def test_api_401_is_chinese_json(client):
    response = client.get("/api/me")
    assert response.status_code == 401 and _has_chinese(_json(response)["detail"])


def test_api_422_from_the_schema_is_chinese_with_the_field(client):
    response = client.get("/api/matters?limit=abc")
    assert response.status_code == 422
    body = _json(response)
    assert _has_chinese(body["detail"]) and body["errors"][0]["field"] == "limit"


def test_api_500_is_chinese_json(monkeypatch):
    class Broken:
        class objects:  # noqa: N801 - stands in for a model's manager
            @staticmethod
            def select_related(*args):
                raise RuntimeError("boom")

    monkeypatch.setattr("yichuang.queue.api.Window", Broken)
    response = Client(raise_request_exception=False).get("/api/windows")
    assert response.status_code == 500
    body = _json(response)
    assert _has_chinese(body["detail"]) and "boom" not in body["detail"]


def test_api_413_is_chinese_json(client, settings):
    settings.MAX_REQUEST_BYTES = 1000
    response = client.post("/api/tickets", {"x": "y" * 2000}, content_type="application/json")
    assert response.status_code == 413
    assert _has_chinese(_json(response)["detail"])


def test_a_body_over_djangos_memory_limit_is_413_json(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post("/api/tickets", {"x": "y" * 2000}, content_type="application/json")
    assert response.status_code == 413 and _has_chinese(_json(response)["detail"])


# --- request size: refused from the header, and a stream without a length cut off -------------------------


def test_a_declared_length_over_the_cap_is_refused_without_reading(settings):
    settings.MAX_REQUEST_BYTES = 1000

    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body must not be read")

    request = RequestFactory().generic("POST", "/api/tickets", b"", content_type="application/json")
    request.META["CONTENT_LENGTH"] = str(300 * 1024 * 1024)
    request.META["wsgi.input"] = Unreadable()
    from yichuang.core import middleware

    response = middleware.RequestLimits(lambda r: pytest.fail("the view must not run"))(request)
    assert response.status_code == 413


def test_a_body_without_a_length_is_cut_off_at_the_cap(settings):
    from yichuang.core import middleware

    settings.MAX_REQUEST_BYTES = 1000
    seen = {}

    def view(request):
        seen["body"] = request.body
        return None

    big = RequestFactory().generic("POST", "/api/tickets", b"", content_type="application/json")
    big.META.pop("CONTENT_LENGTH", None)
    big.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    big.META["wsgi.input"] = io.BytesIO(b"x" * 5000)
    from django.core.handlers.exception import convert_exception_to_response

    response = middleware.RequestLimits(convert_exception_to_response(view))(big)
    assert response.status_code == 413 and "body" not in seen

    small = RequestFactory().generic("POST", "/api/tickets", b"", content_type="application/json")
    small.META.pop("CONTENT_LENGTH", None)
    small.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    small.META["wsgi.input"] = io.BytesIO(b'{"a": 1}')
    middleware.RequestLimits(view)(small)
    assert seen["body"] == b'{"a": 1}'


def test_the_default_cap_is_a_little_above_the_largest_upload(settings):
    from yichuang.intake.uploads import max_upload_bytes

    assert max_upload_bytes() < settings.MAX_REQUEST_BYTES <= max_upload_bytes() + 16 * 1024 * 1024


# --- NUL bytes: never reach the database ----------------------------------------------------------------


def test_nul_in_an_api_query_parameter_is_422_with_the_field(client):
    site = SiteFactory(code="s1")
    WindowFactory(zone=ZoneFactory(site=site))
    response = client.get("/api/windows?site=%00")
    assert response.status_code == 422
    body = _json(response)
    assert body["errors"] == [{"field": "site", "reason": body["errors"][0]["reason"]}]
    assert _has_chinese(body["detail"])
    assert client.get("/api/windows?site=s1").status_code == 200


def test_nul_in_an_api_json_body_is_422_with_the_dotted_field(client):
    client.force_login(UserFactory(lead=True))
    data = {"officer": "a", "nested": {"list": ["ok", "b\x00"]}}
    response = client.post("/api/office/cases/X/assign", data, content_type="application/json")
    assert response.status_code == 422
    assert _json(response)["errors"][0]["field"] == "nested.list[1]"
    # A NUL as a key counts too.
    response = client.post("/api/office/cases/X/assign", {"a\x00": 1}, content_type="application/json")
    assert response.status_code == 422


def test_nul_in_an_api_form_field_is_422_but_not_in_a_files_content(client):
    client.force_login(UserFactory(officer=True))
    upload = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    url = "/api/office/cases/X/result/document"
    response = client.post(url, {"certificate_number": "No\x001", "document": upload})
    assert response.status_code == 422 and _json(response)["errors"][0]["field"] == "certificate_number"
    upload = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    response = client.post(url, {"certificate_number": "No1", "document": upload})
    assert response.status_code == 404  # no such case: the file's NUL bytes were not refused


def test_nul_in_a_path_names_nothing(client):
    client.force_login(UserFactory(lead=True))
    response = client.post("/api/office/cases/A%00B/assign", {"officer": "x"}, content_type="application/json")
    assert response.status_code == 404
    client.force_login(UserFactory(window_clerk=True))
    assert client.get("/desk/intake/411624-%00/").status_code == 404


def test_nul_in_a_cookie_is_ignored(client):
    """A quoted cookie carries "\\000" as a NUL (Django unquotes it): the session lookup must not see it."""
    assert client.get("/", HTTP_COOKIE='sessionid="abcdefgh\\000ijkl"').status_code == 200


# --- logging: a 403 is one line --------------------------------------------------------------------------


def test_a_403_is_logged_as_one_line_with_its_reason(client):
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        client.force_login(UserFactory())
        assert client.get("/notifications/submission/S1/").status_code == 403
    finally:
        handler.setStream(old)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "/notifications/submission/S1/" in lines[0] and "您没有查看消息的岗位。" in lines[0]
    assert "Traceback" not in stream.getvalue()


def test_a_500_still_logs_its_traceback(monkeypatch):
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")
    monkeypatch.setattr("yichuang.core.views.calendar_warnings_today", lambda: 1 / 0)
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        assert Client(raise_request_exception=False).get("/").status_code == 500
    finally:
        handler.setStream(old)
    assert "Traceback" in stream.getvalue() and "ZeroDivisionError" in stream.getvalue()


# --- HSTS and password spraying ---------------------------------------------------------------------------


def _setting_in_fresh_process(name: str, **env) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print(repr(settings.{name}))"
    import os

    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "yichuang.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_hsts_is_on_behind_tls_and_off_on_plain_http():
    assert _setting_in_fresh_process("SECURE_HSTS_SECONDS", SECURE_COOKIES="1") == "31536000"
    assert _setting_in_fresh_process("SECURE_HSTS_SECONDS", SECURE_COOKIES="") == "0"
    assert _setting_in_fresh_process("SECURE_HSTS_SECONDS", SECURE_COOKIES="1", HSTS_SECONDS="600") == "600"


def test_hsts_header_on_secure_responses(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_many_usernames_from_one_address_are_locked_out(client, settings):
    """Password spraying: one wrong password for each of many accounts, from one address."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 8
    users = [UserFactory(window_clerk=True) for _ in range(9)]
    for user in users[:8]:
        response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    # The address is locked now: even the right password of an untouched account is refused.
    response = client.post("/accounts/login/", {"username": users[8].username, "password": "pass-word-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.9")
    response = other.post("/accounts/login/", {"username": users[8].username, "password": "pass-word-123"})
    assert response.status_code == 302


def test_a_few_typos_at_one_address_do_not_lock_out_the_hall(client, settings):
    """Clerks share the hall's address: one clerk's typos must not lock out the others."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 20
    clumsy, other = UserFactory(window_clerk=True), UserFactory(window_clerk=True)
    for _ in range(5):
        client.post("/accounts/login/", {"username": clumsy.username, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": clumsy.username, "password": "pass-word-123"})
    assert response.status_code == 429
    response = client.post("/accounts/login/", {"username": other.username, "password": "pass-word-123"})
    assert response.status_code == 302


def test_a_locked_out_sign_in_is_a_chinese_429_page_with_the_reason_and_a_way_back(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = 0.25
    user = UserFactory(window_clerk=True)
    for _ in range(2):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "pass-word-123"},
        HTTP_REFERER="http://testserver/accounts/login/",
    )
    assert response.status_code == 429
    html = _page(response)
    assert "操作过于频繁" in html and "登录失败次数过多" in html and "15 分钟后再试" in html and "如忘记密码" in html
    assert 'href="http://testserver/accounts/login/">返回上一页' in html and "返回首页" in html
    assert "429" in html and response["Retry-After"] == "900"
    assert "Account locked" not in html


def test_the_429_page_and_json_from_the_one_helper(rf):
    from yichuang.core.errors import too_many_requests

    page = too_many_requests(rf.get("/progress/"), "查询过于频繁，请 30 秒后再试。", wait=29.2)
    assert page.status_code == 429 and page["Retry-After"] == "30"
    html = _page(page)
    assert "查询过于频繁，请 30 秒后再试。" in html and "返回首页" in html
    answer = too_many_requests(rf.get("/api/tickets"))
    assert answer.status_code == 429 and answer["Content-Type"].startswith("application/json")
    assert _has_chinese(json.loads(answer.content)["detail"])


# --- page numbers: bounded in the one helper (core.pagination) ---------------------------------------------


@pytest.mark.parametrize("url", ["/api/office/cases", "/api/office/alerts", "/api/supervision/orders"])
def test_a_page_number_beyond_any_list_is_422_never_500(url):
    response = Client(raise_request_exception=False)
    response.force_login(UserFactory(lead=True) if "office" in url else UserFactory(supervisor=True))
    answer = response.get(url + "?page=999999999999999999")
    assert answer.status_code == 422, answer.content[:300]
    assert _json(answer)["errors"][0]["field"] == "page"
    assert response.get(url + "?page=100000").status_code == 200  # the last page allowed: empty, but an answer


# --- ids in a path: bounded in one type (core.schemas.RowId) -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/windows/{id}/call",
        "/api/tickets/{id}/serve",
        "/api/tickets/{id}/transfer",
        "/api/office/alerts/{id}/read",
        "/api/office/handoffs/{id}/collect",
        "/api/office/cases/X/extensions/{id}/decision",
        "/api/rectifications/{id}/resolve",
        "/api/evaluations/{id}/appeals",
        "/api/appeals/{id}/review",
    ],
)
def test_an_id_beyond_any_table_is_422_never_500(url):
    """Found by the API fuzzing run: SQLite cannot bind an integer beyond 64 bits (OverflowError)."""
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    answer = client.post(url.format(id=2**63), {}, content_type="application/json")
    assert answer.status_code == 422, answer.content[:300]
    body = _json(answer)
    assert body["errors"][0]["field"].endswith("_id") or body["errors"][0]["field"] == "pk"
    assert _has_chinese(body["detail"])
    # The largest id a table can hold is still looked up: nothing there.
    assert client.post(url.format(id=2**63 - 1), {}, content_type="application/json").status_code != 500
