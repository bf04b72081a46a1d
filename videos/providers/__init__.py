"""External providers of the pipeline, each behind a small interface with two implementations:
the real one (official client or plain HTTP, endpoint configurable) and an offline sandbox.

``settings.PROVIDERS_MODE`` chooses: "sandbox" (the default, used by ``make run``) or "live".
"""

from django.conf import settings

from .base import (
    PermanentProviderError,
    ProviderError,
    RenderAccepted,
    ScriptResult,
    TransientProviderError,
    VoiceResult,
)
from .render import N8NRenderProvider, SandboxRenderProvider
from .script import OpenAIScriptProvider, SandboxScriptProvider, script_prompt_chars
from .voice import ElevenLabsVoiceProvider, GoogleTTSVoiceProvider, SandboxVoiceProvider

__all__ = [
    "PermanentProviderError",
    "ProviderError",
    "RenderAccepted",
    "ScriptResult",
    "TransientProviderError",
    "VoiceResult",
    "is_sandbox",
    "render_provider",
    "script_prompt_chars",
    "script_provider",
    "voice_provider",
]


def is_sandbox() -> bool:
    return settings.PROVIDERS_MODE != "live"


def script_provider():
    return SandboxScriptProvider() if is_sandbox() else OpenAIScriptProvider()


def voice_provider(engine: str):
    """``engine`` is "elevenlabs" or "google" (chosen by the optimization level)."""
    if is_sandbox():
        return SandboxVoiceProvider(engine=engine)
    return ElevenLabsVoiceProvider() if engine == "elevenlabs" else GoogleTTSVoiceProvider()


def render_provider():
    return SandboxRenderProvider() if is_sandbox() else N8NRenderProvider()
