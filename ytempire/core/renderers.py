"""The API's JSON renderer: DRF's JSONRenderer output, encoded by orjson.

The bytes are DRF's for every value the API emits: compact separators, UTF-8 (not ASCII-escaped),
U+2028/U+2029 escaped, UUIDs as their text. Dates, times, Decimals (money: a JSON number), lazy
strings and the rest go through DRF's own encoder (``JSONEncoder.default``), so they come out as
DRF writes them (a UTC datetime ends in ``Z``). Anything orjson refuses (an integer wider than 64
bits, a dict key that is not a string, a lone surrogate) and any pretty-printing request
(``Accept: application/json; indent=4``) is rendered by DRF's renderer itself, errors included.

Two differences, in values no endpoint emits: a float that DRF writes with an exponent (``1e-05``)
is written by orjson as ``0.00001`` (the same number), and a NaN float is ``null`` where DRF fails.
"""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_default = JSONEncoder().default
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class ORJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if accepted_media_type and "indent" in accepted_media_type or (renderer_context or {}).get("indent"):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError, ValueError):
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:  # as DRF: a strict JavaScript subset
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
