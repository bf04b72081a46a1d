"""The API's JSON parser: a body PostgreSQL can store, at a depth the code can walk, or a 400.

Set as the only DEFAULT_PARSER_CLASSES entry, so every endpoint that reads ``request.data`` gets
its body through here before any serializer sees it. It refuses, in the validation shape:

- a body that is not UTF-8, or not JSON by RFC 8259 (``NaN``, ``Infinity``, ``1e999``);
- nesting deeper than ``MAX_JSON_DEPTH`` (a thousands-deep body is a RecursionError in the
  standard parser and in every recursive walk after it);
- NUL (U+0000) and unpaired surrogates anywhere, keys included: PostgreSQL stores neither.

The same rules (``ytempire.core.storable``) guard the webhook routes, which verify raw bytes.
"""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from .serializers import JSONBody
from .storable import DEPTH_MESSAGE, NUL_MESSAGE, parse_json, unstorable_in


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read()
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError("The body is not valid UTF-8.") from None
        if "\x00" in text:  # a raw NUL byte: not JSON either, but say what is wrong
            raise ValidationError({"body": [NUL_MESSAGE]})
        try:
            data = parse_json(text)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {getattr(exc, 'msg', None) or exc}") from None
        found = unstorable_in(data)
        if found:
            field, message = found
            raise ValidationError({"body" if message == DEPTH_MESSAGE else field: [message]})
        return JSONBody(data) if isinstance(data, dict) else data
