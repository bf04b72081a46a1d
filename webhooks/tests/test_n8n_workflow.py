"""The shipped n8n workflow: importable structure, and its signing reproduces what the API verifies."""

import base64
import hashlib
import hmac
import json
import re
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from webhooks.management.commands.n8n_webhook_secret import new_secret_pair, signing_key_from_whsec
from webhooks.tests.conftest import N8N_PATHS

WORKFLOW = Path(__file__).resolve().parent.parent / "n8n" / "render_workflow.json"


@pytest.fixture(scope="module")
def workflow():
    return json.loads(WORKFLOW.read_text())


def _node(workflow, name):
    return next(node for node in workflow["nodes"] if node["name"] == name)


def test_workflow_is_a_connected_chain_of_known_nodes(workflow):
    names = [node["name"] for node in workflow["nodes"]]
    assert len(names) == len(set(names))
    for source, outputs in workflow["connections"].items():
        assert source in names
        for branch in outputs["main"]:
            for link in branch:
                assert link["node"] in names
    # Walk the chain from the trigger.
    order, current = [], "Render request"
    while current:
        order.append(current)
        nxt = workflow["connections"].get(current, {}).get("main", [[]])[0]
        current = nxt[0]["node"] if nxt else None
    assert order == [
        "Render request",
        "Build progress message",
        "Sign progress",
        "Send progress",
        "Render (placeholder)",
        "Build completion message",
        "Sign completion",
        "Send completion",
    ]


def test_trigger_uses_header_auth_on_the_path_the_render_provider_calls(workflow):
    trigger = _node(workflow, "Render request")
    assert trigger["type"] == "n8n-nodes-base.webhook"
    assert trigger["parameters"]["authentication"] == "headerAuth"
    assert trigger["parameters"]["path"] == "ytempire-render"
    assert "httpHeaderAuth" in trigger["credentials"]


@pytest.mark.parametrize(
    ("sign", "send", "kind"),
    [("Sign progress", "Send progress", "progress"), ("Sign completion", "Send completion", "video-complete")],
)
def test_crypto_and_http_nodes_sign_and_send_the_same_raw_body(workflow, sign, send, kind):
    crypto = _node(workflow, sign)["parameters"]
    assert (crypto["action"], crypto["type"], crypto["encoding"]) == ("hmac", "SHA256", "base64")
    assert crypto["value"] == "={{ $json.webhook_id }}.{{ $json.webhook_timestamp }}.{{ $json.body }}"
    assert crypto["secret"].startswith("={{ $env.")  # never a literal secret
    http = _node(workflow, send)["parameters"]
    assert http["url"].endswith(N8N_PATHS[kind])
    assert (http["contentType"], http["body"]) == ("raw", "={{ $json.body }}")
    headers = {h["name"]: h["value"] for h in http["headerParameters"]["parameters"]}
    assert headers == {
        "webhook-id": "={{ $json.webhook_id }}",
        "webhook-timestamp": "={{ $json.webhook_timestamp }}",
        "webhook-signature": "=v1,{{ $json.signature }}",
    }


def test_no_secret_is_shipped_in_the_workflow():
    text = WORKFLOW.read_text()
    assert "whsec_" not in text and not re.search(r"sk_(live|test)_", text)


@pytest.mark.django_db
def test_a_callback_signed_like_the_crypto_node_is_accepted(api_client, make_video, settings):
    """Mirror the nodes: JSON.stringify'd body, HMAC-SHA256 keyed with the text signing key, base64."""
    signing_key, whsec = new_secret_pair()
    settings.N8N_WEBHOOK_SECRET = whsec
    video = make_video()
    body = json.dumps(
        {"video_id": str(video.pk), "step": "render", "percent": 10, "message": "render started"}, separators=(",", ":")
    )
    webhook_id, timestamp = "msg_4711_progress_10", str(int(time.time()))
    value = f"{webhook_id}.{timestamp}.{body}"
    signature = base64.b64encode(hmac.new(signing_key.encode(), value.encode(), hashlib.sha256).digest()).decode()

    response = api_client.generic(
        "POST",
        N8N_PATHS["progress"],
        body.encode(),
        content_type="application/json",
        HTTP_WEBHOOK_ID=webhook_id,
        HTTP_WEBHOOK_TIMESTAMP=timestamp,
        HTTP_WEBHOOK_SIGNATURE=f"v1,{signature}",
    )
    assert response.status_code == 200, response.content


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
