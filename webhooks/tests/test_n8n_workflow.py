"""The shipped n8n workflow: what n8n needs to import it, how it answers the API, how it delivers.

The workflow's JavaScript runs only inside n8n; `webhooks/n8n/check.sh` runs it against a real
n8n 1.123 and a running API (not part of `make test`). Here: the file's structure, and the API
side of its delivery contract, with callbacks signed exactly as the "Deliver ..." nodes sign them.
"""

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from webhooks.management.commands.n8n_webhook_secret import new_secret_pair, signing_key_from_whsec
from webhooks.models import WebhookEvent, WebhookResult
from webhooks.tests.conftest import N8N_PATHS, N8N_SECRET, OLD_N8N_SECRET

WORKFLOW = Path(__file__).resolve().parent.parent / "n8n" / "render_workflow.json"
DELIVERIES = ("Deliver progress", "Deliver cost check", "Deliver completion")
MAIN_PATH = [
    "Render request",
    "Read request",
    "n8n ready?",
    "Request valid?",
    "Accept request",
    "Build progress message",
    "Deliver progress",
    "Build cost check",
    "Deliver cost check",
    "API says continue?",
    "Render (placeholder)",
    "Build completion message",
    "Deliver completion",
]


@pytest.fixture(scope="module")
def workflow():
    return json.loads(WORKFLOW.read_text())


def _node(workflow, name):
    return next(node for node in workflow["nodes"] if node["name"] == name)


def _code(workflow, name) -> str:
    return _node(workflow, name)["parameters"]["jsCode"]


def _outputs(workflow, name) -> list[list[str]]:
    """The nodes each output of ``name`` leads to (output 0 = main / IF true, 1 = IF false)."""
    return [[link["node"] for link in branch] for branch in workflow["connections"].get(name, {}).get("main", [])]


# --- structure --------------------------------------------------------------------------------


def test_the_file_carries_the_ids_n8n_import_needs(workflow):
    """n8n 1.123.0's `import:workflow` inserts the file's versionId as is (NOT NULL)."""
    assert str(uuid.UUID(workflow["versionId"])) == workflow["versionId"]
    assert re.fullmatch(r"[A-Za-z0-9]{1,36}", workflow["id"])
    assert workflow["active"] is False
    node_ids = [node["id"] for node in workflow["nodes"]]
    assert len(node_ids) == len(set(node_ids)) and all(node_ids)


def test_the_workflow_is_one_connected_graph_of_known_nodes(workflow):
    names = [node["name"] for node in workflow["nodes"]]
    assert len(names) == len(set(names))
    for source, outputs in workflow["connections"].items():
        assert source in names
        for branch in outputs["main"]:
            for link in branch:
                assert link["node"] in names
    order, current = [], "Render request"
    while current:
        order.append(current)
        outputs = _outputs(workflow, current)
        current = outputs[0][0] if outputs and outputs[0] else None
    assert order == MAIN_PATH
    assert _outputs(workflow, "n8n ready?")[1] == ["Refuse: n8n not set up"]
    assert _outputs(workflow, "Request valid?")[1] == ["Refuse request"]
    assert _outputs(workflow, "API says continue?")[1] == ["Stopped by the API"]
    assert set(names) == {*MAIN_PATH, "Refuse: n8n not set up", "Refuse request", "Stopped by the API"}


def test_trigger_uses_header_auth_on_the_path_the_render_provider_calls(workflow):
    trigger = _node(workflow, "Render request")
    assert trigger["type"] == "n8n-nodes-base.webhook"
    assert trigger["parameters"]["authentication"] == "headerAuth"
    assert trigger["parameters"]["path"] == "ytempire-render"
    assert trigger["parameters"]["httpMethod"] == "POST"
    assert "httpHeaderAuth" in trigger["credentials"]


