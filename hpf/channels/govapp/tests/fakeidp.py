"""A small OpenID Connect provider on a loopback port for the relying party's tests.

It speaks real HTTP and signs real RS256 ID tokens with joserfc: discovery, JWKS, an
authorization endpoint that approves at once as ``person`` (recording state, nonce and the
PKCE challenge) and a token endpoint that checks the client's secret and the PKCE verifier
and accepts each code once. Tests change ``person``, ``acr`` or ``tamper`` to try attacks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from hpf.common import clock

CLIENT_ID = "hpf-test"
CLIENT_SECRET = "test-secret-of-hpf"


class FakeProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.published = [self.key]
        self.person: dict[str, Any] = {}
        self.subject = "sub-1"
        self.acr = "face"
        self.codes: dict[str, dict[str, Any]] = {}
        self.jwks_fetches = 0
        self.tamper: dict[str, Any] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sign(self, claims: dict[str, Any], *, key: RSAKey | None = None, alg: str = "RS256") -> str:
        signer = key or self.key
        header = {"alg": alg, "kid": signer.kid}
        return jwt.encode(header, claims, signer)

    def claims(self, nonce: str, **over: Any) -> dict[str, Any]:
        now = over.pop("now", None) or int(clock.now().timestamp())
        base = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": self.subject,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": self.person.get("name", ""),
            "id_number": self.person.get("id_number", ""),
            "acr": self.acr,
        }
        base.update(over)
        return base

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": idp.issuer,
                            "authorization_endpoint": idp.issuer + "/authorize",
                            "token_endpoint": idp.issuer + "/token",
                            "jwks_uri": idp.issuer + "/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif url.path == "/jwks":
                    idp.jwks_fetches += 1
                    self._json(KeySet(list(idp.published)).as_dict(private=False))
                elif url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(16)
                    idp.codes[code] = q
                    target = (
                        q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                auth = self.headers.get("Authorization", "")
                expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if auth != f"Basic {expected}":
                    self._json({"error": "invalid_client"}, 401)
                    return
                request = idp.codes.pop(form.get("code", ""), None)
                if request is None:  # unknown or already used
                    self._json({"error": "invalid_grant"}, 400)
                    return
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if (
                    request.get("code_challenge_method") != "S256"
                    or request.get("code_challenge") != challenge
                ):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                claims = idp.claims(request.get("nonce", ""))
                claims.update(idp.tamper)
                self._json(
                    {
                        "access_token": secrets.token_urlsafe(16),
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": idp.sign(claims),
                    }
                )

        return Handler
