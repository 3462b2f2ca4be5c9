"""For the tests of forms that create something: the one-time token a page renders (yichuang.core.once)."""

import re

from yichuang.core import once

_TOKEN = re.compile(r'name="' + once.FIELD + r'" value="([^"]+)"')


def tokens_in(page) -> list[str]:
    html = page.content.decode() if hasattr(page, "content") else page
    return _TOKEN.findall(html)


def token_in(page) -> str:
    found = tokens_in(page)
    assert found, "the form carries no one-time token"
    return found[0]


def repeated(client, response) -> str:
    """The page a repeat was sent to, which must say that the form was sent before."""
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"]).content.decode()
    assert "此表单已提交过" in page, page[:3000]
    return page
