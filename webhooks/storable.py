"""What a refused webhook delivery's log row keeps of its body.

The rules for text PostgreSQL can store (NUL, unpaired surrogates, non-finite numbers, nesting
deeper than ``MAX_JSON_DEPTH``) live in ``ytempire.core.storable``, shared with the API's JSON
parser; they are re-exported here for the webhook modules. This module adds:

- ``body_for_log``: the JSON object as sent when it can be stored as it is, otherwise
  ``{"_body": <the text, NUL as U+FFFD, truncated>}`` — never a silently altered object, so a
  refused body can never be re-processed as if it had been signed;
- ``parsed_object_or_none``: the body as a JSON object, to read the ids of a refused delivery.
"""

from ytempire.core.storable import (
    DEPTH_MESSAGE,
    MAX_JSON_DEPTH,
    NUL_MESSAGE,
    REPLACEMENT,
    SURROGATE_MESSAGE,
    parse_json,
    storable_json,
    storable_text,
    unstorable_in,
    unstorable_reason,
)

__all__ = [
    "BODY_KEY",
    "DEPTH_MESSAGE",
    "LOGGED_BODY_CHARS",
    "MAX_JSON_DEPTH",
    "NUL_MESSAGE",
    "REPLACEMENT",
    "SURROGATE_MESSAGE",
    "body_for_log",
    "parse_json",
    "parsed_object_or_none",
    "storable_json",
    "storable_text",
    "unstorable_in",
    "unstorable_reason",
]

BODY_KEY = "_body"
LOGGED_BODY_CHARS = 2000


def parsed_object_or_none(body: bytes) -> dict | None:
    """The body as a JSON object when it is one (UTF-8, parseable), else None. For reading the
    ids of a refused delivery; never stored as such (see ``body_for_log``)."""
    try:
        value = parse_json(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def body_for_log(body: bytes) -> dict:
    """What the log row of a refused delivery keeps of its body (see the module doc)."""
    if not body:
        return {}
    try:
        value = parse_json(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        value = None
    else:
        if unstorable_in(value) is None:
            return value if isinstance(value, dict) else {BODY_KEY: value}
    return {BODY_KEY: storable_text(body[:LOGGED_BODY_CHARS].decode("utf-8", "replace"))}