def test_the_trigger_answers_with_the_execution_id_before_any_callback(workflow):
    """ "Immediately" answers before the execution has an id (the API recorded execution_id = "")."""
    assert _node(workflow, "Render request")["parameters"]["responseMode"] == "responseNode"
    accept = _node(workflow, "Accept request")
    assert accept["type"] == "n8n-nodes-base.respondToWebhook"
    assert accept["parameters"]["respondWith"] == "json"
    assert "executionId: $execution.id" in accept["parameters"]["responseBody"]
    assert MAIN_PATH.index("Accept request") < min(MAIN_PATH.index(name) for name in DELIVERIES)
    refuse = _node(workflow, "Refuse request")
    assert refuse["type"] == "n8n-nodes-base.respondToWebhook"
    assert refuse["parameters"]["options"]["responseCode"] == 400
    assert "$json.problems" in refuse["parameters"]["responseBody"]


def test_an_n8n_that_cannot_sign_refuses_the_render_with_503(workflow):
    """Without Node's crypto or the key, no callback could ever be delivered: the trigger says so
    at once with a status the render provider treats as transient (retried later)."""
    read = _code(workflow, "Read request")
    for needed in (
        "NODE_FUNCTION_ALLOW_BUILTIN=crypto",
        "YTEMPIRE_WEBHOOK_SIGNING_KEY",
        "N8N_BLOCK_ENV_ACCESS_IN_NODE",
    ):
        assert needed in read
    gate = _node(workflow, "n8n ready?")["parameters"]["conditions"]["conditions"][0]
    assert gate["leftValue"] == "={{ $json.ready }}"
    refuse = _node(workflow, "Refuse: n8n not set up")
    assert refuse["type"] == "n8n-nodes-base.respondToWebhook"
    assert refuse["parameters"]["options"]["responseCode"] == 503
    assert "$json.setup" in refuse["parameters"]["responseBody"]


def test_the_request_must_carry_the_callbacks_and_the_audio_the_api_sends(workflow):
    """The workflow reads `callbacks.progress|complete|cost_alert` and `audio_path` from the API's
    render payload (videos.pipeline.steps) and refuses a request without them; nothing is posted
    to a URL configured in n8n."""
    read = _code(workflow, "Read request")
    for field in ("'progress', 'complete', 'cost_alert'", "callbacks.${name} must be an http(s) URL", "audio_path"):
        assert field in read
    urls = {
        "Build progress message": "r.callbacks.progress",
        "Build cost check": "r.callbacks.cost_alert",
        "Build completion message": "request.callbacks.complete",
    }
    for name, url in urls.items():
        assert f"url: {url}" in _code(workflow, name)
    assert "audio_path: r.audio_path" in _code(workflow, "Render (placeholder)")
    assert "payload.audio_path" in _code(workflow, "Build completion message")
    assert "YTEMPIRE_API_URL" not in WORKFLOW.read_text()


def test_no_node_swallows_an_error_or_retries_blindly(workflow):
    """n8n's own retry (`retryOnFail`) repeats any failure, 401/409/400 included, and
    `continueRegularOutput` let a failed progress call pass as success: neither is used; the
    Deliver code retries only network errors, 5xx and 429."""
    for node in workflow["nodes"]:
        assert node.get("onError", "stopWorkflow") == "stopWorkflow", node["name"]
        assert not node.get("retryOnFail"), node["name"]
        assert node["type"] != "n8n-nodes-base.httpRequest", node["name"]
    deliver = _code(workflow, "Deliver progress")
    assert "const isTransient = (status) => status === 0 || status === 429 || status >= 500;" in deliver
    assert "if (!isTransient(status)) {\n    throw new Error(" in deliver
    assert "if (!msg.required) {" in deliver


def test_deliveries_are_signed_at_send_time_by_one_shared_code(workflow):
    """A Crypto node's signature is stored with the execution, and "Retry execution" re-sends it:
    stale after five minutes, wrong after a key change. The Deliver nodes sign inside their
    retry loop; the webhook-id comes from their stored input."""
    codes = {_code(workflow, name) for name in DELIVERIES}
    assert len(codes) == 1
    deliver = codes.pop()
    assert not [node for node in workflow["nodes"] if node["type"] == "n8n-nodes-base.crypto"]
    loop = deliver[deliver.index("for (let attempt = 1;") :]
    assert "const timestamp = String(Math.floor(Date.now() / 1000));" in loop
    assert "'webhook-signature': sign(timestamp)" in loop
    assert "'webhook-id': msg.webhook_id" in loop
    assert "$execution" not in deliver  # a retried execution has a new id; the webhook-id must not change
    assert "$env.YTEMPIRE_WEBHOOK_SIGNING_KEY" in deliver


