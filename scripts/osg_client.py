"""A small signing client of the OpenStargate coordinator API, for the scripts in this folder.

Signs requests as docs/API.md describes: Ed25519 over
OSG-REQUEST-V1\\n<METHOD>\\n<path with query>\\n<hex sha256 of body>\\n<unix seconds>\\n<nonce>.
"""
import hashlib
import json
import os
import time

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class Participant:
    def __init__(self):
        self.key = Ed25519PrivateKey.generate()
        self.id = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def headers(self, method, path, body=b""):
        timestamp = str(int(time.time()))
        nonce = os.urandom(16).hex()
        digest = hashlib.sha256(body).hexdigest()
        message = f"OSG-REQUEST-V1\n{method.upper()}\n{path}\n{digest}\n{timestamp}\n{nonce}".encode()
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
        return session.request(method, base + path, data=body or None, headers=self.headers(method, path, body), timeout=timeout)
