"""WeChat-style template messages (微信模板消息), through an adapter (docs/channels.md).

An adapter is any class with one method (the interface `TemplateAdapter`):

    send_template(openid, template_id, data, idempotency_key) -> None

which returns when the platform took the message and raises DeliveryError otherwise (the worker retries).
NOTIFICATION_WECHAT_ADAPTER names the class (default: `HttpTemplateAdapter`), so a hall whose platform speaks
another dialect (a provincial 政务公众号 relay, an enterprise WeChat bridge) writes one class and changes one
setting.

`HttpTemplateAdapter` speaks the official-account dialect:

- the access token: GET `NOTIFICATION_WECHAT_TOKEN_URL?grant_type=client_credential&appid=…&secret=…` →
  `{"access_token": "…", "expires_in": 7200}`; kept in Django's cache (shared by every worker) until shortly
  before it expires, and fetched again at once when the platform answers that it is invalid or expired
  (errcode 40001, 40014, 42001);
- the message: POST `NOTIFICATION_WECHAT_SEND_URL?access_token=…` with
  `{"touser": openid, "template_id": …, "data": {…}, "client_msg_id": idempotency_key}` →
  `{"errcode": 0, "errmsg": "ok", "msgid": …}`; any other errcode is a DeliveryError.
"""

import abc
import json
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

from .backends import DEFAULT_TIMEOUT, DeliveryError, no_redirects_opener, post

DEFAULT_ADAPTER = "yichuang.notifications.wechat.HttpTemplateAdapter"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, token expired


class TemplateAdapter(abc.ABC):
    """Sends one template message to one openid, or raises DeliveryError."""

    @abc.abstractmethod
    def send_template(self, openid: str, template_id: str, data: dict, idempotency_key: str) -> None: ...


def template_for(kind: str) -> str:
    """The template id for a message kind: NOTIFICATION_WECHAT_TEMPLATES[kind], else its "*" entry, else ""."""
    templates = getattr(settings, "NOTIFICATION_WECHAT_TEMPLATES", {}) or {}
    return templates.get(kind) or templates.get("*") or ""


def get_adapter() -> TemplateAdapter:
    return import_string(getattr(settings, "NOTIFICATION_WECHAT_ADAPTER", "") or DEFAULT_ADAPTER)()


def _json(content: bytes) -> dict:
    try:
        answer = json.loads(content or b"{}")
    except ValueError:
        raise DeliveryError("WeChat answered something that is not JSON") from None
    if not isinstance(answer, dict):
        raise DeliveryError("WeChat answered something that is not a JSON object")
    return answer


class HttpTemplateAdapter(TemplateAdapter):
    def __init__(self, token_url=None, send_url=None, app_id=None, app_secret=None, timeout=None):
        self.token_url = token_url or getattr(settings, "NOTIFICATION_WECHAT_TOKEN_URL", "")
        self.send_url = send_url or getattr(settings, "NOTIFICATION_WECHAT_SEND_URL", "")
        self.app_id = app_id or getattr(settings, "NOTIFICATION_WECHAT_APP_ID", "")
        self.app_secret = app_secret or getattr(settings, "NOTIFICATION_WECHAT_APP_SECRET", "")
        self.timeout = float(timeout or getattr(settings, "NOTIFICATION_WECHAT_TIMEOUT", DEFAULT_TIMEOUT))
        self._opener = no_redirects_opener()

    @property
    def cache_key(self) -> str:
        return f"notifications:wechat-token:{self.app_id}"

    def token(self, fresh: bool = False) -> str:
        """The access token: the cached one while it is valid, else a new one from the token URL."""
        if not fresh:
            cached = cache.get(self.cache_key)
            if cached and cached.get("expires_at", 0) > time.time():
                return cached["token"]
        if not self.token_url.startswith(("http://", "https://")):
            raise DeliveryError("NOTIFICATION_WECHAT_TOKEN_URL is not set to an http(s) address")
        query = urlencode({"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
        separator = "&" if "?" in self.token_url else "?"
        answer = _json(post(self._opener, f"{self.token_url}{separator}{query}", None, {}, self.timeout))
        token = answer.get("access_token")
        if not token:
            raise DeliveryError(f"WeChat gave no access token (errcode {answer.get('errcode')})")
        lifetime = max(int(answer.get("expires_in") or 7200), 1)
        # Renewed a little before it expires (5 minutes, or a tenth of a short lifetime).
        expires_at = time.time() + lifetime - min(300, lifetime / 10)
        cache.set(self.cache_key, {"token": token, "expires_at": expires_at}, timeout=lifetime)
        return token

    def send_template(self, openid: str, template_id: str, data: dict, idempotency_key: str) -> None:
        if not self.send_url.startswith(("http://", "https://")):
            raise DeliveryError("NOTIFICATION_WECHAT_SEND_URL is not set to an http(s) address")
        body = json.dumps(
            {"touser": openid, "template_id": template_id, "data": data, "client_msg_id": idempotency_key},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "yichuang-notifications/1"}
        fresh = False
        for _try in range(2):  # once more with a new token when the platform says the token is no good
            separator = "&" if "?" in self.send_url else "?"
            url = f"{self.send_url}{separator}{urlencode({'access_token': self.token(fresh=fresh)})}"
            answer = _json(post(self._opener, url, body, headers, self.timeout))
            errcode = int(answer.get("errcode") or 0)
            if errcode == 0:
                return
            if errcode in TOKEN_ERRORS and not fresh:
                cache.delete(self.cache_key)
                fresh = True
                continue
            raise DeliveryError(f"WeChat refused the template message (errcode {errcode})")
        raise DeliveryError("WeChat refused the access token twice")