def test_webhook_ids_are_fixed_once_per_render_request(workflow):
    """Made in "Read request" and stored with the execution: every try and every retried
    execution sends the same id, so the API applies each callback once."""
    read = _code(workflow, "Read request")
    assert "webhook_ids: { cost_alert: id('cost_alert'), progress: id('progress'), complete: id('complete') }" in read
    builds = {
        "Build progress message": ("webhook_ids.progress,", "required: false"),
        "Build cost check": ("webhook_ids.cost_alert,", "required: true"),
        "Build completion message": ("webhook_ids.complete,", "required: true"),
    }
    for name, (webhook_id, required) in builds.items():
        code = _code(workflow, name)
        assert webhook_id in code and required in code and "JSON.stringify(" in code


def test_the_render_runs_only_when_the_api_says_continue(workflow):
    gate = _node(workflow, "API says continue?")["parameters"]["conditions"]["conditions"][0]
    assert (gate["leftValue"], gate["rightValue"], gate["operator"]["operation"]) == (
        "={{ $json.answer.action }}",
        "CONTINUE",
        "equals",
    )


def test_no_secret_is_shipped_in_the_workflow():
    text = WORKFLOW.read_text()
    assert not re.search(r"whsec_[A-Za-z0-9+/=]{8,}", text)
    assert not re.search(r"sk_(live|test)_", text)


# --- the API side of the delivery contract ------------------------------------------------------


