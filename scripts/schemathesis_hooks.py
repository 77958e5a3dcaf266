"""Schemathesis hooks for the OpenStargate coordinator: sign every request.

The coordinator refuses unsigned writes with 401, which would stop schemathesis at the
door. Signing must cover the exact body bytes sent, so it happens at the last moment, in the
HTTP adapter, over the prepared request (method, path with query, body), for requests
that carry the placeholder signature. Loaded with
SCHEMATHESIS_HOOKS=schemathesis_hooks (scripts/schemathesis.sh does that).
"""
import os

import requests.adapters

from urllib.parse import urlsplit

from osg_client import Participant, audience

# Writes carry their command's signature too; the bytes come from the same binary (OSG_BIN).
SIGNER = Participant(binary=os.environ.get("OSG_BIN", ".build/debug/osg"))
_send = requests.adapters.HTTPAdapter.send


def _signed_send(self, request, *args, **kwargs):
    # schemathesis.sh sends the placeholder `OSG-Signature: sign-me` with every request;
    # schemathesis drops it when it tests a request without credentials, and such a request
    # must stay unsigned (and be refused).
    if request.headers.get("OSG-Signature") != "sign-me":
        return _send(self, request, *args, **kwargs)
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    parts = urlsplit(request.url)
    target = audience(f"{parts.scheme}://{parts.netloc}")
    for name, value in SIGNER.headers(request.method, request.path_url, body, target).items():
        if name != "Content-Type":
            request.headers[name] = value
    return _send(self, request, *args, **kwargs)


requests.adapters.HTTPAdapter.send = _signed_send
