"""Two people, two browser contexts, real WebRTC between them (Chromium's fake camera): a citizen calls the
consultation desk and a consultant answers; a clerk calls a delegated department and its expert answers. Both
sides decode video frames (RTCPeerConnection.getStats: inbound-rtp video framesDecoded > 0); the expert shares
the screen; one side hangs up, the other sees the call ended, and the call log holds it with its duration."""

import time

import pytest
from playwright.sync_api import expect

from yichuang.video.models import Call, Recording, VideoRules

pytestmark = [pytest.mark.browser]

FRAMES_DECODED = """async () => {
  if (!window.videoCall) return 0;
  const stats = await window.videoCall.pc.getStats();
  let frames = 0;
  stats.forEach(r => { if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0; });
  return frames;
}"""

SENT_VIDEO_LABEL = (
    """() => window.videoCall.pc.getSenders().find(s => s.track && s.track.kind === "video").track.label"""
)


# Delays every signalling poll's answer by 1.5 s and counts the polls in flight and delivered late.
SLOW_POLLS = """() => {
  const original = window.fetch;
  window.pollsInFlight = 0;
  window.pollsDelivered = 0;
  window.fetch = (url, options) => {
    if (!String(url).includes("?after=")) return original(url, options);
    window.pollsInFlight += 1;
    return original(url, options).then((response) => new Promise((resolve) => setTimeout(() => {
      window.pollsInFlight -= 1;
      window.pollsDelivered += 1;
      resolve(response);
    }, 1500)));
  };
}"""


