"""Standard Webhooks authentication of the N8N callbacks: every way a signature can be wrong."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from videos.models import VideoEvent
from webhooks.models import WebhookEvent, WebhookResult
from webhooks.tests.conftest import N8N_PATHS, N8N_SECRET, OLD_N8N_SECRET, n8n_headers, sign_n8n

pytestmark = pytest.mark.django_db


def _progress_body(video, percent=40) -> str:
    return json.dumps({"video_id": str(video.pk), "step": "render", "percent": percent})


def _post_raw(api_client, path, body: str, headers: dict):
    return api_client.generic("POST", path, body.encode(), content_type="application/json", **headers)


def _assert_refused(response, video, fragment: str, code: str):
    """The seed's 401 body with the reason as ``code``; the full reason goes to the delivery log."""
    assert response.status_code == 401, response.content
    assert response.json() == {"detail": "Could not validate credentials", "code": code}
    video.refresh_from_db()
    assert "progress" not in video.metadata
    assert not VideoEvent.objects.filter(video=video).exists()
    logged = WebhookEvent.objects.get()
    assert logged.result == WebhookResult.REJECTED
    assert logged.signature_valid is False
    assert logged.status_code == 401
    assert fragment in logged.error


def test_valid_signature_is_accepted_and_logged(api_client, make_video):
    video = make_video()
    body = _progress_body(video)
    response = _post_raw(api_client, N8N_PATHS["progress"], body, n8n_headers(body, msg_id="msg_valid_1"))

    assert response.status_code == 200, response.content
    assert response.json()["applied"] is True
    assert response.json()["duplicate"] is False
    video.refresh_from_db()
    assert video.metadata["progress"]["percent"] == 40
    logged = WebhookEvent.objects.get()
    assert (logged.source, logged.event_id, logged.event_type) == ("n8n", "msg_valid_1", "progress")
    assert logged.result == WebhookResult.PROCESSED and logged.signature_valid
    assert logged.payload["percent"] == 40
    assert logged.processed_at is not None


def test_signature_as_n8n_crypto_node_computes_it(api_client, make_video):
    """HMAC-SHA256, key = base64-decoded part after "whsec_", message "{id}.{ts}.{body}", base64 digest."""
    video = make_video()
    body = _progress_body(video)
    msg_id, ts = "msg_crypto_node", int(time.time())
    key = base64.b64decode(N8N_SECRET.removeprefix("whsec_"))
    digest = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()).decode()
    headers = {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(ts), "HTTP_WEBHOOK_SIGNATURE": f"v1,{digest}"}

    response = _post_raw(api_client, N8N_PATHS["progress"], body, headers)

    assert response.status_code == 200, response.content
    assert f"v1,{digest}" == sign_n8n(body, msg_id=msg_id, timestamp=ts)


def test_wrong_secret_is_refused(api_client, make_video):
    video = make_video()
    body = _progress_body(video)
    other = "whsec_" + base64.b64encode(b"someone-elses-secret-0000000000").decode()
    response = _post_raw(api_client, N8N_PATHS["progress"], body, n8n_headers(body, secret=other))
    _assert_refused(response, video, "Invalid webhook signature", "signature_invalid")


def test_one_flipped_byte_of_the_body_is_refused(api_client, make_video):
    video = make_video()
    body = _progress_body(video, percent=40)
    headers = n8n_headers(body)
    tampered = body.replace('"percent": 40', '"percent": 41')
    assert len(tampered) == len(body) and tampered != body
    response = _post_raw(api_client, N8N_PATHS["progress"], tampered, headers)
    _assert_refused(response, video, "Invalid webhook signature", "signature_invalid")


def test_same_json_respaced_is_refused(api_client, make_video):
    """The signature covers the exact bytes, not the JSON value."""
    video = make_video()
    compact = json.dumps({"video_id": str(video.pk), "step": "render", "percent": 40}, separators=(",", ":"))
    headers = n8n_headers(compact)
    respaced = json.dumps(json.loads(compact), indent=2)
    response = _post_raw(api_client, N8N_PATHS["progress"], respaced, headers)
    _assert_refused(response, video, "Invalid webhook signature", "signature_invalid")


@pytest.mark.parametrize(
    ("offset", "fragment", "code"),
    [
        (-301, "too old", "timestamp_expired"),
        (-3600, "too old", "timestamp_expired"),
        (301, "too new", "timestamp_in_future"),
        (86400, "too new", "timestamp_in_future"),
    ],
)
def test_timestamps_outside_the_tolerance_are_refused(api_client, make_video, offset, fragment, code):
    video = make_video()
    body = _progress_body(video)
    headers = n8n_headers(body, timestamp=int(time.time()) + offset)
    response = _post_raw(api_client, N8N_PATHS["progress"], body, headers)
    _assert_refused(response, video, fragment, code)


def test_timestamp_inside_the_tolerance_is_accepted(api_client, make_video):
    video = make_video()
    body = _progress_body(video)
    response = _post_raw(api_client, N8N_PATHS["progress"], body, n8n_headers(body, timestamp=int(time.time()) - 240))
    assert response.status_code == 200, response.content


