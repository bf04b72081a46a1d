import json
from types import SimpleNamespace

import pytest

from videos.tests.fakes import FakeN8N, FakeOpenAI, FakeTTS
from webhooks.tests.conftest import N8N_SECRET, n8n_headers
from youtube_pool.tests.conftest import fake_youtube  # noqa: F401  (the fake Google/YouTube server fixture)


@pytest.fixture
def live_providers(settings):
    """The real provider clients (OpenAI, ElevenLabs/Google TTS, N8N) against local fakes."""
    openai, tts, n8n = FakeOpenAI().start(), FakeTTS().start(), FakeN8N(api_key="n8n-test-key").start()
    settings.PROVIDERS_MODE = "live"
    settings.OPENAI_BASE_URL = f"{openai.url}/v1"
    settings.OPENAI_API_KEY = "sk-test-fake"
    settings.ELEVENLABS_BASE_URL = tts.url
    settings.ELEVENLABS_API_KEY = "el-test-key"
    settings.GOOGLE_TTS_BASE_URL = tts.url
    settings.GOOGLE_TTS_API_KEY = "g-test-key"
    settings.N8N_RENDER_WORKFLOW_URL = f"{n8n.url}/webhook/ytempire-render"
    settings.N8N_API_KEY = "n8n-test-key"
    settings.N8N_WEBHOOK_SECRET = N8N_SECRET
    yield SimpleNamespace(openai=openai, tts=tts, n8n=n8n)
    for server in (openai, tts, n8n):
        server.stop()


@pytest.fixture
def n8n_signer(settings):
    """Post a Standard-Webhooks-signed callback the way the N8N workflow does."""
    settings.N8N_WEBHOOK_SECRET = N8N_SECRET

    def post(client, path: str, payload: dict):
        body = json.dumps(payload)
        return client.generic("POST", path, body.encode(), content_type="application/json", **n8n_headers(body))

    return SimpleNamespace(post=post)
