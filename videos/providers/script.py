"""Script writing: the `openai` client (base URL configurable) or an offline sandbox."""

import hashlib
import json
import logging

import openai
from django.conf import settings

from .base import PermanentProviderError, ScriptResult, TransientProviderError

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You write scripts for short YouTube videos. Answer with a JSON object with the keys "
    '"script" (the narration, plain text), "description" (2-3 sentences for YouTube) and '
    '"tags" (up to 10 short keywords).'
)
TITLES_PROMPT = (
    'You propose YouTube video titles. Answer with a JSON object {"titles": [...]} holding '
    "exactly {n} new, distinct, catchy titles for the niche, none equal to the titles to avoid."
)


def _user_prompt(*, niche: str, title: str, channel_settings: dict) -> str:
    tone = channel_settings.get("tone", "engaging")
    audience = channel_settings.get("audience", "a general audience")
    length = channel_settings.get("script_words", 350)
    language = channel_settings.get("language", "English")
    return (
        f"Niche: {niche}\nTitle: {title}\nTone: {tone}\nAudience: {audience}\n"
        f"Language: {language}\nLength: about {length} words."
    )


def script_prompt_chars(*, niche: str, title: str, channel_settings: dict) -> int:
    """How long the script request's prompt is, in characters (an upper bound of its tokens)."""
    return len(SYSTEM_PROMPT) + len(_user_prompt(niche=niche, title=title, channel_settings=channel_settings))


def _client() -> openai.OpenAI:
    return openai.OpenAI(
        api_key=settings.OPENAI_API_KEY or "missing-key",
        base_url=settings.OPENAI_BASE_URL,
        timeout=60.0,
        max_retries=0,  # retries are the Celery task's decision
    )


_TRANSIENT = (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)


def _call(**kwargs):
    try:
        return _client().chat.completions.create(**kwargs)
    except (
        openai.APITimeoutError,
        openai.APIConnectionError,
        openai.RateLimitError,
        openai.InternalServerError,
    ) as exc:
        raise TransientProviderError(f"OpenAI unavailable: {exc.__class__.__name__}", provider="openai") from exc
    except openai.APIStatusError as exc:
        raise PermanentProviderError(
            f"OpenAI refused the request ({exc.status_code}): {exc.message}", provider="openai", status=exc.status_code
        ) from exc


def _parse_json(content: str) -> dict:
    try:
        data = json.loads(content)
        return data if isinstance(data, dict) else {}
    except (TypeError, ValueError):
        return {}


class OpenAIScriptProvider:
    name = "openai"
    sandbox = False

    def write(self, *, niche: str, title: str, channel_settings: dict, model: str) -> ScriptResult:
        response = _call(
            model=model,
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": _user_prompt(niche=niche, title=title, channel_settings=channel_settings)},
            ],
            max_tokens=settings.OPENAI_MAX_TOKENS,
            temperature=float(settings.OPENAI_TEMPERATURE),
            response_format={"type": "json_object"},
        )
        content = response.choices[0].message.content or ""
        data = _parse_json(content)
        script = str(data.get("script") or content).strip()
        if not script:
            raise PermanentProviderError("OpenAI returned an empty script", provider="openai")
        usage = response.usage
        return ScriptResult(
            script=script,
            description=str(data.get("description") or "")[:5000],
            tags=[str(tag)[:100] for tag in (data.get("tags") or [])][:10],
            model=response.model or model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    def titles(self, *, niche: str, avoid: list[str], count: int, model: str) -> tuple[list[str], int]:
        """``count`` new titles for ``niche`` and the tokens used."""
        response = _call(
            model=model,
            messages=[
                {"role": "system", "content": TITLES_PROMPT.replace("{n}", str(count))},
                {"role": "user", "content": f"Niche: {niche}\nTitles to avoid: {json.dumps(avoid[:50])}"},
            ],
            max_tokens=400,
            temperature=0.9,
            response_format={"type": "json_object"},
        )
        data = _parse_json(response.choices[0].message.content or "")
        usage = response.usage
        titles = [str(t).strip()[:500] for t in data.get("titles", []) if str(t).strip()]
        return titles, (usage.total_tokens if usage else 0)


class SandboxScriptProvider:
    """Offline and deterministic: the script is built from the niche and title (labelled sandbox)."""

    name = "sandbox"
    sandbox = True

    def write(self, *, niche: str, title: str, channel_settings: dict, model: str) -> ScriptResult:
        script = (
            f"[SANDBOX SCRIPT] {title}.\n"
            f"Welcome back to the channel about {niche}. Today: {title}. "
            f"We cover the essentials of {niche}, three practical tips and one common mistake to avoid. "
            "Thanks for watching, and subscribe for more."
        )
        prompt = _user_prompt(niche=niche, title=title, channel_settings=channel_settings)
        return ScriptResult(
            script=script,
            description=f"{title}: a short video about {niche}. (Generated offline by the sandbox provider.)",
            tags=[niche.lower(), "sandbox", *title.lower().split()[:3]],
            model=model,
            prompt_tokens=(len(SYSTEM_PROMPT) + len(prompt)) // 4,
            completion_tokens=len(script) // 4,
            sandbox=True,
        )

    def titles(self, *, niche: str, avoid: list[str], count: int, model: str) -> tuple[list[str], int]:
        seen = {t.lower() for t in avoid}
        titles: list[str] = []
        index = 0
        while len(titles) < count:
            digest = hashlib.sha256(f"{niche}:{index}".encode()).hexdigest()[:6]
            candidate = f"{niche.title()} insight #{digest}"
            if candidate.lower() not in seen:
                titles.append(candidate)
                seen.add(candidate.lower())
            index += 1
        return titles, 40 * count
