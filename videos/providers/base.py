from dataclasses import dataclass, field


class ProviderError(Exception):
    """A provider call failed. ``retryable`` tells the task whether to retry with backoff."""

    retryable = False

    def __init__(self, message: str, *, provider: str = "", status: int | None = None):
        super().__init__(message)
        self.provider = provider
        self.status = status


class TransientProviderError(ProviderError):
    """Timeouts, connection errors, 429 and 5xx: worth retrying."""

    retryable = True


class PermanentProviderError(ProviderError):
    """Bad request, bad credentials, refused content: retrying will not help."""


@dataclass(frozen=True)
class ScriptResult:
    script: str
    description: str
    tags: list[str]
    model: str
    prompt_tokens: int
    completion_tokens: int
    sandbox: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class VoiceResult:
    path: str
    characters: int
    engine: str
    voice: str
    sandbox: bool = False


@dataclass(frozen=True)
class RenderAccepted:
    """The render was handed over; completion arrives later through the N8N webhook."""

    execution_id: str
    sandbox: bool = False
    extra: dict = field(default_factory=dict)


def classify_http_status(status: int) -> type[ProviderError]:
    return TransientProviderError if status == 429 or status >= 500 else PermanentProviderError
