"""The providers' real client code against local fake servers."""

import json
from pathlib import Path

import pytest

from videos.providers import PermanentProviderError, TransientProviderError
from videos.providers.render import N8NRenderProvider, SandboxRenderProvider
from videos.providers.script import OpenAIScriptProvider, SandboxScriptProvider
from videos.providers.voice import ElevenLabsVoiceProvider, GoogleTTSVoiceProvider, SandboxVoiceProvider
from videos.tests.fakes import FakeN8N, FakeOpenAI, FakeServer, FakeTTS


@pytest.fixture
def fake_openai(settings):
    server = FakeOpenAI().start()
    settings.OPENAI_BASE_URL = f"{server.url}/v1"
    settings.OPENAI_API_KEY = "sk-test-fake"
    yield server
    server.stop()


@pytest.fixture
def fake_tts(settings):
    server = FakeTTS().start()
    settings.ELEVENLABS_BASE_URL = server.url
    settings.ELEVENLABS_API_KEY = "el-key"
    settings.GOOGLE_TTS_BASE_URL = server.url
    settings.GOOGLE_TTS_API_KEY = "g-key"
    yield server
    server.stop()


@pytest.fixture
def fake_n8n(settings):
    server = FakeN8N(api_key="n8n-key").start()
    settings.N8N_RENDER_WORKFLOW_URL = f"{server.url}/webhook/ytempire-render"
    settings.N8N_API_KEY = "n8n-key"
    yield server
    server.stop()


def test_openai_script_uses_usage_from_the_response(fake_openai):
    result = OpenAIScriptProvider().write(
        niche="Cooking", title="Five pasta myths", channel_settings={"tone": "witty"}, model="gpt-4"
    )

    assert "Five pasta myths" in result.script
    assert result.description == "About Five pasta myths."
    assert result.tags == ["fake", "ai"]
    assert (result.prompt_tokens, result.completion_tokens, result.total_tokens) == (120, 480, 600)
    sent = fake_openai.requests[-1]
    assert sent["headers"]["authorization"] == "Bearer sk-test-fake"
    assert b"Tone: witty" in sent["body"]
    assert b'"model": "gpt-4"' in sent["body"] or b'"model":"gpt-4"' in sent["body"]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, TransientProviderError),
        (503, TransientProviderError),
        (400, PermanentProviderError),
        (401, PermanentProviderError),
    ],
)
def test_openai_errors_are_classified(fake_openai, status, error):
    fake_openai.fail_next(status)
    with pytest.raises(error):
        OpenAIScriptProvider().write(niche="n", title="t", channel_settings={}, model="gpt-3.5-turbo")


