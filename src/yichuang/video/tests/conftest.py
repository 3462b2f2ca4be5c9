"""Fixtures of the video tests: the people of a call (consultants, a clerk, a delegated department's expert and
another department's officer, the hall's admin) and a Chromium with fake camera and microphone."""

import os
from dataclasses import dataclass

import pytest

from yichuang.organisation.roles import Role
from yichuang.organisation.tests.factories import DepartmentFactory, UserFactory

# Fake devices: Chromium's own test camera (a moving pattern) and a beep; the permission prompt auto-accepted.
MEDIA_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class People:
    civil: object  # a delegated department (not in the hall)
    samr: object
    consultant: object
    consultant2: object
    clerk: object
    expert: object  # civil's back-office officer
    lead: object  # civil's lead
    other_officer: object  # samr's officer
    admin: object
    supervisor: object


@pytest.fixture
def people(db) -> People:
    civil = DepartmentFactory(code="civil", name="县民政局", delegated=True)
    samr = DepartmentFactory(code="samr", name="县市场监督管理局")
    return People(
        civil=civil,
        samr=samr,
        consultant=UserFactory(username="zixun1", roles=[Role.CONSULTANT]),
        consultant2=UserFactory(username="zixun2", roles=[Role.CONSULTANT]),
        clerk=UserFactory(username="chuangkou", window_clerk=True),
        expert=UserFactory(username="minzheng", roles=[Role.BACKOFFICE_OFFICER], department=civil),
        lead=UserFactory(username="minzhengfz", roles=[Role.DEPARTMENT_LEAD], department=civil),
        other_officer=UserFactory(username="shichang", roles=[Role.BACKOFFICE_OFFICER], department=samr),
        admin=UserFactory(username="guanli", hall_admin=True),
        supervisor=UserFactory(username="duban", supervisor=True),
    )


@pytest.fixture(scope="session")
def media_browser(playwright):
    """Chromium with fake media devices (the shared `browser` fixture has none), from the session's one Playwright."""
    browser = playwright.chromium.launch(
        executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True, args=MEDIA_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def two_pages(media_browser, live_server):
    """Two separate browser contexts (two people, two sets of cookies) on the live server."""
    contexts = []

    def open_page():
        context = media_browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="zh-CN"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