def _deliver(api_client, kind: str, body: str, *, webhook_id: str, keys: list[str]):
    """Sign and post like the Deliver node: timestamp now; HMAC-SHA256 over "{id}.{ts}.{body}"
    keyed with the whsec_ secret's bytes (or the text key), one `v1,` signature per key."""
    timestamp = str(int(time.time()))
    signatures = []
    for key in keys:
        secret = base64.b64decode(key.removeprefix("whsec_")) if key.startswith("whsec_") else key.encode()
        digest = hmac.new(secret, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
        signatures.append("v1," + base64.b64encode(digest).decode())
    return api_client.generic(
        "POST",
        N8N_PATHS[kind],
        body.encode(),
        content_type="application/json",
        HTTP_WEBHOOK_ID=webhook_id,
        HTTP_WEBHOOK_TIMESTAMP=timestamp,
        HTTP_WEBHOOK_SIGNATURE=" ".join(signatures),
    )


def _js_json(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)  # JSON.stringify's output


@pytest.mark.django_db
def test_a_render_delivered_like_the_workflow_is_applied_once(api_client, make_video):
    """Progress, cost check and completion as the workflow sends them; the completion's answer is
    "lost" and it is sent again (same webhook-id, new timestamp and signature): one effect."""
    video = make_video(title="Ünïcode ✓ title")
    ids = {kind: f"msg_17_0a1b2c3d4e5f_{kind}" for kind in ("progress", "cost_alert", "complete")}
    progress = _js_json({"video_id": str(video.pk), "step": "render", "percent": 10, "message": "render started"})
    cost = _js_json({"video_id": str(video.pk), "service": "rendering"})
    complete = _js_json(
        {
            "video_id": str(video.pk),
            "status": "completed",
            "costs": [{"service": "rendering", "amount": 0.1}, {"service": "thumbnail", "amount": 0.02}],
            "video_path": f"/media/video/{video.pk}.mp4",
            "thumbnail_path": f"/media/thumbnails/{video.pk}.png",
            "audio_path": f"/media/audio/{video.pk}.mp3",
            "duration_seconds": 60,
        }
    )

    answers = [
        _deliver(api_client, "progress", progress, webhook_id=ids["progress"], keys=[N8N_SECRET]),
        _deliver(api_client, "cost-alert", cost, webhook_id=ids["cost_alert"], keys=[N8N_SECRET]),
        _deliver(api_client, "video-complete", complete, webhook_id=ids["complete"], keys=[N8N_SECRET]),
    ]
    again = _deliver(api_client, "video-complete", complete, webhook_id=ids["complete"], keys=[N8N_SECRET])

    assert [answer.status_code for answer in answers] == [200, 200, 200], [a.content for a in answers]
    assert answers[0].json()["applied"] is True
    assert answers[1].json()["action"] == "CONTINUE"
    assert answers[2].json()["video_status"] == "ready"
    assert again.status_code == 200 and again.json() == {**answers[2].json(), "duplicate": True}
    video.refresh_from_db()
    assert (video.status, video.audio_path) == ("ready", f"/media/audio/{video.pk}.mp3")
    assert WebhookEvent.objects.filter(event_id=ids["complete"], result=WebhookResult.PROCESSED).count() == 1


@pytest.mark.django_db
def test_a_retried_delivery_succeeds_after_the_key_is_fixed(api_client, make_video, settings):
    """ "Retry execution" re-runs the Deliver node: same webhook-id, signed again with the key of
    the retry. A 401 does not burn the id."""
    video = make_video()
    body = _js_json({"video_id": str(video.pk), "step": "render", "percent": 10, "message": "render started"})
    refused = _deliver(api_client, "progress", body, webhook_id="msg_3_abc_progress", keys=[OLD_N8N_SECRET])
    retried = _deliver(api_client, "progress", body, webhook_id="msg_3_abc_progress", keys=[N8N_SECRET])

    assert refused.status_code == 401
    assert retried.status_code == 200 and retried.json()["applied"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["whsec", "text", "rotation"])
def test_every_key_form_the_deliver_node_accepts_verifies(api_client, make_video, settings, form):
    """YTEMPIRE_WEBHOOK_SIGNING_KEY may hold the whsec_ secret, its text form, or several keys."""
    text_key, whsec = new_secret_pair()
    settings.N8N_WEBHOOK_SECRET = whsec
    keys = {"whsec": [whsec], "text": [text_key], "rotation": [OLD_N8N_SECRET, whsec]}[form]
    video = make_video()
    body = _js_json({"video_id": str(video.pk), "step": "render", "percent": 10, "message": "render started"})

    response = _deliver(api_client, "progress", body, webhook_id=f"msg_1_{form}_progress", keys=keys)

    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_a_cancelled_video_is_refused_permanently_at_completion(api_client, make_video):
    """409 is not transient: the Deliver node stops at once instead of retrying it."""
    video = make_video(status="cancelled")
    body = _js_json({"video_id": str(video.pk), "status": "completed", "video_path": "/media/v.mp4", "costs": []})

    response = _deliver(api_client, "video-complete", body, webhook_id="msg_9_abc_complete", keys=[N8N_SECRET])

    assert response.status_code == 409


def test_secret_pair_round_trips():
    key, whsec = new_secret_pair()
    assert whsec.startswith("whsec_") and signing_key_from_whsec(whsec) == key
    assert signing_key_from_whsec("whsec_" + base64.b64encode(bytes(range(200, 232))).decode()) is None


def test_secret_command_generates_and_checks(settings):
    out = StringIO()
    call_command("n8n_webhook_secret", stdout=out)
    whsec = re.search(r"N8N_WEBHOOK_SECRET=(\S+)", out.getvalue()).group(1)
    settings.N8N_WEBHOOK_SECRET = whsec
    out = StringIO()
    call_command("n8n_webhook_secret", "--check", stdout=out)
    assert "usable" in out.getvalue()
    settings.N8N_WEBHOOK_SECRET = "whsec_" + base64.b64encode(bytes(range(200, 232))).decode()
    with pytest.raises(CommandError):
        call_command("n8n_webhook_secret", "--check")
