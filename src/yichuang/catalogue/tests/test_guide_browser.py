"""The guide in a real browser: search, a bundle, its one-time notice and the print view.

Uses the demo catalogue (demo/data/catalogue.yaml through the catalogue importer) when it is there, else the
small factory-built catalogue of guide_fixtures.
"""

import re

import pytest
from playwright.sync_api import expect

from yichuang.catalogue.models import Bundle, MatterMaterial

from .guide_fixtures import build_small_catalogue

pytestmark = [pytest.mark.browser]


def load_catalogue() -> None:
    try:
        from yichuang.demo import hall
    except ImportError:
        hall = None
    if hall is not None and hall.CATALOGUE_PATH.exists() and hasattr(hall, "load_demo"):
        hall.load_demo()
    else:
        build_small_catalogue()


def expected_materials(bundle: Bundle) -> dict[str, set[str]]:
    """Material code → the codes of the bundle's matters that need it, straight from the database."""
    needed: dict[str, set[str]] = {}
    for req in MatterMaterial.objects.filter(matter__in=bundle.matters.all()).select_related("material", "matter"):
        needed.setdefault(req.material.code, set()).add(req.matter.code)
    return needed


def test_search_open_bundle_and_print_its_notice(transactional_db, page, screenshot):
    load_catalogue()
    bundle = Bundle.objects.filter(name__contains="企业开办").order_by("code").first()
    assert bundle is not None, "the catalogue has an 企业开办 bundle"
    needed = expected_materials(bundle)
    assert any(len(codes) > 1 for codes in needed.values()), "some material is shared by several matters"

    # Search for a two-character word.
    page.goto("/guide/")
    page.get_by_label("搜索事项").fill("登记")
    page.get_by_label("搜索事项").press("Enter")
    page.wait_for_url(re.compile(r"/guide/\?q="))
    expect(page.locator("#results-heading")).to_contain_text("找到")
    names = page.locator(".results .name").all_inner_texts()
    assert names and any("登记" in name for name in names)
    screenshot(page, "guide-search")

    # Open the 企业开办 bundle from the guide's home page.
    page.get_by_role("link", name="办事指南", exact=True).first.click()
    page.locator("section[aria-labelledby=bundles-heading]").get_by_role("link", name=bundle.name, exact=True).click()
    expect(page.locator("h1")).to_contain_text(bundle.name)
    rows = page.locator("table.merged tr[data-material]")
    expect(rows).to_have_count(len(needed))
    screenshot(page, "bundle", full_page=True)

    # Its one-time notice.
    page.get_by_role("link", name="一次性告知书", exact=True).click()
    page.wait_for_url(f"**/guide/bundles/{bundle.code}/notice/")
    expect(page.locator("#notice-title")).to_have_text("一次性告知书")
    screenshot(page, "bundle-notice", full_page=True)

    # Each material once, with every matter that needs it.
    codes = page.locator("tr[data-material]").evaluate_all("rows => rows.map(r => r.dataset.material)")
    assert sorted(codes) == sorted(needed), "each material exactly once"
    for material, matters in needed.items():
        text = page.locator(f'tr[data-material="{material}"]').inner_text()
        for matter in matters:
            assert matter in text, (material, matter)

    # The 打印 button prints (yichuang.js, no inline script), and the print view shows only the notice.
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.locator("article.notice")).to_be_visible()
    assert page.locator("article.notice tr[data-material]").count() == len(needed)
    page.emulate_media(media="screen")


def test_guide_on_a_phone_with_large_print_and_keyboard(transactional_db, page, screenshot):
    build_small_catalogue()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/guide/matters/411624-SAMR-001/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    expect(page.locator("table.materials th[scope=row]").first).to_be_visible()
    screenshot(page, "guide-phone", full_page=True)

    page.get_by_role("button", name="大字版").click()
    assert page.evaluate("document.documentElement.classList.contains('large-print')")
    page.reload()  # remembered on this device
    assert page.evaluate("document.documentElement.classList.contains('large-print')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The keyboard reaches the search box, and focus is visible.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/guide/")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "guide-q":
            break
    assert page.evaluate("document.activeElement.id") == "guide-q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.type("qykb")
    page.keyboard.press("Enter")
    expect(page.locator(".results").first).to_contain_text("企业开办")
