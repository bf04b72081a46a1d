"""Admin: read-only ledger with filters, corrections by action, daily report, rate editing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from costs.models import Reservation, ReservationStatus, ServiceRate, VideoCost
from costs.services import cost_record, cost_reserve, estimate_video_cost
from costs.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def entries(committed):
    videos = [VideoFactory() for _ in range(3)]
    return [
        committed(cost_record, video=v, service=s, amount=D("0.10")).entry for v in videos for s in ("openai", "tts")
    ]


def test_ledger_changelist_is_read_only_with_filters(staff_client, entries, django_assert_max_num_queries):
    url = reverse("admin:costs_videocost_changelist")
    with django_assert_max_num_queries(12):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert b"Daily cost report" in response.content
    assert staff_client.get(url, {"service": "tts"}).context["cl"].result_count == 3
    assert staff_client.get(url, {"q": entries[0].video.title}).status_code == 200
    assert staff_client.get(reverse("admin:costs_videocost_add")).status_code == 403
    detail = staff_client.post(reverse("admin:costs_videocost_change", args=[entries[0].pk]), {"amount": "0.01"})
    assert detail.status_code == 403
    assert staff_client.get(reverse("admin:costs_videocost_delete", args=[entries[0].pk])).status_code == 403
    assert VideoCost.objects.get(pk=entries[0].pk).amount == D("0.10")


def test_reverse_action_adds_negative_rows(staff_client, entries):
    url = reverse("admin:costs_videocost_changelist")
    response = staff_client.post(
        url, {"action": "reverse_charges", "_selected_action": [str(entries[0].pk), str(entries[1].pk)]}, follow=True
    )
    assert "Recorded 2 correction row(s)." in [str(m) for m in response.context["messages"]]
    corrections = VideoCost.objects.filter(amount__lt=0)
    assert corrections.count() == 2
    assert {c.metadata["correction_of"] for c in corrections} == {str(entries[0].pk), str(entries[1].pk)}
    video = entries[0].video
    video.refresh_from_db()
    assert video.total_cost == D("0")


def test_daily_report_page_draws_spend_against_budget(staff_client, entries, settings):
    settings.DAILY_COST_BUDGET = D("1.00")
    response = staff_client.get(reverse("admin:costs_videocost_report"), {"days": "7"})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 7
    assert rows[-1]["total_cost"] == D("0.6000") and rows[-1]["percent"] == D("60.0")
    assert b'id="cost-chart"' in response.content and b"width: 60.0%" in response.content
    assert b"https://" not in response.content.split(b'id="cost-chart"')[1]  # no CDN in the chart
    assert staff_client.get(reverse("admin:costs_videocost_report"), {"days": "x"}).status_code == 200


def test_report_needs_staff(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:costs_videocost_report"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_service_rates_are_editable_and_change_the_estimate(staff_client):
    rate = ServiceRate.objects.get(service="tts", model="google")
    response = staff_client.post(
        reverse("admin:costs_servicerate_change", args=[rate.pk]),
        {
            "service": "tts",
            "model": "google",
            "unit": "1k_characters",
            "price": "0.0200",
            "is_active": "on",
            "description": "raised",
        },
    )
    assert response.status_code == 302
    assert estimate_video_cost(level="economy").breakdown["tts"] == D("0.12")
    assert staff_client.get(reverse("admin:costs_servicerate_changelist")).status_code == 200


def test_release_holds_action(staff_client, video):
    hold = cost_reserve(video=video, service="tts", amount=D("0.50"))
    response = staff_client.post(
        reverse("admin:costs_reservation_changelist"),
        {"action": "release_holds", "_selected_action": [str(hold.pk)]},
        follow=True,
    )
    assert "Released 1 hold(s)." in [str(m) for m in response.context["messages"]]
    assert Reservation.objects.get(pk=hold.pk).status == ReservationStatus.RELEASED
