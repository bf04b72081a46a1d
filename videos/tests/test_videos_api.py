import threading
import uuid
from datetime import timedelta
from datetime import timezone as datetime_timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from channels.models import ChannelStatus
from channels.tests.factories import ChannelFactory
from costs.services import estimate_video_cost
from videos.models import Video, VideoEvent, VideoStatus
from videos.services import video_event_record
from videos.tests.factories import VideoFactory
from ytempire.core.testing import race

pytestmark = pytest.mark.django_db

URL = "/api/v1/videos"
GENERATE = f"{URL}/generate"


def _payload(channel, **extra):
    return {"channel_id": str(channel.pk), "title": "Top 10 Gadgets of 2025", **extra}


def _backdate(video, **delta):
    Video.objects.filter(pk=video.pk).update(created_at=timezone.now() - timedelta(**delta))


# --- generate --------------------------------------------------------------------------


def test_generate_returns_202_with_the_seed_fields(auth_client, user, django_capture_on_commit_callbacks):
    channel = ChannelFactory(user=user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = auth_client.post(GENERATE, _payload(channel, tags=[" ai ", "tech"]), format="json")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert set(body) >= {
        "id",
        "channel_id",
        "title",
        "status",
        "priority",
        "estimated_cost",
        "created_at",
        "estimated_completion",
    }
    assert body["channel_id"] == str(channel.pk)
    assert body["status"] == "queued"
    assert body["priority"] == 5
    assert body["optimization_level"] == "standard"
    expected = estimate_video_cost(level="standard").total
    assert Decimal(str(body["estimated_cost"])) == expected
    video = Video.objects.get(pk=body["id"])
    assert video.estimated_cost == expected
    assert video.tags == ["ai", "tech"]
    assert video.estimated_cost <= Decimal("3.00")
    assert body["estimated_completion"] > body["created_at"]
    event = VideoEvent.objects.get(video=video)
    assert (event.from_status, event.to_status) == ("", "queued")
    # exactly one task, handed over on commit
    assert len(callbacks) == 1


def test_the_task_is_queued_only_after_commit(auth_client, user, django_capture_on_commit_callbacks):
    channel = ChannelFactory(user=user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = auth_client.post(GENERATE, _payload(channel), format="json")
        video = Video.objects.get(pk=response.json()["id"])
        # committed-but-not-yet-run: the worker has not touched the video
        assert video.status == VideoStatus.QUEUED

    for callback in callbacks:
        callback()  # the commit happens: the (eager) task runs the pipeline
    video.refresh_from_db()
    assert video.processing_started_at is not None
    assert video.events.filter(from_status=VideoStatus.QUEUED, to_status=VideoStatus.PROCESSING).exists()


def test_generate_refused_enqueues_nothing(auth_client, user, django_capture_on_commit_callbacks):
    channel = ChannelFactory(user=user, daily_video_limit=1)
    VideoFactory(channel=channel)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client.post(GENERATE, _payload(channel), format="json")

    assert response.status_code == 403
    assert callbacks == []


@pytest.mark.parametrize("level", ["economy", "standard", "premium"])
def test_generate_each_optimization_level_uses_the_costs_estimate(auth_client, user, level):
    channel = ChannelFactory(user=user)

    response = auth_client.post(GENERATE, _payload(channel, optimization_level=level, priority=9), format="json")

    assert response.status_code == 202, response.json()
    video = Video.objects.get(pk=response.json()["id"])
    assert video.optimization_level == level
    assert video.priority == 9
    assert video.estimated_cost == estimate_video_cost(level=level).total


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"title": "   "}, "title", "Title cannot be empty"),
        ({"title": ""}, "title", "Title cannot be empty"),
        ({"title": "x" * 501}, "title", None),
        ({"priority": 0}, "priority", None),
        ({"priority": 11}, "priority", None),
        ({"optimization_level": "ultra"}, "optimization_level", None),
        ({"tags": ["t"] * 31}, "tags", None),
        ({"channel_id": "nope"}, "channel_id", None),
        ({"status": "published"}, "status", "Unknown field."),
    ],
)
def test_generate_validation_errors(auth_client, user, payload, field, message):
    channel = ChannelFactory(user=user)

    response = auth_client.post(GENERATE, _payload(channel, **payload), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid request parameters"
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert field in errors
    if message:
        assert errors[field] == message
    assert not Video.objects.exists()


def test_generate_missing_title(auth_client, user):
    channel = ChannelFactory(user=user)

    response = auth_client.post(GENERATE, {"channel_id": str(channel.pk)}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "title", "message": "Title is required"}]