def login(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def wait_for_frames(page, minimum=5, seconds=45):  # generous for a loaded CI machine; returns as soon as met
    deadline = time.monotonic() + seconds
    while (frames := page.evaluate(FRAMES_DECODED)) < minimum:
        assert time.monotonic() < deadline, f"only {frames} video frames decoded after {seconds} s"
        page.wait_for_timeout(250)


def decoded(page) -> int:
    return page.evaluate(FRAMES_DECODED)


def test_citizen_calls_the_desk_consultant_answers_both_see_video_citizen_hangs_up(
    transactional_db, people, two_pages, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    VideoRules.objects.create(recording_allowed=True)
    citizen, consultant = two_pages(), two_pages()
    login(consultant, people.consultant)
    consultant.goto("/video/desk/")
    expect(consultant.locator("#ringing-empty")).to_be_visible()

    citizen.goto("/video/")
    citizen.fill("#call-name", "张三")
    citizen.check("#call-consent")
    citizen.click("#btn-call")
    expect(citizen.locator("#call-status")).to_have_text("正在呼叫，等待接听…")

    ringing = consultant.locator("#ringing-list li")
    expect(ringing).to_have_count(1)
    expect(ringing).to_contain_text("张三")
    ringing.locator("button.answer").click()
    expect(consultant.locator("#call-status")).to_have_text("通话中")
    expect(citizen.locator("#call-status")).to_have_text("通话中")
    expect(consultant.locator("#consultation-link")).to_be_visible()
    expect(citizen.locator("#consultation-link")).to_be_hidden()  # the staff's link is not drawn for the citizen

    wait_for_frames(citizen)
    wait_for_frames(consultant)
    assert decoded(citizen) > 0 and decoded(consultant) > 0
    # The citizen agreed and the hall allows it: the consultant's browser records, both are told.
    expect(consultant.locator("#recording-note")).to_contain_text("录制中")
    expect(citizen.locator("#recording-note")).to_contain_text("将被录制")
    screenshot(consultant, "video")

    citizen.click("#btn-hangup")
    expect(citizen.locator("#call-status")).to_have_text("通话已结束", timeout=20_000)  # a busy machine
    expect(consultant.locator("#call-status")).to_have_text("通话已结束", timeout=20_000)  # a busy machine
    expect(consultant.locator("#call-duration")).to_contain_text("通话时长")
    for side in (citizen, consultant):  # the ended call's controls are gone
        expect(side.locator("#btn-hangup")).to_be_hidden()
    expect(citizen.locator("#consultation-link")).to_be_hidden()

    call = Call.objects.get()
    assert call.status == Call.Status.ENDED and call.ended_by == "caller"
    assert call.callee == people.consultant and call.seconds is not None and call.seconds >= 0
    # The recording is uploaded when the call ends.
    expect(consultant.locator("#recording-note")).to_have_text("录像已保存")
    recording = Recording.objects.get(call=call)
    assert recording.size > 1000 and recording.file.read(4) == b"\x1a\x45\xdf\xa3"

    # The log: the admin sees it, the citizen's name masked.
    consultant.context.clear_cookies()
    login(consultant, people.admin)
    consultant.goto("/video/log/")
    row = consultant.locator(f"#call-log tr[data-call='{call.pk}']")
    expect(row.locator(".status")).to_have_text("已结束")
    expect(row).to_contain_text("张*")
    expect(row).not_to_contain_text("张三")


def test_clerk_calls_delegated_department_expert_answers_both_see_video_expert_hangs_up(
    transactional_db, people, two_pages
):
    clerk, expert = two_pages(), two_pages()
    login(expert, people.expert)
    expert.goto("/video/expert/")
    expect(expert.locator("h1")).to_contain_text("县民政局")

    login(clerk, people.clerk)
    clerk.goto("/video/support/")
    clerk.select_option("#call-department", str(people.civil.pk))
    clerk.click("#btn-call")
    expect(clerk.locator("#call-status")).to_have_text("正在呼叫，等待接听…")

    ringing = expert.locator("#ringing-list li")
    expect(ringing).to_have_count(1)
    ringing.locator("button.answer").click()
    expect(expert.locator("#call-status")).to_have_text("通话中")
    expect(clerk.locator("#call-status")).to_have_text("通话中")
    wait_for_frames(clerk)
    wait_for_frames(expert)

    # The expert shares the screen to guide through a form: the video sender's track is replaced by the screen
    # (Chromium's fake screen under --use-fake-ui-for-media-stream), the clerk keeps decoding, then back.
    expert.click("#btn-share")
    expect(expert.locator("#btn-share")).to_have_attribute("aria-pressed", "true")
    expert.wait_for_function(f"() => ({SENT_VIDEO_LABEL})().startsWith('screen')")  # replaceTrack is async
    before = decoded(clerk)
    wait_for_frames(clerk, minimum=before + 5)
    expert.click("#btn-share")
    expect(expert.locator("#btn-share")).to_have_attribute("aria-pressed", "false")
    expert.wait_for_function(f"() => !({SENT_VIDEO_LABEL})().startsWith('screen')")  # back to the camera

    # A slow network: the expert's polls come back late, so a poll answered "active" just before the hang-up
    # arrives after it — and must not bring the ended call back (it did, on a busy CI machine).
    expert.evaluate(SLOW_POLLS)
    expert.wait_for_function("() => window.pollsInFlight > 0")
    expert.click("#btn-hangup")
    expect(expert.locator("#call-status")).to_have_text("通话已结束", timeout=20_000)  # a busy machine
    expert.wait_for_function("() => window.pollsInFlight === 0 && window.pollsDelivered > 0")
    expect(expert.locator("#call-status")).to_have_text("通话已结束")
    expect(clerk.locator("#call-status")).to_have_text("通话已结束", timeout=20_000)  # a busy machine
    expect(expert.locator("#btn-share")).to_be_hidden()
    expect(expert.locator("#btn-hangup")).to_be_hidden()

    call = Call.objects.get()
    assert call.kind == Call.Kind.SUPPORT and call.department == people.civil
    assert call.status == Call.Status.ENDED and call.ended_by == "callee" and call.seconds is not None

    # The department's staff see their department's call in the log.
    expert.goto("/video/log/")
    expect(expert.locator(f"#call-log tr[data-call='{call.pk}'] .status")).to_have_text("已结束")


def test_closing_the_page_hangs_up_for_the_other_side(transactional_db, people, two_pages):
    """The consultant closes the tab mid-call (no 挂断): the page's beacon ends the call, the citizen sees it."""
    citizen, consultant = two_pages(), two_pages()
    login(consultant, people.consultant)
    consultant.goto("/video/desk/")
    citizen.goto("/video/")
    citizen.click("#btn-call")
    consultant.locator("#ringing-list li button.answer").click()
    expect(citizen.locator("#call-status")).to_have_text("通话中")
    consultant.close(run_before_unload=True)
    expect(citizen.locator("#call-status")).to_have_text("通话已结束", timeout=20_000)  # a busy machine
    call = Call.objects.get()
    assert call.status == Call.Status.ENDED and call.ended_by == "callee"
