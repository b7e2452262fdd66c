"""schemathesis hooks for scripts/contract (loaded through SCHEMATHESIS_HOOKS).

`POST /v1/inbound/mime` takes `message/rfc822`, a media type schemathesis has no serializer for.
A message is text on the wire: a generated string goes as it is (UTF-8). A value that is not a
string (the negative cases that change the body's type) has no place in a header section: it
goes as the body of a message with an empty header section, its JSON text after the blank line.
Written as bare JSON, `[{"a": 1}]` would open with `[{"a"` and a colon, which RFC 5322 reads as
a header field, so it would be a well-formed message, not the schema violation intended.
"""

import json

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return b"\r\n" + json.dumps(value).encode("utf-8")