def test_generate_on_another_users_channel_is_404(other_client, user):
    channel = ChannelFactory(user=user)

    response = other_client.post(GENERATE, _payload(channel), format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Channel not found"}
    assert not Video.objects.exists()


def test_generate_on_an_unknown_channel_is_404(auth_client):
    response = auth_client.post(GENERATE, {"channel_id": str(uuid.uuid4()), "title": "x"}, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (ChannelStatus.ACTIVE, 202),
        (ChannelStatus.PENDING_OAUTH, 202),
        (ChannelStatus.PAUSED, 409),
        (ChannelStatus.SUSPENDED, 409),
        (ChannelStatus.ARCHIVED, 409),
    ],
)
def test_generate_needs_an_active_or_pending_channel(auth_client, user, status, code):
    channel = ChannelFactory(user=user, status=status)

    response = auth_client.post(GENERATE, _payload(channel), format="json")

    assert response.status_code == code


def test_per_channel_daily_limit(auth_client, user):
    channel = ChannelFactory(user=user, daily_video_limit=2)
    yesterday = VideoFactory(channel=channel)
    _backdate(yesterday, days=1)
    VideoFactory(channel=channel)

    first = auth_client.post(GENERATE, _payload(channel), format="json")
    second = auth_client.post(GENERATE, _payload(channel), format="json")

    assert first.status_code == 202
    assert second.status_code == 403
    assert second.json() == {"detail": "Daily video limit reached", "scope": "channel", "limit": 2}
    assert Video.objects.filter(channel=channel).count() == 3


def test_per_user_daily_limit_counts_all_channels(auth_client, user):
    user.daily_video_limit = 3
    user.save(update_fields=["daily_video_limit"])
    a = ChannelFactory(user=user, daily_video_limit=10)
    b = ChannelFactory(user=user, daily_video_limit=10)
    VideoFactory.create_batch(2, channel=a)
    VideoFactory(channel=ChannelFactory())  # another user's video does not count

    ok = auth_client.post(GENERATE, _payload(b), format="json")
    refused = auth_client.post(GENERATE, _payload(b), format="json")

    assert ok.status_code == 202
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Daily video limit reached", "scope": "user", "limit": 3}


def test_daily_limit_counts_from_midnight_utc():
    from videos.services import utc_day_start

    start = utc_day_start()

    assert (start.hour, start.minute, start.second, start.microsecond) == (0, 0, 0, 0)
    assert start.utcoffset() == timedelta(0)
    assert timezone.now() - start < timedelta(days=1)


