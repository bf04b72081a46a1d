"""Issue 13: text PostgreSQL cannot store (NUL, U+0000) never reaches it from a webhook route.

Every route, NUL raw or as the JSON escape, in a value or in a key, signed or not: a clear 4xx in the
documented shape, no effect, and a refusal row (plus a log line) whose payload is a safe rendering.
"""

import json
import logging

import pytest
import stripe
from django.urls import reverse

from billing.models import BillingSubscription
from billing.tests.stripe_events import STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_URL, stripe_event, subscription_obj
from costs.models import VideoCost
from videos.models import VideoEvent
from webhooks.models import WebhookEvent, WebhookResult
from webhooks.services.events import webhook_log_refusal
from webhooks.tests.conftest import N8N_PATHS, n8n_headers

pytestmark = pytest.mark.django_db

ROUTES = ["video-complete", "progress", "cost-alert", "stripe"]
NUL = "\x00"


def _n8n_payload(route: str, video, *, where: str) -> dict:
    payload = {
        "video-complete": {"video_id": str(video.pk), "status": "completed", "video_path": f"/media/v{NUL}.mp4"},
        "progress": {"video_id": str(video.pk), "step": f"ren{NUL}der", "percent": 40},
        "cost-alert": {"video_id": str(video.pk), "current_cost": "0.10", "service": f"open{NUL}ai"},
    }[route]
    if where == "key":
        payload = {k: (v.replace(NUL, "") if isinstance(v, str) else v) for k, v in payload.items()}
        payload[f"note{NUL}"] = "x"
    return payload


def _stripe_payload(*, where: str) -> dict:
    obj = subscription_obj(sub_id="sub_nul", customer="cus_nul")
    obj["metadata"] = {f"note{NUL}": "x"} if where == "key" else {"note": f"a{NUL}b"}
    return stripe_event("customer.subscription.created", obj)


def _body(payload: dict, *, form: str) -> str:
    text = json.dumps(payload)  # json.dumps writes NUL as the escape \u0000
    assert "\\u0000" in text
    return text if form == "escape" else text.replace("\\u0000", NUL)


def _post(api_client, route: str, body: str, *, signed: bool):
    if route == "stripe":
        headers = (
            {"HTTP_STRIPE_SIGNATURE": stripe.WebhookSignature.generate_signature_header(body, STRIPE_WEBHOOK_SECRET)}
            if signed
            else {}
        )
        path = STRIPE_WEBHOOK_URL
    else:
        headers = n8n_headers(body, msg_id="msg_nul") if signed else {}
        path = N8N_PATHS[route]
    return api_client.generic("POST", path, body.encode(), content_type="application/json", **headers)


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


@pytest.fixture
def nul_customer(user):
    user.stripe_customer_id = "cus_nul"
    user.save(update_fields=["stripe_customer_id"])
    return user


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("where", ["value", "key"])
@pytest.mark.parametrize("form", ["raw", "escape"])
@pytest.mark.parametrize("route", ROUTES)
def test_nul_in_a_webhook_body_is_refused_safely(
    api_client, make_video, nul_customer, caplog, route, form, where, signed
):
    video = make_video()
    payload = _stripe_payload(where=where) if route == "stripe" else _n8n_payload(route, video, where=where)
    body = _body(payload, form=form)

    with caplog.at_level(logging.WARNING, logger="webhooks"):
        response = _post(api_client, route, body, signed=signed)

    # A clear 4xx in the documented shape.
    assert response.status_code == (400 if signed else 401), response.content
    answer = response.json()
    assert isinstance(answer["detail"], str) and answer["detail"]
    if signed:
        assert answer["errors"] and all(set(e) == {"field", "message"} for e in answer["errors"])
        assert any("NUL" in e["message"] for e in answer["errors"])
        expected = "body" if form == "raw" else {"video-complete": "video_path", "progress": "step"}.get(route)
        if where == "value" and expected:
            assert [e["field"] for e in answer["errors"]] == [expected]
    assert not _holds_nul(answer)

    # No effect.
    video.refresh_from_db()
    assert video.status == "processing" and video.video_path == ""
    assert "progress" not in video.metadata
    assert not VideoEvent.objects.filter(video=video).exclude(to_status="processing").exists()
    assert not VideoCost.objects.exists()
    nul_customer.refresh_from_db()
    assert nul_customer.tier == "free"
    assert not BillingSubscription.objects.exists()

    # One refusal row, stored, with a safe rendering of what was sent.
    row = WebhookEvent.objects.get()
    assert row.result == WebhookResult.REJECTED
    assert row.status_code == response.status_code
    assert row.signature_valid is signed
    assert row.source == ("stripe" if route == "stripe" else "n8n")
    assert row.body_bytes == len(body.encode())
    assert not _holds_nul(row.payload) and not _holds_nul(row.error) and NUL not in row.event_id
    assert row.payload  # something an operator can read, not an empty dict
    # And a log line for it.
    assert any(r.getMessage() == "webhook refused" for r in caplog.records)


