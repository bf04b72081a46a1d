"""The providers' real client code against local fake servers."""

from pathlib import Path

import pytest

from videos.providers import PermanentProviderError, TransientProviderError
from videos.providers.render import N8NRenderProvider, SandboxRenderProvider
from videos.providers.script import OpenAIScriptProvider, SandboxScriptProvider
from videos.providers.voice import ElevenLabsVoiceProvider, GoogleTTSVoiceProvider, SandboxVoiceProvider
from videos.tests.fakes import FakeN8N, FakeOpenAI, FakeTTS


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
