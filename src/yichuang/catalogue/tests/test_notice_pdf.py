"""The one-time notice as a PDF (WeasyPrint, core/pdf.py): Chinese must come out in the Noto CJK fonts."""

import re
import shutil
import subprocess
import zlib

import pytest
from django.urls import reverse

from .guide_fixtures import build_small_catalogue

pytestmark = pytest.mark.django_db


def pdf_font_names(data: bytes) -> set[str]:
    """Names of the fonts a PDF uses, read from its objects, compressed object streams included."""
    chunks = [data]
    # Each stream decompressed from its start to the end of its zlib data (not up to the next "endstream":
    # compressed bytes may hold that word, and the stream after it would then be missed).
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            chunks.append(zlib.decompressobj().decompress(data[match.end() :]))
        except zlib.error:
            continue
    names = set()
    for chunk in chunks:
        for name in re.findall(rb"/(?:BaseFont|FontName)\s*/([A-Za-z0-9+#_.-]+)", chunk):
            names.add(name.decode("ascii", "replace").split("+", 1)[-1])
    return names


@pytest.fixture
def cat():
    return build_small_catalogue()


def test_bundle_notice_pdf_embeds_the_cjk_font(client, cat):
    response = client.get(reverse("catalogue:bundle-notice-pdf", args=["qiyekaiban"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename" in response["Content-Disposition"]
    data = response.content
    assert data.startswith(b"%PDF")
    fonts = pdf_font_names(data)
    assert any(re.search(r"Noto-?Sans-?CJK|Noto-?Serif-?CJK", name) for name in fonts), fonts


def test_matter_notice_pdf(client, cat):
    response = client.get(reverse("catalogue:matter-notice-pdf", args=["411624-ZR-004"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


@pytest.mark.skipif(not shutil.which("pdffonts") or not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_pdf_text_is_chinese_and_the_fonts_are_embedded(client, cat, tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(client.get(reverse("catalogue:bundle-notice-pdf", args=["qiyekaiban"])).content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts  # embedded
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("一次性告知书", "沈丘县政务服务中心", "申请人身份证明", "企业开办服务专区", "0394-5212345"):
        assert words in text, words
    # The print-only page furniture stays out: no print button, no site navigation.
    assert "打印" not in text and "工作人员登录" not in text
    assert text.count("申请人身份证明") == 1


def test_pdf_rendering_never_fetches_from_the_network():
    from yichuang.core.pdf import _fetcher

    fetcher = _fetcher()
    for url in ("http://example.com/x.css", "https://example.com/font.woff", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("file:///__static__/core/yichuang.css").read().startswith(b"/*")
