"""JSON text PostgreSQL can store, parsed without trusting its shape.

PostgreSQL refuses things a JSON body can carry: the NUL character (U+0000, in ``text`` and
``jsonb`` alike), unpaired UTF-16 surrogates (``"\\ud800"`` parses to a Python str that is not
valid UTF-8), and the non-finite numbers Python's parser lets through (``NaN``, ``Infinity``,
``1e999``; not JSON by RFC 8259 either). Any of them turns an INSERT into a 500, and a body nested
thousands of levels deep turns any recursive walk (serializers, ``storable_json``) into one. So:

- ``parse_json`` refuses non-finite numbers and hostile nesting as malformed JSON;
- ``unstorable_in`` finds the first such string (or a nesting deeper than ``MAX_JSON_DEPTH``) in
  a parsed body, as (field path, message), so an entrance can refuse it with a 400 naming the field;
- ``storable_text`` / ``storable_json`` replace such text with U+FFFD (and a non-finite number with
  its name), for logs that must keep what was refused.

The API's JSON parser (``ytempire.core.parsers``) and the webhook verification share these, so
every entrance refuses the same bodies for the same reasons.
"""

import json
import math
import re
from typing import Any

MAX_JSON_DEPTH = 64
REPLACEMENT = "\ufffd"

NUL_MESSAGE = "NUL characters (U+0000) are not accepted."
SURROGATE_MESSAGE = "Unpaired surrogate escapes (\\ud800-\\udfff) are not accepted."
DEPTH_MESSAGE = f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted."

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_reason(text: str) -> str | None:
    """Why PostgreSQL cannot store ``text`` (a message), or None when it can."""
    if "\x00" in text:
        return NUL_MESSAGE
    if _UNSTORABLE.search(text):
        return SURROGATE_MESSAGE
    return None


def storable_text(text: Any) -> str:
    """``text`` as a str PostgreSQL can store: NUL and unpaired surrogates become U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text if isinstance(text, str) else str(text))


def storable_json(value: Any, *, _depth: int = 0) -> Any:
    """A copy of a JSON value whose every key and string is storable (see ``storable_text``).
    Containers nested deeper than MAX_JSON_DEPTH are cut (a verified body never has any)."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict | list | tuple) and _depth >= MAX_JSON_DEPTH:
        return "[nested too deep]"
    if isinstance(value, dict):
        return {storable_text(k): storable_json(v, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v, _depth=_depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _path(parts: list) -> str:
    return ".".join(storable_text(part) for part in parts) or "body"


def unstorable_in(value: Any) -> tuple[str, str] | None:
    """The first place in a parsed JSON value that PostgreSQL could not store, as (field path,
    message) with the path dotted like the validation errors (``costs.0.service``); or None.
    Iterative, so a hostile nesting depth cannot exhaust the stack."""
    stack: list[tuple[list, Any]] = [([], value)]
    while stack:
        path, node = stack.pop()
        if len(path) > MAX_JSON_DEPTH:
            return _path(path[:MAX_JSON_DEPTH]), DEPTH_MESSAGE
        if isinstance(node, str):
            reason = unstorable_reason(node)
            if reason:
                return _path(path), reason
        elif isinstance(node, dict):
            for key, child in reversed(list(node.items())):
                reason = unstorable_reason(key)
                if reason:
                    return _path([*path, key]), reason
                stack.append(([*path, key], child))
        elif isinstance(node, list):
            stack.extend(([*path, index], child) for index, child in reversed(list(enumerate(node))))
    return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


def parse_json(text: str) -> Any:
    """Strict ``json.loads``: NaN, Infinity and numbers that overflow to infinity are refused,
    and hostile nesting is reported as ValueError instead of RecursionError."""
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(DEPTH_MESSAGE) from None
