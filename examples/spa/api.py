#!/usr/bin/env python3
"""Example API for the SPA: verifies tessera access tokens against its JWKS.

GET /api/hello with `Authorization: Bearer <access token>` answers
`{"message": "Hello, <sub>", "sub": ...}`; a missing, expired, foreign or forged token
gets 401 with `WWW-Authenticate: Bearer error="invalid_token"`. It never calls tessera
per request: the keys come from the JWKS (cached by PyJWKClient, fetched again when a
token names a kid it has not seen), the rest is the token's own claims.

    pip install 'pyjwt[crypto]'
    python3 api.py --issuer http://127.0.0.1:8080 --allow-origin http://127.0.0.1:5173 \
        --listen 127.0.0.1:5174
"""

import argparse
import json
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import jwt


def discover_jwks_uri(issuer):
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)["jwks_uri"]


def make_verifier(issuer, audience, algorithms):
    keys = jwt.PyJWKClient(discover_jwks_uri(issuer), cache_keys=True, lifespan=300)

    def verify(token):
        header = jwt.get_unverified_header(token)
        # RFC 9068 §4: an access token says so; an id_token must not pass for one.
        if header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
            raise jwt.InvalidTokenError("not an access token")
        key = keys.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key.key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )

    return verify


def make_handler(verify, allowed_origins):
    class Handler(BaseHTTPRequestHandler):
        def cors(self):
            origin = self.headers.get("Origin")
            if origin in allowed_origins:
                self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")

        def answer(self, status, body, extra=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self):  # noqa: N802 — CORS preflight for the Authorization header
            self.send_response(204)
            self.cors()
            self.send_header("Access-Control-Allow-Methods", "GET")
            self.send_header("Access-Control-Allow-Headers", "Authorization")
            self.send_header("Access-Control-Max-Age", "600")
            self.end_headers()

        def do_GET(self):  # noqa: N802
            if urlsplit(self.path).path != "/api/hello":
                self.answer(404, {"error": "not_found"})
                return
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                self.answer(401, {"error": "invalid_request"}, [("WWW-Authenticate", "Bearer")])
                return
            try:
                claims = verify(token.strip())
            except (jwt.PyJWTError, jwt.PyJWKClientError) as err:
                self.answer(
                    401,
                    {"error": "invalid_token", "error_description": str(err)},
                    [("WWW-Authenticate", 'Bearer error="invalid_token"')],
                )
                return
            self.answer(200, {"message": f"Hello, {claims['sub']}", "sub": claims["sub"]})

        def log_message(self, fmt, *args):
            sys.stderr.write("api: " + (fmt % args) + "\n")

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", required=True, help="tessera's issuer URL (the iss to expect)")
    parser.add_argument(
        "--audience", help="the aud to expect (default: the issuer, tessera's tokens.audience default)"
    )
    parser.add_argument("--allow-origin", action="append", default=[], help="the SPA's origin (repeatable)")
    parser.add_argument("--listen", default="127.0.0.1:5174", help="host:port (127.0.0.1:5174)")
    args = parser.parse_args()

    issuer = args.issuer.rstrip("/")
    verify = make_verifier(issuer, args.audience or issuer, ["ES256", "RS256"])
    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), make_handler(verify, set(args.allow_origin)))
    print(f"example API on http://{args.listen}/api/hello", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