def test_non_numeric_timestamp_is_refused(api_client, make_video):
    video = make_video()
    body = _progress_body(video)
    headers = n8n_headers(body)
    headers["HTTP_WEBHOOK_TIMESTAMP"] = "2025-01-01T00:00:00Z"
    response = _post_raw(api_client, N8N_PATHS["progress"], body, headers)
    _assert_refused(response, video, "webhook-timestamp", "timestamp_invalid")


@pytest.mark.parametrize("missing", ["HTTP_WEBHOOK_ID", "HTTP_WEBHOOK_TIMESTAMP", "HTTP_WEBHOOK_SIGNATURE"])
def test_missing_headers_are_refused(api_client, make_video, missing):
    video = make_video()
    body = _progress_body(video)
    headers = n8n_headers(body)
    del headers[missing]
    response = _post_raw(api_client, N8N_PATHS["progress"], body, headers)
    header_name = missing.removeprefix("HTTP_").lower().replace("_", "-")
    _assert_refused(response, video, header_name, "signature_missing")


@pytest.mark.parametrize("signature", ["garbage", "v1,not-base64!!", "v2,AAAA", ""])
def test_malformed_signature_header_is_refused(api_client, make_video, signature):
    video = make_video()
    body = _progress_body(video)
    headers = n8n_headers(body)
    headers["HTTP_WEBHOOK_SIGNATURE"] = signature
    response = _post_raw(api_client, N8N_PATHS["progress"], body, headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "Could not validate credentials"
    codes = {"signature_missing"} if signature == "" else {"signature_malformed", "signature_invalid"}
    assert response.json()["code"] in codes
    video.refresh_from_db()
    assert "progress" not in video.metadata


def test_rotated_secret_any_of_several_signatures_may_match(api_client, make_video, settings):
    """During a rotation n8n signs with the old and the new secret; the server holds the new one."""
    video = make_video()
    body = _progress_body(video)
    msg_id, ts = "msg_rotation", int(time.time())
    old = sign_n8n(body, msg_id=msg_id, timestamp=ts, secret=OLD_N8N_SECRET)
    new = sign_n8n(body, msg_id=msg_id, timestamp=ts, secret=N8N_SECRET)
    headers = {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(ts), "HTTP_WEBHOOK_SIGNATURE": f"{old} {new}"}

    assert _post_raw(api_client, N8N_PATHS["progress"], body, headers).status_code == 200

    # Only the retired secret: refused.
    headers = n8n_headers(body, secret=OLD_N8N_SECRET)
    assert _post_raw(api_client, N8N_PATHS["progress"], body, headers).status_code == 401


@pytest.mark.parametrize("path", [*N8N_PATHS.values(), "/api/v1/webhooks/stripe"])
def test_every_route_refuses_unsigned_requests(api_client, make_video, path):
    video = make_video()
    body = json.dumps({"video_id": str(video.pk), "status": "completed", "video_path": "/x.mp4"})
    response = _post_raw(api_client, path, body, {})
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials", "code": "signature_missing"}
    video.refresh_from_db()
    assert video.status == "processing"
    logged = WebhookEvent.objects.get()
    assert logged.result == WebhookResult.REJECTED and not logged.signature_valid


@pytest.mark.parametrize("path", list(N8N_PATHS.values()))
def test_routes_work_with_and_without_trailing_slash(api_client, path):
    assert _post_raw(api_client, path + "/", "{}", {}).status_code == 401


def test_unconfigured_secret_refuses_everything(api_client, make_video, settings):
    settings.N8N_WEBHOOK_SECRET = ""
    video = make_video()
    body = _progress_body(video)
    response = _post_raw(api_client, N8N_PATHS["progress"], body, n8n_headers(body))
    assert response.status_code == 503
    assert "not configured" in response.json()["detail"]
    video.refresh_from_db()
    assert "progress" not in video.metadata


def test_body_over_the_limit_is_413_before_parsing(api_client, make_video, settings):
    video = make_video()
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    body = json.dumps({"video_id": str(video.pk), "step": "x" * 2000, "percent": 1})
    response = _post_raw(api_client, N8N_PATHS["progress"], body, n8n_headers(body))
    assert response.status_code == 413
    assert "limit 1024" in response.json()["detail"]
    logged = WebhookEvent.objects.get()
    assert logged.status_code == 413 and logged.body_bytes == len(body)
    assert logged.payload == {}


def test_signed_but_malformed_json_is_400(api_client, make_video):
    make_video()
    body = '{"video_id": '
    response = _post_raw(api_client, N8N_PATHS["progress"], body, n8n_headers(body))
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["detail"]
    assert WebhookEvent.objects.get().signature_valid is True


def test_secret_never_appears_in_the_log_table(api_client, make_video):
    video = make_video()
    body = _progress_body(video)
    _post_raw(api_client, N8N_PATHS["progress"], body, n8n_headers(body))
    _post_raw(api_client, N8N_PATHS["progress"], body, {})
    for row in WebhookEvent.objects.all():
        assert N8N_SECRET not in json.dumps(row.payload) + row.error + json.dumps(row.response)