def test_openai_unreachable_is_transient(settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:1/v1"
    with pytest.raises(TransientProviderError):
        OpenAIScriptProvider().write(niche="n", title="t", channel_settings={}, model="gpt-3.5-turbo")


def test_openai_titles(fake_openai):
    titles, tokens = OpenAIScriptProvider().titles(niche="Tech", avoid=["Old"], count=3, model="gpt-3.5-turbo")
    assert len(titles) == 3
    assert tokens == 600


def test_elevenlabs_and_google_tts_write_audio(fake_tts):
    eleven = ElevenLabsVoiceProvider().synthesize(video_id="v1", text="hello world")
    google = GoogleTTSVoiceProvider().synthesize(video_id="v2", text="hello")

    assert Path(eleven.path).read_bytes() == FakeTTS.AUDIO
    assert Path(google.path).read_bytes() == FakeTTS.AUDIO
    assert (eleven.characters, google.characters) == (11, 5)
    assert fake_tts.requests[0]["headers"]["xi-api-key"] == "el-key"
    assert fake_tts.requests[1]["query"]["key"] == ["g-key"]


def test_tts_errors_are_classified(fake_tts):
    fake_tts.fail_next(500)
    with pytest.raises(TransientProviderError):
        ElevenLabsVoiceProvider().synthesize(video_id="v", text="x")
    fake_tts.fail_next(422)
    with pytest.raises(PermanentProviderError):
        GoogleTTSVoiceProvider().synthesize(video_id="v", text="x")


def test_n8n_render_sends_the_header_credential(fake_n8n, settings):
    accepted = N8NRenderProvider().start(payload={"video_id": "abc"})
    assert accepted.execution_id == "exec-1"
    assert fake_n8n.requests[0]["headers"]["x-n8n-api-key"] == "n8n-key"

    settings.N8N_API_KEY = "wrong"
    with pytest.raises(PermanentProviderError):
        N8NRenderProvider().start(payload={"video_id": "abc"})


class FakeRenderWorkflow(FakeServer):
    """The render workflow's trigger as n8n answers it: the header credential, then ``answer``."""

    def __init__(self, *, api_key: str, answer: tuple[int, object]):
        super().__init__()
        self.api_key = api_key
        self.answer = answer

    def route(self, record):
        if record["headers"].get("x-n8n-api-key") != self.api_key:
            return 403, {"code": 403, "message": "Authorization data is wrong!"}, "application/json"
        status, body = self.answer
        return status, body, "application/json"


@pytest.fixture
def render_workflow(settings):
    """Start a fake trigger answering ``answer`` and point the N8N provider at it."""
    servers = []

    def start(answer):
        server = FakeRenderWorkflow(api_key="n8n-key", answer=answer).start()
        servers.append(server)
        settings.N8N_RENDER_WORKFLOW_URL = f"{server.url}/webhook/ytempire-render"
        settings.N8N_API_KEY = "n8n-key"
        return server

    yield start
    for server in servers:
        server.stop()


RENDER_PAYLOAD = {
    "video_id": "6f1c2d9e-0000-4000-8000-000000000001",
    "title": "Moons",
    "script": "A script.",
    "audio_path": "/media/audio/6f1c2d9e.mp3",
    "callbacks": {
        "progress": "http://api.test/api/v1/webhooks/n8n/progress",
        "complete": "http://api.test/api/v1/webhooks/n8n/video-complete",
        "cost_alert": "http://api.test/api/v1/webhooks/n8n/cost-alert",
    },
}


@pytest.mark.parametrize(
    ("answer", "execution_id"),
    [
        ({"executionId": "4711", "video_id": RENDER_PAYLOAD["video_id"], "status": "accepted"}, "4711"),
        ({"executionId": 12}, "12"),
        ({"execution_id": "abc-3"}, "abc-3"),
    ],
)
def test_n8n_render_sends_the_payload_and_reads_the_execution_id(render_workflow, answer, execution_id):
    workflow = render_workflow((200, answer))

    accepted = N8NRenderProvider().start(payload=RENDER_PAYLOAD)

    assert accepted.execution_id == execution_id and not accepted.sandbox
    sent = workflow.requests[0]
    assert sent["path"] == "/webhook/ytempire-render"
    assert sent["headers"]["content-type"] == "application/json"
    assert json.loads(sent["body"]) == RENDER_PAYLOAD  # callbacks and audio_path reach the workflow


@pytest.mark.parametrize(
    "answer",
    [
        {"message": "Workflow was started"},  # n8n's answer when the trigger responds "Immediately"
        {"executionId": ""},
        {"executionId": None},
        {"executionId": "   "},
        {"executionId": True},
        {"executionId": "x" * 65},
        [],
        b"",
        b"<html>Workflow was started</html>",
    ],
)
def test_n8n_render_refuses_an_answer_without_an_execution_id(render_workflow, answer):
    render_workflow((200, answer))

    with pytest.raises(PermanentProviderError, match="answered no execution id") as refused:
        N8NRenderProvider().start(payload=RENDER_PAYLOAD)

    assert not refused.value.retryable
    assert "render_workflow.json" in str(refused.value)


def test_n8n_render_request_the_workflow_refuses_is_a_permanent_error_naming_the_problem(render_workflow):
    problems = ["audio_path is required (the voice-over to render)", "callbacks.progress must be an http(s) URL"]
    render_workflow((400, {"error": "invalid render request", "problems": problems}))

    with pytest.raises(PermanentProviderError, match="audio_path is required") as refused:
        N8NRenderProvider().start(payload={"video_id": RENDER_PAYLOAD["video_id"]})

    assert refused.value.status == 400


def test_n8n_that_cannot_sign_yet_is_a_transient_error(render_workflow):
    """The workflow answers 503 while n8n lacks its signing set-up: retried, not failed."""
    problems = ["YTEMPIRE_WEBHOOK_SIGNING_KEY is not set in the environment of n8n"]
    render_workflow((503, {"error": "n8n cannot deliver signed callbacks", "problems": problems}))

    with pytest.raises(TransientProviderError, match="YTEMPIRE_WEBHOOK_SIGNING_KEY"):
        N8NRenderProvider().start(payload=RENDER_PAYLOAD)


def test_sandbox_providers_work_offline_and_say_so(settings):
    script = SandboxScriptProvider().write(niche="Space", title="Moons", channel_settings={}, model="gpt-3.5-turbo")
    voice = SandboxVoiceProvider(engine="google").synthesize(video_id="v", text=script.script)
    render = SandboxRenderProvider().start(payload={"video_id": "v"})

    assert script.sandbox and voice.sandbox and render.sandbox
    assert "[SANDBOX SCRIPT]" in script.script
    assert script.total_tokens > 0
    assert Path(voice.path).read_bytes()[:4] == b"RIFF"
    assert Path(render.extra["video_path"]).read_bytes()[4:8] == b"ftyp"
    assert Path(render.extra["thumbnail_path"]).read_bytes()[:4] == b"\x89PNG"
    titles, _ = SandboxScriptProvider().titles(niche="Space", avoid=[], count=5, model="x")
    assert len(set(titles)) == 5
