"""The window's two ways of taking in 企业开办, as a clerk does them in the browser — typed from the papers, or
loaded from a pre-filled application by a hand scanner — for the browser test and for `bench/prefill_window.py`.

At `human=True` the clerk works at a human pace (the model, stated in docs/performance.md): a Latin letter or digit
takes 0.2 s, a Chinese character 0.8 s (pinyin and choosing the character), a click or tap 0.6 s (finding the
control and pressing it); a hand scanner types the code at 10 ms a key. At `human=False` the same steps run as fast
as the browser allows (the browser test). Each walk returns its seconds and the clerk's keys and clicks."""

import time
from dataclasses import dataclass, field

KEY_S, HANZI_S, CLICK_S, SCANNER_S = 0.2, 0.8, 0.6, 0.01


@dataclass
class Pace:
    human: bool
    keys: int = 0
    clicks: int = 0
    steps: list = field(default_factory=list)

    def type(self, page, selector: str, text: str) -> None:
        page.click(selector)
        self.clicks += 1
        self._think(CLICK_S)
        for ch in text:
            page.keyboard.type(ch)
            self.keys += 1
            self._think(HANZI_S if ord(ch) > 0x2E7F else KEY_S)

    def click(self, page, selector: str) -> None:
        self._think(CLICK_S)
        page.click(selector)
        self.clicks += 1

    def scan(self, page, selector: str, code: str) -> None:
        page.focus(selector)
        page.keyboard.type(code, delay=SCANNER_S * 1000 if self.human else 0)
        page.keyboard.press("Enter")  # a hand scanner ends with Enter
        self.keys += 0  # the clerk types nothing: the scanner does

    def _think(self, seconds: float) -> None:
        if self.human:
            time.sleep(seconds)


def typed_intake(page, *, name: str, credit: str, phone: str, answers_matters: list[str], human: bool) -> dict:
    """The clerk types the applicant from the papers, ticks the bundle's matters the person asks for, builds the
    checklist (every required material received by default) and accepts."""
    pace = Pace(human)
    page.goto("/desk/intake/")
    started = time.perf_counter()
    pace.click(page, "input[name='applicant.kind'][value=org]")
    pace.type(page, "#applicant-name", name)
    pace.type(page, "#applicant-id", credit)
    pace.type(page, "#applicant-phone", phone)
    pace.click(page, "input[name=bundle][value=enterprise-opening]")
    for code in answers_matters:
        pace.click(page, f"input[name=matters][value='{code}']")
    pace.click(page, "#btn-checklist")
    page.wait_for_selector("#btn-accept")
    pace.click(page, "#btn-accept")
    page.wait_for_selector("#submission-number")
    return {"seconds": time.perf_counter() - started, "keys": pace.keys, "clicks": pace.clicks}


def prefilled_intake(page, *, code: str, human: bool) -> dict:
    """The clerk scans the person's code (the form fills itself: applicant, matters, tailored list, files), checks
    the originals against the list, and accepts."""
    pace = Pace(human)
    page.goto("/desk/intake/")
    started = time.perf_counter()
    pace.scan(page, "#prefill-code-input", code)
    page.wait_for_selector("#prefill-banner")
    pace.click(page, "#btn-accept")
    page.wait_for_selector("#submission-number")
    return {"seconds": time.perf_counter() - started, "keys": pace.keys, "clicks": pace.clicks}