def test_nul_in_the_webhook_id_header_is_refused(api_client, make_video):
    video = make_video()
    body = json.dumps({"video_id": str(video.pk), "step": "render", "percent": 40})
    response = api_client.generic(
        "POST",
        N8N_PATHS["progress"],
        body.encode(),
        content_type="application/json",
        **n8n_headers(body, msg_id=f"msg{NUL}nul"),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "webhook-id"
    video.refresh_from_db()
    assert "progress" not in video.metadata
    row = WebhookEvent.objects.get()
    assert row.result == WebhookResult.REJECTED and NUL not in row.event_id


def test_unpaired_surrogate_escape_is_refused_like_nul(n8n_post, make_video):
    """The same class: JSON may escape a lone surrogate (\\ud800) that no UTF-8 column can hold."""
    video = make_video()
    body = json.dumps({"video_id": str(video.pk), "step": "render", "percent": 40}).replace("render", "ren\\ud800der")
    response = n8n_post("progress", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "step"
    video.refresh_from_db()
    assert "progress" not in video.metadata
    assert WebhookEvent.objects.get().result == WebhookResult.REJECTED


def test_deeply_nested_bodies_are_refused_not_crashed(api_client, n8n_post, make_video):
    video = make_video()
    nested = "[" * 5000 + "1" + "]" * 5000
    deep = f'{{"video_id": "{video.pk}", "step": "render", "percent": 40, "x": {nested}}}'
    signed = n8n_post("progress", deep)
    unsigned = api_client.generic("POST", N8N_PATHS["progress"], deep.encode(), content_type="application/json")
    assert signed.status_code == 400 and signed.json()["errors"]
    assert unsigned.status_code == 401
    video.refresh_from_db()
    assert "progress" not in video.metadata
    assert WebhookEvent.objects.filter(result=WebhookResult.REJECTED).count() == 2


def test_the_refusal_log_itself_never_stores_nul(db):
    """Whatever a caller hands the log, the row it writes can be stored."""
    body = b'{"k\x00": ["v\x00"], "n": "\\u0000"}'
    row = webhook_log_refusal(
        source="n8n",
        error=f"bad{NUL}thing",
        status_code=400,
        event_id=f"msg{NUL}1",
        event_type=f"pro{NUL}gress",
        body=body,
    )
    row.refresh_from_db()
    assert not _holds_nul(row.payload) and NUL not in row.error + row.event_id + row.event_type
    assert row.payload == {"_body": '{"k\ufffd": ["v\ufffd"], "n": "\\u0000"}'}
    assert (row.event_id, row.event_type, row.body_bytes) == ("msg\ufffd1", "pro\ufffdgress", len(body))


def test_a_refused_unreadable_body_cannot_be_reprocessed(staff_client, n8n_post, make_video):
    """A signed body refused for NUL keeps only its text; re-processing it is refused, so nothing
    altered for storage can ever take effect as if it had been signed."""
    video = make_video()
    body = json.dumps({"video_id": str(video.pk), "step": f"ren{NUL}der", "percent": 40})
    assert n8n_post("progress", body, msg_id="msg_nul_reprocess").status_code == 400
    row = WebhookEvent.objects.get(event_id="msg_nul_reprocess")
    assert row.signature_valid and set(row.payload) == {"_body"}

    response = staff_client.post(
        reverse("admin:webhooks_webhookevent_changelist"),
        {"action": "reprocess_events", "_selected_action": [str(row.pk)]},
        follow=True,
    )

    assert "refused as unreadable" in response.content.decode()
    video.refresh_from_db()
    assert "progress" not in video.metadata
    row.refresh_from_db()
    assert row.result == WebhookResult.REJECTED


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_non_finite_numbers_are_refused_not_crashed(api_client, make_video, number, signed):
    """The same class: Python's JSON parser accepts NaN/Infinity (and 1e999 overflows to inf),
    which no JSON column can hold and RFC 8259 does not allow."""
    video = make_video()
    body = f'{{"video_id": "{video.pk}", "current_cost": {number}}}'
    headers = n8n_headers(body) if signed else {}
    response = api_client.generic(
        "POST", N8N_PATHS["cost-alert"], body.encode(), content_type="application/json", **headers
    )
    assert response.status_code == (400 if signed else 401)
    if signed:
        assert response.json()["errors"][0]["field"] == "body"
    row = WebhookEvent.objects.get()
    assert row.result == WebhookResult.REJECTED and row.payload == {"_body": body}
