"""Estimates learn from the ledger (p95 of recent videos + a margin); holds bound one call each."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from costs.models import CostCalibration, EstimateBasis
from costs.services import (
    cost_estimates_calibrate,
    cost_record,
    estimate_video_cost,
    estimate_with_script,
    llm_call_bound,
    rate_table,
    render_call_bound,
    tts_call_bound,
    unit_call_bound,
)
from costs.services.calibration import p95
from costs.tests.factories import VideoFactory
from videos.models import VideoStatus

pytestmark = pytest.mark.django_db
D = Decimal
_published_start = timezone.now() - timedelta(days=1)


def _published(level: str, charges: dict[str, Decimal]):
    """A published video (each one published a minute after the previous) and its charges."""
    _published.clock += timedelta(minutes=1)
    video = VideoFactory(status=VideoStatus.PUBLISHED, optimization_level=level, published_at=_published.clock)
    for service, amount in charges.items():
        cost_record(video=video, service=service, amount=amount)
    return video


_published.clock = _published_start


def test_p95_is_a_value_that_occurred_at_the_nearest_rank():
    assert p95([D(n) for n in range(1, 101)]) == D(95)
    assert p95([D("0.10")] * 19 + [D("0.90")]) == D("0.10")  # 19 of 20: the 95th percentile is the 19th
    assert p95([D("0.10")] * 18 + [D("0.90")] * 2) == D("0.90")


def test_before_enough_samples_the_estimate_is_the_rate_tables_bound(settings):
    settings.COST_ESTIMATE_MIN_SAMPLES = 30
    for _ in range(29):
        _published("standard", {"openai": D("0.05"), "tts": D("0.02")})
    cost_estimates_calibrate()

    estimate = estimate_video_cost(level="standard")

    assert set(estimate.basis.values()) == {EstimateBasis.RATE_TABLE}
    assert estimate.basis_label == "rate table"
    assert estimate.breakdown["openai"] == D("0.24")  # 8k tokens x $0.03, the old bound
    assert CostCalibration.objects.get(level="standard", service="openai").samples == 29


def test_with_enough_samples_each_service_is_its_p95_plus_the_margin(settings):
    settings.COST_ESTIMATE_MIN_SAMPLES = 30
    settings.COST_ESTIMATE_MARGIN_PERCENT = 10
    for n in range(40):
        # openai: 0.01..0.40 (p95 = 0.38); tts always 0.05; rendering 0.10; thumbnail 0.04; upload 0.01
        _published(
            "standard",
            {
                "openai": D(n + 1) / 100,
                "tts": D("0.05"),
                "rendering": D("0.10"),
                "thumbnail": D("0.04"),
                "upload": D("0.01"),
            },
        )
    assert cost_estimates_calibrate() == {"economy": 0, "standard": 40, "premium": 0}

    estimate = estimate_video_cost(level="standard")

    assert estimate.breakdown == {
        "openai": D("0.4180"),
        "tts": D("0.0550"),
        "rendering": D("0.1100"),
        "thumbnail": D("0.0440"),
        "upload": D("0.0110"),
    }
    assert estimate.total == D("0.6380")
    assert estimate.basis_label == "p95 of last 40 videos (+10%)"
    # The other levels, with no history yet, keep the rate table's bound.
    assert estimate_video_cost(level="premium").basis_label == "rate table"


def test_the_window_keeps_the_latest_videos(settings):
    settings.COST_ESTIMATE_MIN_SAMPLES = 1
    for amount in ("0.90", "0.90", "0.10", "0.10", "0.10"):
        _published("economy", {"openai": D(amount)})
    cost_estimates_calibrate(window=3)
    calibration = CostCalibration.objects.get(level="economy", service="openai")
    assert (calibration.samples, calibration.amount) == (3, D("0.1000"))


def test_call_bounds_cover_the_call_and_never_less():
    rates = rate_table()
    # 400 prompt characters + 2000 answer tokens (+ the chat format's 32) at $0.03 per 1k: $0.0730 (rounded up).
    assert llm_call_bound(model="gpt-4", prompt_chars=400, max_tokens=2000, rates=rates) == D("0.0730")
    assert tts_call_bound(engine="google", characters=1234, rates=rates) == D("0.0198")  # 1.234k x $0.016 = 0.019744
    assert render_call_bound(quality="1080p", rates=rates) == D("0.2000")  # 10 minutes x $0.02
    assert unit_call_bound(service="upload", model="youtube", rates=rates) == D("0.0100")


def _calibrated_standard(settings, videos=30):
    settings.COST_ESTIMATE_MIN_SAMPLES = 30
    settings.COST_ESTIMATE_MARGIN_PERCENT = 10
    for _ in range(videos):
        _published("standard", {s: D("0.02") for s in ("openai", "tts", "rendering", "thumbnail", "upload")})
    cost_estimates_calibrate()


def test_the_estimate_endpoint_shows_its_basis(settings, auth_client):
    before = auth_client.get("/api/v1/costs/estimate?optimization_level=standard").json()
    assert before["basis"] == "rate table" and before["samples"] == 0
    assert set(before["basis_by_service"].values()) == {"rate_table"}

    _calibrated_standard(settings)
    after = auth_client.get("/api/v1/costs/estimate?optimization_level=standard").json()

    assert after["basis"] == "p95 of last 30 videos (+10%)" and after["samples"] == 30
    assert set(after["basis_by_service"].values()) == {"ledger_p95"}
    assert after["total"] == 0.11  # five services at $0.02 + 10%
    assert after["breakdown"]["openai"] == 0.022


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_the_admin_lists_calibrations_with_the_estimate_in_use_and_recalibrates(settings, staff_client):
    _calibrated_standard(settings, videos=31)
    url = "/admin/costs/costcalibration/"

    page = staff_client.get(url)

    assert page.status_code == 200
    text = page.content.decode()
    assert "standard: $0.1100 (p95 of last 31 videos (+10%))" in text
    assert "economy: $0.24" in text and "(rate table)" in text
    assert "p95 of recent videos" in text  # the basis column
    _published("standard", {"openai": D("0.30")})
    response = staff_client.post(
        url,
        {"action": "recalibrate", "_selected_action": [str(CostCalibration.objects.first().pk)]},
        follow=True,
    )
    assert "Recalibrated (economy: 0 videos, standard: 32 videos, premium: 0 videos)." in response.content.decode()
    assert CostCalibration.objects.get(level="standard", service="openai").samples == 32


def _published_with_script(level: str, words: int | None, charges: dict[str, Decimal]):
    video = _published(level, charges)
    if words is not None:
        video.metadata = {**(video.metadata or {}), "pipeline": {"script": {"done": True, "words": words}}}
        video.save(update_fields=["metadata"])
    return video


def test_calibration_learns_the_rendering_spend_per_1000_script_words(settings):
    settings.COST_ESTIMATE_MIN_SAMPLES = 3
    # $0.02 a minute at 150 words a minute: 300 words -> $0.04, 450 -> $0.06, 600 -> $0.08 (0.1334 per 1k).
    for words in (300, 450, 600):
        _published_with_script("standard", words, {"rendering": D(words) / 150 * D("0.02")})
    _published_with_script("standard", None, {"rendering": D("0.50")})  # no word count: not per word

    cost_estimates_calibrate()

    rendering = CostCalibration.objects.get(level="standard", service="rendering")
    assert (rendering.samples, rendering.amount) == (4, D("0.5000"))
    assert (rendering.word_samples, rendering.per_1000_script_words) == (3, D("0.1334"))  # rounded up
    assert CostCalibration.objects.get(level="standard", service="tts").per_1000_script_words is None


def test_a_revised_estimate_is_spent_plus_exact_voice_plus_rendering_per_word(settings):
    settings.COST_ESTIMATE_MIN_SAMPLES = 3
    settings.COST_ESTIMATE_MARGIN_PERCENT = 10
    for words in (300, 450, 600):
        _published_with_script(
            "standard",
            words,
            {"openai": D("0.03"), "rendering": D(words) / 150 * D("0.02"), "thumbnail": D("0.04"), "upload": D("0.01")},
        )
    cost_estimates_calibrate()

    estimate = estimate_with_script(level="standard", words=400, characters=2400, spent={"openai": D("0.0215")})

    assert estimate.breakdown == {
        "openai": D("0.0215"),  # what the script cost
        "tts": D("0.0384"),  # 2.4k characters x $0.016, exactly
        "rendering": D("0.0587"),  # 0.1334 per 1k words x 400 words + 10%, rounded up
        "thumbnail": D("0.0440"),  # p95 + 10%
        "upload": D("0.0110"),
    }
    assert estimate.total == D("0.1736")
    assert estimate.basis == {
        "openai": EstimateBasis.SPENT,
        "tts": EstimateBasis.EXACT,
        "rendering": EstimateBasis.LEDGER_PER_WORD,
        "thumbnail": EstimateBasis.LEDGER,
        "upload": EstimateBasis.LEDGER,
    }
    assert estimate.basis_label == (
        "spent so far; exact voice price; p95 per script word (+10%); p95 of last 3 videos (+10%)"
    )
    # A charge outside the priced services still counts.
    other = estimate_with_script(level="standard", words=400, characters=2400, spent={"storage": D("0.0100")})
    assert other.breakdown["storage"] == D("0.0100") and other.basis["storage"] == EstimateBasis.SPENT
    assert other.breakdown["openai"] == D("0.0330")  # not spent yet: p95 + 10%
    assert other.total == D("0.1951")
    # A script far past the render cap costs at most the cap's bound.
    long = estimate_with_script(level="standard", words=20_000, characters=120_000, spent={})
    assert long.breakdown["rendering"] == render_call_bound(quality="1080p", rates=rate_table())


def test_before_enough_word_counts_rendering_keeps_the_levels_estimate(settings):
    settings.COST_ESTIMATE_MIN_SAMPLES = 30

    estimate = estimate_with_script(level="economy", words=400, characters=2400, spent={"openai": D("0.0010")})

    assert estimate.breakdown["rendering"] == estimate_video_cost(level="economy").breakdown["rendering"]
    assert estimate.basis["rendering"] == EstimateBasis.RATE_TABLE
    assert estimate.basis_label == "spent so far; exact voice price; rate table"
