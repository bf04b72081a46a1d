"""`make run`'s demo: data a user would believe, and the logins printed last, in a box."""

import io
import threading
import time
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Sum

from channels.models import Channel
from costs.models import VideoCost
from costs.services import budget_date_for
from videos.demo import NICHE_TITLES, titles_for
from videos.models import Video, VideoStatus
from ytempire.ops.management.commands.bootstrap_demo import DEMO_CUSTOMER_EMAIL, DEMO_STAFF_EMAIL

S = VideoStatus


def _bootstrap(*args) -> str:
    out = io.StringIO()
    call_command("bootstrap_demo", *args, stdout=out)
    return out.getvalue()


def _password(output: str) -> str:
    line = next(line for line in output.splitlines() if DEMO_STAFF_EMAIL in line)
    return line.split(" / ")[1].strip(" │")


@pytest.mark.django_db
def test_demo_titles_fit_their_channel_niche():
    _bootstrap()

    videos = Video.objects.filter(channel__user__email=DEMO_CUSTOMER_EMAIL).select_related("channel")
    assert videos.count() == 22  # two connected channels: six of today's and five older each
    for video in videos:
        assert video.title in titles_for(video.channel.niche), (video.channel.niche, video.title)
        others = [title for niche, titles in NICHE_TITLES.items() if niche != video.channel.niche for title in titles]
        assert video.title not in others
        assert not video.title.startswith(f"{video.channel.niche}:")


@pytest.mark.django_db
def test_demo_money_is_believable_and_never_before_its_video():
    _bootstrap()
    _bootstrap()  # idempotent: nothing charged twice

    videos = Video.objects.filter(channel__user__email=DEMO_CUSTOMER_EMAIL)
    published = videos.filter(status=S.PUBLISHED)
    assert published.count() == 12
    for video in published:
        assert Decimal("0.10") < video.total_cost < video.estimated_cost, (video.title, video.total_cost)
        assert set(video.costs.values_list("service", flat=True)) == {
            "openai",
            "tts",
            "rendering",
            "thumbnail",
            "upload",
        }
        assert video.view_count > 0 or video.published_at.date() == video.created_at.date()
    for video in videos:
        ledger = video.costs.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        assert ledger == video.total_cost
        if video.status == S.CANCELLED:
            assert ledger == 0
    for entry in VideoCost.objects.select_related("video").filter(video__in=videos):
        assert entry.timestamp >= entry.video.created_at, (entry.video.title, entry.service)
        assert entry.budget_date == budget_date_for(entry.timestamp)
    # A little history for the daily report: the back catalogue was charged on its own days.
    days = set(VideoCost.objects.filter(video__in=videos).values_list("budget_date", flat=True))
    assert len(days) == 6
    for video in published.filter(created_at__date__lt=budget_date_for()):
        assert video.events.order_by("at").first().at == video.created_at
        assert video.created_at < video.processing_started_at < video.published_at


@pytest.mark.django_db(transaction=True)
def test_the_logins_are_printed_last_in_a_box_once_everything_is_up(live_server, tmp_path):
    ready = tmp_path / "run"
    ready.mkdir()
    (ready / "worker").write_text("1")
    beat_starts = threading.Timer(1.0, lambda: (ready / "beat").write_text("2"))  # beat is slower to start
    beat_starts.start()
    started = time.monotonic()

    output = _bootstrap("--url", live_server.url, "--ready-dir", str(ready))

    assert time.monotonic() - started >= 1.0
    lines = output.rstrip("\n").splitlines()
    top = max(i for i, line in enumerate(lines) if line.startswith("┌"))
    box = lines[top:]
    assert box[-1].startswith("└") and all(line.startswith("│") for line in box[1:-1])
    text = "\n".join(box)
    assert f"{live_server.url}/admin/" in text and f"{live_server.url}/api/v1/docs" in text
    assert DEMO_STAFF_EMAIL in text and DEMO_CUSTOMER_EMAIL in text and "!" not in text
    assert "Demo data ready" in "\n".join(lines[:top])
    password = _password(output)
    staff = authenticate(email=DEMO_STAFF_EMAIL, password=password)
    assert staff is not None and staff.is_staff
    assert authenticate(email=DEMO_CUSTOMER_EMAIL, password=password) is not None
    assert Channel.objects.filter(user__email=DEMO_CUSTOMER_EMAIL).count() == 4


@pytest.mark.django_db
def test_the_box_says_what_did_not_start(tmp_path):
    output = _bootstrap("--url", "http://127.0.0.1:9", "--ready-dir", str(tmp_path), "--timeout", "0.5")

    box = output.rstrip("\n").splitlines()
    assert box[-1].startswith("└")
    assert any("! the server does not answer at http://127.0.0.1:9/health" in line for line in box)
    assert any("! the worker has not started" in line for line in box)
    assert any("! the beat has not started" in line for line in box)
