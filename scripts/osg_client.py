"""A small signing client of the OpenStargate coordinator API, for the scripts in this folder.

Signs requests as docs/API.md describes: Ed25519 over
OSG-REQUEST-V2\\n<origin>\\n<hex sha256 of genesis>\\n<METHOD>\\n<path with query>\\n<hex sha256 of body>\\n<unix seconds>\\n<nonce>,
where the origin and the genesis digest are the coordinator's own, read once from GET /v1/info.

An https coordinator's certificate is always verified: against the system's trust roots, or
only against a PEM CA file (`make_session(ca_file)`, default $OSG_CA_CERT) for a private CA or
a self-signed certificate. There is no switch to turn verification off.
"""
import hashlib
import json
import os
import time

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


_AUDIENCES = {}


class _TrustingSession(requests.Session):
    """A session whose https requests trust only `ca_file`. Passed on every request: a plain
    `session.verify` loses to $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE (requests merges the
    environment over it)."""

    def __init__(self, ca_file):
        super().__init__()
        self.verify = ca_file

    def request(self, method, url, **kwargs):
        if kwargs.get("verify") is None:
            kwargs["verify"] = self.verify
        return super().request(method, url, **kwargs)


def make_session(ca_file=None):
    """A requests session for a coordinator (http or https). With `ca_file` (or $OSG_CA_CERT),
    https certificates must chain to the CA certificates in that PEM file instead of the
    system's roots; verification is never turned off."""
    ca_file = ca_file or os.environ.get("OSG_CA_CERT") or None
    if not ca_file:
        return requests.Session()
    if not os.path.isfile(ca_file):
        raise FileNotFoundError(f"CA file {ca_file} (--ca-cert / OSG_CA_CERT) does not exist")
    return _TrustingSession(ca_file)


def audience(base, session=None, timeout=10):
    """(origin, genesis hex) of the coordinator at `base`, read once from GET /v1/info."""
    if base not in _AUDIENCES:
        info = (session or make_session()).get(base + "/v1/info", timeout=timeout).json()
        _AUDIENCES[base] = (info["origin"], info["genesis"])
    return _AUDIENCES[base]


class Participant:
    def __init__(self):
        self.key = Ed25519PrivateKey.generate()
        self.id = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def headers(self, method, path, body=b"", target=None):
        """Signed headers for a request to the coordinator `target` = (origin, genesis hex)."""
        origin, genesis = target
        timestamp = str(int(time.time()))
        nonce = os.urandom(16).hex()
        digest = hashlib.sha256(body).hexdigest()
        message = f"OSG-REQUEST-V2\n{origin}\n{genesis}\n{method.upper()}\n{path}\n{digest}\n{timestamp}\n{nonce}".encode()
        headers = {
            "OSG-Key": self.id,
            "OSG-Timestamp": timestamp,
            "OSG-Nonce": nonce,
            "OSG-Signature": self.key.sign(message).hex(),
        }
        if body:
            headers["Content-Type"] = "application/json"
        return headers

    def send(self, session, base, method, path, payload=None, timeout=10):
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        return session.request(method, base + path, data=body or None, headers=self.headers(method, path, body, audience(base, session)), timeout=timeout)