def test_estimate_above_the_per_video_limit_is_400(auth_client, user, settings):
    settings.MAX_COST_PER_VIDEO = Decimal("0.01")
    channel = ChannelFactory(user=user)

    response = auth_client.post(GENERATE, _payload(channel), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Estimated cost $")
    assert "exceeds the per-video limit of $0.01" in body["detail"]
    assert body["errors"][0]["field"] == "optimization_level"
    assert not Video.objects.exists()


def test_paused_cost_budget_is_403(auth_client, user, settings):
    settings.DAILY_COST_BUDGET = Decimal("0.00")
    channel = ChannelFactory(user=user)

    response = auth_client.post(GENERATE, _payload(channel), format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Daily cost budget reached"}
    assert not Video.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_generates_for_the_last_channel_slot_exactly_one_wins(client_for):
    owner = UserFactory(daily_video_limit=50)
    channel = ChannelFactory(user=owner, daily_video_limit=2)
    VideoFactory(channel=channel)

    def generate():
        return client_for(owner).post(GENERATE, _payload(channel), format="json").status_code

    results = race(generate, 4)

    assert sorted(results) == [202, 403, 403, 403], results
    assert Video.objects.filter(channel=channel).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_generates_on_two_channels_for_the_last_user_slot_exactly_one_wins(client_for):
    owner = UserFactory(daily_video_limit=2)
    channels = [ChannelFactory(user=owner, daily_video_limit=10) for _ in range(4)]
    VideoFactory(channel=channels[0])
    targets = iter(channels)
    pick = threading.Lock()

    def generate():
        with pick:
            channel = next(targets)
        return client_for(owner).post(GENERATE, _payload(channel), format="json").status_code

    results = race(generate, 4)

    assert sorted(results) == [202, 403, 403, 403], results
    assert Video.objects.filter(channel__user=owner).count() == 2


# --- list / detail -------------------------------------------------------------------------


def test_list_shows_own_videos_in_the_paginated_shape(auth_client, user, other_user):
    mine = VideoFactory.create_batch(3, channel=ChannelFactory(user=user))
    VideoFactory.create_batch(2, channel=ChannelFactory(user=other_user))

    body = auth_client.get(URL).json()

    assert body["total"] == 3
    assert {v["id"] for v in body["items"]} == {str(v.pk) for v in mine}
    assert "events" not in body["items"][0]


def test_platform_admin_lists_every_video(admin_client_api):
    VideoFactory.create_batch(2)

    assert admin_client_api.get(URL).json()["total"] == 2


def test_list_filters(auth_client, user):
    a = ChannelFactory(user=user)
    b = ChannelFactory(user=user)
    old = VideoFactory(channel=a, title="old")
    _backdate(old, days=10)
    VideoFactory(channel=a, title="failed", status=VideoStatus.FAILED)
    VideoFactory(channel=b, title="other channel")

    def titles(query):
        response = auth_client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return {v["title"] for v in response.json()["items"]}

    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert titles(f"channel_id={a.pk}") == {"old", "failed"}
    assert titles("status=failed") == {"failed"}
    assert titles(f"created_after={since}") == {"failed", "other channel"}
    assert titles(f"created_before={since}") == {"old"}
    assert titles(f"channel_id={a.pk}&created_after={since}") == {"failed"}
    assert titles("optimization_level=premium") == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=exploded", "status"),
        ("channel_id=nope", "channel_id"),
        ("created_after=yesterday", "created_after"),
        ("created_after=2025-02-01&created_before=2025-01-01", "created_after"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        # Typed parameters sent empty are not "no filter": the schema says what they must be.
        ("status=", "status"),
        ("channel_id=", "channel_id"),
        ("created_after=", "created_after"),
        ("page=", "page"),
        ("limit=", "limit"),
        # A parameter the list does not know is a typo to report, not a filter to ignore.
        ("stauts=failed", "stauts"),
    ],
)
def test_invalid_list_parameters(auth_client, query, field):
    response = auth_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "value",
    [
        "0265-03-01T13:26:00.893+16:13",  # was a 500: PostgreSQL refuses the +16:13 offset
        "0001-01-01T00:00:00+05:00",  # overflows once converted to UTC
        "9999-12-31T23:59:59-05:00",  # overflows the other way
        "1969-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
    ],
)
@pytest.mark.parametrize("name", ["created_after", "created_before"])
def test_datetimes_out_of_range_are_a_400(auth_client, name, value):
    response = auth_client.get(URL, {name: value})

    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "Invalid request parameters",
        "errors": [{"field": name, "message": "Must be between 1970-01-01 and 2999-12-31."}],
    }


def test_datetimes_with_offsets_are_compared_in_utc(auth_client, user):
    video = VideoFactory(channel=ChannelFactory(user=user))
    created = video.created_at.astimezone(datetime_timezone(timedelta(hours=14)))

    after = auth_client.get(URL, {"created_after": created.isoformat()}).json()
    before = auth_client.get(URL, {"created_before": created.isoformat()}).json()

    assert [item["id"] for item in after["items"]] == [str(video.pk)]
    assert before["items"] == []
    # In range as written, 1969 once in UTC: a plain UTC timestamp for PostgreSQL all the same.
    assert auth_client.get(URL, {"created_after": "1970-01-01T00:00:00+05:00"}).json()["total"] == 1
    assert auth_client.get(URL, {"created_before": "2026-01-01T00:00:00+16:13"}).status_code == 200


