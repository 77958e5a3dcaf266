"""A small signing client of the OpenStargate coordinator API, for the scripts in this folder.

Signs requests as docs/API.md describes: Ed25519 over
OSG-REQUEST-V2\\n<origin>\\n<hex sha256 of genesis>\\n<METHOD>\\n<path with query>\\n<hex sha256 of body>\\n<unix seconds>\\n<nonce>,
where the origin and the genesis digest are the coordinator's own, read once from GET /v1/info.
A write that logs a command also carries OSG-Command-Signature, Ed25519 over
OSG-COMMAND-V1\\n<origin>\\n<genesis>\\n<unix seconds>\\n<nonce>\\n followed by the command's
bytes (docs/TRANSPARENCY_LOG.md, "Command proofs"): a faucet drip's are encoded here; any other
command's are asked of the `osg` binary (`osg log command-bytes`), once per distinct request.

An https coordinator's certificate is always verified: against the system's trust roots, or
only against a PEM CA file (`make_session(ca_file)`, default $OSG_CA_CERT) for a private CA or
a self-signed certificate. There is no switch to turn verification off.
"""
import hashlib
import json
import os
import struct
import subprocess
import time
from decimal import Decimal

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


def _string(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def deposit_command_bytes(actor, micro_credits):
    """The command bytes of a faucet drip: `str actor ‖ u8 13 (deposit) ‖ str tenant ‖ i64 amount`,
    the tenant being the actor itself."""
    return _string(actor) + bytes([13]) + _string(actor) + struct.pack(">q", micro_credits)


def micro_credits(amount):
    """Micro-credits of a money amount as the API takes it ("2.10", 3)."""
    return int(Decimal(str(amount)) * 1_000_000)


class Participant:
    def __init__(self, binary=None):
        """`binary`: the `osg` executable, asked for the bytes of commands other than faucet drips."""
        self.key = Ed25519PrivateKey.generate()
        self.id = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        self.binary = binary
        self.salt = os.urandom(32)
        self._commands = {}

    def command_bytes(self, method, path, body):
        """The bytes of the command `method path` with `body` asks for; None for a request that
        logs none (a read) or when they cannot be had (no binary)."""
        method = method.upper()
        if method not in ("POST", "PATCH", "DELETE"):
            return None
        if method == "POST" and path == "/v1/faucet" and body:
            return deposit_command_bytes(self.id, micro_credits(json.loads(body)["amount"]))
        if not self.binary:
            return None
        cache_key = (method, path, body)
        if cache_key not in self._commands:
            arguments = [self.binary, "log", "command-bytes", "--method", method, "--path", path, "--signer", self.id, "--body", "-"]
            if self.is_submission(method, path):
                arguments += ["--contents-salt", self.salt.hex()]
            answer = subprocess.run(arguments, input=body, capture_output=True, check=False)
            self._commands[cache_key] = bytes.fromhex(answer.stdout.decode().strip()) if answer.returncode == 0 else None
        return self._commands[cache_key]

    @staticmethod
    def is_submission(method, path):
        return method.upper() == "POST" and (path == "/v1/jobs" or path.startswith("/v1/jobs?"))

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
        command = self.command_bytes(method, path, body)
        if command is not None:
            statement = f"OSG-COMMAND-V1\n{origin}\n{genesis}\n{timestamp}\n{nonce}\n".encode() + command
            headers["OSG-Command-Signature"] = self.key.sign(statement).hex()
            if self.is_submission(method, path):
                headers["OSG-Contents-Salt"] = self.salt.hex()
        if body:
            headers["Content-Type"] = "application/json"
        return headers

    def send(self, session, base, method, path, payload=None, timeout=10):
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        return session.request(method, base + path, data=body or None, headers=self.headers(method, path, body, audience(base, session)), timeout=timeout)
