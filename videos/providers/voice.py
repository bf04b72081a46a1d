"""Text to speech over plain HTTP (ElevenLabs, Google Cloud TTS) or an offline sandbox tone."""

import base64
import io
import math
import struct
import wave
from pathlib import Path

import requests
from django.conf import settings

from .base import PermanentProviderError, TransientProviderError, VoiceResult, classify_http_status

TIMEOUT = (5, 120)


def audio_path_for(video_id: str, extension: str) -> Path:
    folder = Path(settings.STORAGE_BASE_PATH) / "audio"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{video_id}.{extension}"


def _post(url: str, *, provider: str, **kwargs) -> requests.Response:
    try:
        response = requests.post(url, timeout=TIMEOUT, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientProviderError(f"{provider} unreachable: {exc.__class__.__name__}", provider=provider) from exc
    if response.status_code >= 400:
        detail = response.text[:300]
        error = classify_http_status(response.status_code)
        raise error(
            f"{provider} answered {response.status_code}: {detail}", provider=provider, status=response.status_code
        )
    return response


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # atomic: a re-run never sees half a file


class ElevenLabsVoiceProvider:
    engine = "elevenlabs"
    sandbox = False

    def synthesize(self, *, video_id: str, text: str) -> VoiceResult:
        voice = settings.ELEVENLABS_VOICE_ID
        response = _post(
            f"{settings.ELEVENLABS_BASE_URL.rstrip('/')}/v1/text-to-speech/{voice}",
            provider="elevenlabs",
            headers={"xi-api-key": settings.ELEVENLABS_API_KEY, "Accept": "audio/mpeg"},
            json={"text": text, "model_id": "eleven_multilingual_v2"},
        )
        if not response.content:
            raise PermanentProviderError("ElevenLabs returned no audio", provider="elevenlabs")
        path = audio_path_for(video_id, "mp3")
        _write(path, response.content)
        return VoiceResult(path=str(path), characters=len(text), engine=self.engine, voice=voice)


class GoogleTTSVoiceProvider:
    engine = "google"
    sandbox = False

    def synthesize(self, *, video_id: str, text: str) -> VoiceResult:
        voice = settings.GOOGLE_TTS_VOICE
        response = _post(
            f"{settings.GOOGLE_TTS_BASE_URL.rstrip('/')}/v1/text:synthesize",
            provider="google-tts",
            params={"key": settings.GOOGLE_TTS_API_KEY},
            json={
                "input": {"text": text},
                "voice": {"languageCode": settings.GOOGLE_TTS_LANGUAGE, "name": voice},
                "audioConfig": {"audioEncoding": "MP3"},
            },
        )
        try:
            audio = base64.b64decode(response.json()["audioContent"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentProviderError("Google TTS answered without audioContent", provider="google-tts") from exc
        path = audio_path_for(video_id, "mp3")
        _write(path, audio)
        return VoiceResult(path=str(path), characters=len(text), engine=self.engine, voice=voice)


def tone_wav(seconds: float = 1.0, frequency: float = 440.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * i / rate)))
            for i in range(int(rate * seconds))
        )
        out.writeframes(frames)
    return buffer.getvalue()


class SandboxVoiceProvider:
    """Writes a one-second tone WAV; characters are still charged at the real rate."""

    sandbox = True

    def __init__(self, *, engine: str):
        self.engine = engine

    def synthesize(self, *, video_id: str, text: str) -> VoiceResult:
        path = audio_path_for(video_id, "wav")
        _write(path, tone_wav())
        return VoiceResult(path=str(path), characters=len(text), engine=self.engine, voice="sandbox-tone", sandbox=True)
