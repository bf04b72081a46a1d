"""API: status codes, shapes, permissions, query counts; the summaries add up to the ledger."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from costs.models import VideoCost
from costs.services import budget_date_for, cost_record, cost_reserve
from costs.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def spend(user, other_user, committed):
    """Two videos of ``user`` and one of ``other_user`` with charges today and yesterday."""
    mine = [VideoFactory(channel__user=user), VideoFactory(channel__user=user)]
    theirs = VideoFactory(channel__user=other_user)
    hold = cost_reserve(video=mine[0], service="openai", amount=D("0.50"))
    committed(cost_record, video=mine[0], service="openai", amount=D("0.1234"), reservation=hold)
    committed(cost_record, video=mine[0], service="tts", amount=D("0.0960"))
    committed(cost_record, video=mine[1], service="openai", amount=D("0.2000"))
    committed(cost_record, video=theirs, service="tts", amount=D("1.0000"))
    yesterday = budget_date_for() - timedelta(days=1)
    VideoCost(video=mine[1], service="rendering", amount=D("0.3000"), budget_date=yesterday).save()
    cost_reserve(video=theirs, service="rendering", amount=D("0.25"))  # an open hold
    return {"mine": mine, "theirs": theirs, "yesterday": yesterday}


def test_summary_for_a_user_adds_up_their_ledger(auth_client, spend, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = auth_client.get("/api/v1/costs/summary")
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "user"
    assert body["date"] == budget_date_for().isoformat()
    assert body["by_service"] == {"openai": 0.3234, "tts": 0.096}
    assert D(str(body["total_cost"])) == D("0.4194")
    assert body["video_count"] == 2
    assert body["reserved"] is None  # platform holds are not shown to users
    # Platform: 1.4194 recorded + 0.25 held of $150.
    assert D(str(body["budget_remaining"])) == D("150") - D("1.4194") - D("0.25")
    assert body["videos_remaining"] == int((D("150") - D("1.6694")) // D("0.59"))
    assert body["paused"] is False


def test_summary_for_role_admin_is_the_platform(admin_client_api, spend):
    body = admin_client_api.get("/api/v1/costs/summary/").json()
    assert body["scope"] == "platform"
    today = VideoCost.objects.filter(budget_date=budget_date_for()).aggregate(s=Sum("amount"))["s"]
    assert D(str(body["total_cost"])) == today == D("1.4194")
    assert D(str(body["reserved"])) == D("0.25")
    assert body["video_count"] == 3


def test_daily_rows_add_up_to_the_ledger(auth_client, admin_client_api, spend, django_assert_max_num_queries):
    start = spend["yesterday"] - timedelta(days=1)
    end = budget_date_for()
    with django_assert_max_num_queries(6):
        response = auth_client.get(f"/api/v1/costs/daily?from={start}&to={end}")
    assert response.status_code == 200
    body = response.json()
    assert [row["date"] for row in body["items"]] == [str(start), str(spend["yesterday"]), str(end)]
    assert body["items"][0] == {"date": str(start), "total_cost": 0.0, "by_service": {}, "video_count": 0}
    assert body["items"][1]["by_service"] == {"rendering": 0.3} and body["items"][1]["video_count"] == 1
    assert D(str(body["items"][2]["total_cost"])) == D("0.4194") and body["items"][2]["video_count"] == 2
    mine = VideoCost.objects.filter(video__channel__user=auth_client.user).aggregate(s=Sum("amount"))["s"]
    assert D(str(body["total_cost"])) == mine
    platform = admin_client_api.get(f"/api/v1/costs/daily?from={start}&to={end}").json()
    assert D(str(platform["total_cost"])) == VideoCost.objects.aggregate(s=Sum("amount"))["s"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-02-10&to=2025-02-01", "from"),
        ("from=2025-13-01", "from"),
        ("from=2020-01-01&to=2025-01-01", "to"),
        ("since=2025-01-01", "since"),
    ],
)
def test_daily_refuses_bad_ranges_in_the_documented_shape(auth_client, query, field):
    response = auth_client.get(f"/api/v1/costs/daily?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid request parameters"
    assert [e["field"] for e in body["errors"]] == [field]


def test_daily_defaults_to_the_last_seven_days(auth_client):
    body = auth_client.get("/api/v1/costs/daily").json()
    assert len(body["items"]) == 7 and body["to"] == budget_date_for().isoformat()


def test_video_ledger_for_owner_and_admin_and_404_for_others(
    auth_client, other_client, admin_client_api, spend, django_assert_max_num_queries
):
    video = spend["mine"][0]
    with django_assert_max_num_queries(6):
        response = auth_client.get(f"/api/v1/costs/videos/{video.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["video_id"] == str(video.pk)
    assert body["total"] == 2 and len(body["items"]) == 2
    assert {item["service"] for item in body["items"]} == {"openai", "tts"}
    assert D(str(body["total_cost"])) == D("0.2194") == sum(D(str(i["amount"])) for i in body["items"])
    assert body["items"][-1]["reservation_id"] or body["items"][0]["reservation_id"]
    assert admin_client_api.get(f"/api/v1/costs/videos/{video.pk}/").status_code == 200
    denied = other_client.get(f"/api/v1/costs/videos/{video.pk}")
    assert denied.status_code == 404 and denied.json() == {"detail": "Video not found"}
    assert auth_client.get("/api/v1/costs/videos/not-a-uuid").status_code == 404


def test_video_ledger_query_count_does_not_grow_with_rows(auth_client, user, committed, django_assert_num_queries):
    video = VideoFactory(channel__user=user)
    for _ in range(25):
        committed(cost_record, video=video, service="openai", amount=D("0.01"))
    with django_assert_num_queries(4):  # auth user, video, count, page
        response = auth_client.get(f"/api/v1/costs/videos/{video.pk}?limit=20")
    assert response.json()["pages"] == 2


def test_estimate_endpoint(auth_client):
    response = auth_client.get("/api/v1/costs/estimate?optimization_level=economy")
    assert response.status_code == 200
    body = response.json()
    assert body["optimization_level"] == "economy"
    assert body["total"] == 0.24
    assert body["config"]["tts"] == "google"
    assert body["max_cost_per_video"] == 3.0
    assert auth_client.get("/api/v1/costs/estimate").json()["optimization_level"] == "standard"
    bad = auth_client.get("/api/v1/costs/estimate?optimization_level=gold")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "optimization_level"


@pytest.mark.parametrize("path", ["summary", "daily", "estimate", "videos/00000000-0000-0000-0000-000000000000"])
def test_endpoints_need_authentication(api_client, path):
    response = api_client.get(f"/api/v1/costs/{path}")
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials", "code": "not_authenticated"}


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        # Each was a 500: a week before 0001-01-02, the day after 9999-12-31, or the year 265.
        ("daily", "to=0001-01-02", "to"),
        ("daily", "from=9999-12-31", "from"),
        ("daily", "to=9999-12-31", "to"),
        ("daily", "from=0001-01-01", "from"),
        ("summary", "date=0265-03-01", "date"),
        ("summary", "date=9999-12-31", "date"),
    ],
)
def test_dates_out_of_range_are_a_400_naming_the_parameter(auth_client, admin_client_api, path, query, field):
    for client in (auth_client, admin_client_api):
        response = client.get(f"/api/v1/costs/{path}?{query}")
        assert response.status_code == 400, response.content
        assert response.json() == {
            "detail": "Invalid request parameters",
            "errors": [{"field": field, "message": "Must be between 1970-01-01 and 2999-12-31."}],
        }


def test_daily_defaults_stay_within_the_supported_dates(auth_client):
    late = auth_client.get("/api/v1/costs/daily?from=2999-12-30").json()
    early = auth_client.get("/api/v1/costs/daily?to=1970-01-02").json()

    assert (late["from"], late["to"]) == ("2999-12-30", "2999-12-31")
    assert (early["from"], early["to"]) == ("1970-01-01", "1970-01-02")


def test_video_ledger_money_is_numbers_and_metadata_is_the_public_part(auth_client, user, committed):
    video = VideoFactory(channel__user=user)
    committed(
        cost_record,
        video=video,
        service="render",
        amount=D("0.1000"),
        metadata={"source": "n8n", "step": "render", "output": "/mnt/nvme/ytempire/video/x.mp4", "error": "boom"},
    )

    body = auth_client.get(f"/api/v1/costs/videos/{video.pk}").json()

    assert body["total_cost"] == 0.1
    assert body["cost_breakdown"] == {"render": 0.1}
    assert body["items"][0]["amount"] == 0.1
    assert body["items"][0]["metadata"] == {"source": "n8n", "step": "render"}
    assert "/mnt/" not in str(body)


def test_summary_bytes_are_the_serializers(auth_client, admin_client_api, user, spend, django_assert_num_queries):
    """The summary is built as a plain dict (costs.serializers.cost_summary_data): the same bytes
    as CostSummaryOutputSerializer rendered by DRF; a customer's ledger is read in one query."""
    from rest_framework.renderers import JSONRenderer

    from costs.selectors import cost_summary
    from costs.serializers import CostSummaryOutputSerializer

    auth_client.get("/api/v1/costs/summary")  # the user is in the identity cache from here on
    with django_assert_num_queries(1):  # the ledger; the rate table is cached
        mine = auth_client.get("/api/v1/costs/summary")
    platform = admin_client_api.get("/api/v1/costs/summary")

    assert mine.content == JSONRenderer().render(CostSummaryOutputSerializer(cost_summary(user=user)).data)
    admin = platform.wsgi_request.user
    assert platform.content == JSONRenderer().render(CostSummaryOutputSerializer(cost_summary(user=admin)).data)
