"""The video's periodic job: missed and lost calls ended, old signalling removed, every `VIDEO_SWEEP_SECONDS`,
started by the task worker (yichuang.core.periodic). The desks' ringing poll runs the same sweep while a desk page
is open; the job covers the hours when none is (a call both of whose sides vanished would otherwise stay active).
"""

from yichuang.core import periodic

from . import services

SWEEP = "video.sweep"


@periodic.job(SWEEP, period="VIDEO_SWEEP_SECONDS", title="视频通话巡检（未接通、断线、信令清理）")
def video_sweep() -> dict:
    return services.sweep()