def test_page_past_the_end_is_empty(auth_client, user):
    VideoFactory.create_batch(3, channel=ChannelFactory(user=user))

    body = auth_client.get(f"{URL}?page=5&limit=2").json()

    assert body == {"items": [], "total": 3, "page": 5, "pages": 2, "limit": 2}


@pytest.mark.parametrize("count", [1, 12])
def test_list_query_count_is_constant(auth_client, user, count, django_assert_num_queries):
    VideoFactory.create_batch(count, channel=ChannelFactory(user=user))

    with django_assert_num_queries(2):  # auth user + page (a short page tells the total: no count)
        response = auth_client.get(f"{URL}?limit=100")

    assert len(response.json()["items"]) == count


@pytest.mark.parametrize("count", [3, 12])
def test_a_full_page_costs_the_count(auth_client, user, count, django_assert_num_queries):
    channel = ChannelFactory(user=user)
    VideoFactory.create_batch(count, channel=channel)

    with django_assert_num_queries(3):  # auth user + page + count
        body = auth_client.get(f"{URL}?channel_id={channel.pk}&limit=3").json()

    assert (len(body["items"]), body["total"], body["pages"]) == (3, count, -(-count // 3))


@pytest.mark.parametrize("events", [0, 6])
def test_detail_query_count_is_constant(auth_client, user, events, django_assert_num_queries):
    from videos.services import video_event_record

    video = VideoFactory(channel=ChannelFactory(user=user))
    for i in range(events):
        video_event_record(video=video, reason=f"step {i}")

    with django_assert_num_queries(3):  # auth user + video + events
        response = auth_client.get(f"{URL}/{video.pk}")

    assert len(response.json()["events"]) == events


def test_list_filtered_by_channel_uses_the_channel_index():
    from videos.selectors import video_list

    owner = UserFactory()
    channel = ChannelFactory(user=owner)
    VideoFactory.create_batch(2, channel=channel)
    sql, params = video_list(user=owner).filter(channel_id=channel.pk).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "videos_channel_" in plan, plan


def test_detail_includes_the_history(auth_client, user):
    channel = ChannelFactory(user=user)
    video_id = auth_client.post(GENERATE, _payload(channel), format="json").json()["id"]
    auth_client.post(f"{URL}/{video_id}/cancel")

    body = auth_client.get(f"{URL}/{video_id}/").json()

    assert body["status"] == "cancelled"
    assert [(e["from_status"], e["to_status"]) for e in body["events"]] == [("", "queued"), ("queued", "cancelled")]
    assert [(e["code"], e["message"]) for e in body["events"]] == [
        ("queued", "Queued for production."),
        ("cancelled_by_user", "Cancelled at your request."),
    ]
    assert body["events"][0]["data"] == {"estimated_cost": body["estimated_cost"], "optimization_level": "standard"}
    assert body["events"][1]["data"] == {}  # who cancelled it stays with staff
    assert "reason" not in body["events"][0]


# --- what a customer sees ---------------------------------------------------------------


def _failed_video_with_internals(user):
    """A video as the pipeline leaves it after a failed upload: full detail, for staff."""
    from videos.services import video_event_record

    pool_account = uuid.uuid4()
    video = VideoFactory(
        channel=ChannelFactory(user=user),
        status=VideoStatus.FAILED,
        error_message="upload failed: HttpError 403 when requesting https://youtube.googleapis.com/upload "
        "for pool-07@ytempire-pool.example (quotaExceeded) reading /mnt/nvme/ytempire/video/x.mp4",
        video_path="/mnt/nvme/ytempire/video/x.mp4",
        thumbnail_path="/tmp/render-123/thumb.png",
        cost_breakdown={"openai": "0.3125", "render": "0.1000"},
        metadata={
            "pipeline": {"script": {"done": True}, "voice": {"done": True}, "render": {"done": True}},
            "progress": {"step": "encoding /tmp/render-123", "percent": 100, "message": "ffmpeg -i /tmp/x"},
            "duration_seconds": 61.5,
        },
    )
    video_event_record(
        video=video,
        reason="render requested (attempt 1)",
        data={"step": "render", "execution_id": "n8n-exec-991", "sandbox": False},
    )
    video_event_record(
        video=video,
        reason="n8n render completed",
        data={"source": "n8n", "video_path": "/mnt/nvme/ytempire/video/x.mp4", "thumbnail_path": "/tmp/t.png"},
    )
    VideoEvent.objects.create(
        video=video,
        from_status="ready",
        to_status="uploading",
        reason="upload started",
        data={"account_id": str(pool_account)},
    )
    VideoEvent.objects.create(
        video=video,
        from_status="uploading",
        to_status="failed",
        reason="pipeline failed",
        data={"error": "HttpError 403 pool-07@ytempire-pool.example"},
    )
    return video, pool_account


def test_a_customer_sees_codes_and_sentences_never_paths_accounts_or_provider_text(auth_client, user):
    video, pool_account = _failed_video_with_internals(user)

    detail = auth_client.get(f"{URL}/{video.pk}")
    listed = auth_client.get(URL)

    assert detail.status_code == listed.status_code == 200
    body = detail.json()
    assert (body["error_code"], body["error_message"]) == (
        "upload_failed",
        "Uploading to YouTube failed. You can retry the video.",
    )
    assert listed.json()["items"][0]["error_code"] == "upload_failed"  # the list and the detail agree
    assert [e["code"] for e in body["events"]] == [
        "render_requested",
        "render_completed",
        "upload_started",
        "processing_failed",
    ]
    assert body["events"][0]["data"] == {"step": "render", "sandbox": False}
    assert body["cost_breakdown"] == {"openai": 0.3125, "render": 0.1}
    assert body["metadata"] == {"duration_seconds": 61.5, "progress": {"percent": 100}}
    for response in (detail, listed):
        text = response.content.decode()
        for secret in ("/mnt/", "/tmp/", "@ytempire-pool", "HttpError", "n8n-exec-991", str(pool_account), "ffmpeg"):
            assert secret not in text, secret


@pytest.mark.parametrize(
    ("error_message", "metadata", "code"),
    [
        ("Render timed out: no answer from N8N after 2 attempts", {}, "render_timeout"),
        ("Cost limit exceeded: $3.00", {}, "cost_limit_exceeded"),
        ("script failed: OpenAI refused the request (401)", {}, "script_failed"),
        ("voice failed after 5 retries: ElevenLabs 503", {}, "voice_failed"),
        (
            "ffmpeg crashed at /tmp/x",
            {"pipeline": {"script": {"done": True}, "voice": {"done": True}}},
            "render_failed",
        ),
        ("anything", {"failure": {"code": "file_too_large"}}, "file_too_large"),
        ("something nobody planned for", {}, "processing_failed"),
    ],
)
def test_failures_map_to_stable_codes(auth_client, user, error_message, metadata, code):
    video = VideoFactory(
        channel=ChannelFactory(user=user), status=VideoStatus.FAILED, error_message=error_message, metadata=metadata
    )

    body = auth_client.get(f"{URL}/{video.pk}").json()

    assert body["error_code"] == code
    assert body["error_message"] and error_message not in body["error_message"]


def test_a_video_that_did_not_fail_has_no_error(auth_client, user):
    video = VideoFactory(channel=ChannelFactory(user=user), status=VideoStatus.PUBLISHED)

    body = auth_client.get(f"{URL}/{video.pk}").json()

    assert (body["error_code"], body["error_message"]) == (None, "")


def test_money_is_a_number_with_at_most_four_decimals(auth_client, user):
    channel = ChannelFactory(user=user)

    created = auth_client.post(GENERATE, _payload(channel), format="json").json()
    listed = auth_client.get(URL).json()["items"][0]
    detail = auth_client.get(f"{URL}/{created['id']}").json()

    for value in (created["estimated_cost"], listed["estimated_cost"], listed["total_cost"], detail["total_cost"]):
        assert isinstance(value, int | float) and not isinstance(value, bool)
        assert Decimal(str(value)) == Decimal(str(value)).quantize(Decimal("0.0001"))


# --- ownership -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", "/cancel"), ("post", "/retry")])
def test_another_users_video_is_404_in_every_verb(other_client, user, method, suffix):
    video = VideoFactory(channel=ChannelFactory(user=user), status=VideoStatus.FAILED)

    response = getattr(other_client, method)(f"{URL}/{video.pk}{suffix}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Video not found"}
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED


@pytest.mark.parametrize("video_id", [str(uuid.uuid4()), "garbage"])
def test_unknown_video_is_404(auth_client, video_id):
    assert auth_client.get(f"{URL}/{video_id}").status_code == 404


# --- cancel / retry ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (VideoStatus.QUEUED, 200),
        (VideoStatus.PROCESSING, 200),
        (VideoStatus.READY, 200),
        (VideoStatus.UPLOADING, 200),
        (VideoStatus.PUBLISHED, 409),
        (VideoStatus.FAILED, 409),
        (VideoStatus.CANCELLED, 409),
    ],
)
def test_cancel(auth_client, user, status, code):
    video = VideoFactory(channel=ChannelFactory(user=user), status=status)

    response = auth_client.post(f"{URL}/{video.pk}/cancel")

    assert response.status_code == code
    video.refresh_from_db()
    assert video.status == (VideoStatus.CANCELLED if code == 200 else status)
    if code == 409:
        assert response.json()["detail"] == f"Cannot change video status from '{status}' to 'cancelled'."


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (VideoStatus.FAILED, 202),
        (VideoStatus.CANCELLED, 202),
        (VideoStatus.QUEUED, 409),
        (VideoStatus.PROCESSING, 409),
        (VideoStatus.READY, 409),
        (VideoStatus.UPLOADING, 409),
        (VideoStatus.PUBLISHED, 409),
    ],
)
def test_retry_only_from_failed_or_cancelled(auth_client, user, status, code, django_capture_on_commit_callbacks):
    video = VideoFactory(channel=ChannelFactory(user=user), status=status, error_message="boom")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = auth_client.post(f"{URL}/{video.pk}/retry")

    assert response.status_code == code, response.json()
    video.refresh_from_db()
    if code == 202:
        assert video.status == VideoStatus.QUEUED
        assert video.error_message == ""
        assert response.json()["status"] == "queued"
        assert len(callbacks) == 1
    else:
        assert video.status == status
        assert callbacks == []


def test_retry_refused_while_the_budget_is_paused(auth_client, user, settings):
    settings.DAILY_COST_BUDGET = Decimal("0.00")
    video = VideoFactory(channel=ChannelFactory(user=user), status=VideoStatus.FAILED)

    response = auth_client.post(f"{URL}/{video.pk}/retry")

    assert response.status_code == 403
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED


def test_retry_refused_on_a_paused_channel(auth_client, user):
    video = VideoFactory(channel=ChannelFactory(user=user, status=ChannelStatus.PAUSED), status=VideoStatus.CANCELLED)

    assert auth_client.post(f"{URL}/{video.pk}/retry").status_code == 409


def test_generate_and_list_accept_paths_without_and_with_trailing_slash(auth_client, user):
    channel = ChannelFactory(user=user)

    assert auth_client.post(GENERATE + "/", _payload(channel), format="json").status_code == 202
    assert auth_client.get(URL + "/").json()["total"] == 1
    assert auth_client.get(GENERATE).status_code == 405


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("waiting: the channel is not connected to YouTube", "waiting_connection"),
        ("waiting: the channel's YouTube connection needs to be renewed", "waiting_reconnection"),
        ("waiting: the channel's YouTube upload capacity is used for now", "waiting_upload_capacity"),
        ("waiting: the Google project's upload quota is used until the reset", "waiting_upload_capacity"),
    ],
)
def test_publishing_waits_are_shown_as_their_own_codes(auth_client, user, reason, code):
    video = VideoFactory(channel=ChannelFactory(user=user), status=VideoStatus.READY)
    video_event_record(video=video, reason=reason, data={"until": "2030-01-01T00:00:00+00:00"})

    events = auth_client.get(f"{URL}/{video.pk}").json()["events"]

    assert events[-1]["code"] == code
