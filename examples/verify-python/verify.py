"""Verify a tessera access token in Python: PyJWT for the JWT and the JWKS, zlib and a
few lines for the Token Status List (draft-ietf-oauth-status-list).

    verifier = Verifier("https://auth.example.com")
    claims = verifier.verify(token)   # raises jwt.InvalidTokenError, Revoked, ...

Lists are cached for their `ttl`, so a revocation is seen within ttl + the authority's
propagation delay (5 s).
"""
import base64
import json
import sys
import time
import urllib.request
import zlib

import jwt

ALGORITHMS = ["ES256", "RS256"]


class Revoked(jwt.InvalidTokenError):
    """The token's bit in its status list is set."""


class Verifier:
    def __init__(self, issuer, audience=None, leeway=5, max_list_bytes=16 << 20):
        self.issuer = issuer.rstrip("/")
        self.audience = audience or self.issuer
        self.leeway = leeway
        self.max_list_bytes = max_list_bytes
        # PyJWKClient caches the key set and refetches it once for an unknown kid.
        self.jwks = jwt.PyJWKClient(self.issuer + "/.well-known/jwks.json", lifespan=300)
        self.lists = {}  # uri -> (fresh until, decompressed bytes)

    def verify(self, token):
        header = jwt.get_unverified_header(token)
        if header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
            raise jwt.InvalidTokenError("typ is not at+jwt")
        key = self.jwks.get_signing_key(header.get("kid"))
        claims = jwt.decode(token, key.key, algorithms=ALGORITHMS, issuer=self.issuer,
                            audience=self.audience, leeway=self.leeway,
                            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        ref = claims.get("status", {}).get("status_list")
        if not ref:
            raise jwt.InvalidTokenError("no status claim")
        if self.status(ref["uri"], ref["idx"]) != 0:
            raise Revoked("the token has been revoked")
        return claims

    def status(self, uri, idx):
        # Only the issuer's own lists are fetched: a token cannot send us elsewhere.
        prefix = self.issuer + "/statuslists/"
        list_id = uri[len(prefix):] if uri.startswith(prefix) else ""
        if not list_id or not all(c.isalnum() or c in "-_" for c in list_id):
            raise jwt.InvalidTokenError("status list URI is not the issuer's")
        fresh_until, data = self.lists.get(uri, (0, None))
        if time.monotonic() >= fresh_until:
            fresh_until, data = self.fetch_list(uri)
            self.lists[uri] = (fresh_until, data)
        if idx // 8 >= len(data):
            raise jwt.InvalidTokenError("status index out of range")
        return (data[idx // 8] >> (idx % 8)) & 1  # bit 0 of byte 0 is index 0

    def fetch_list(self, uri):
        asked = time.monotonic()
        request = urllib.request.Request(uri, headers={"Accept": "application/statuslist+jwt"})
        with urllib.request.urlopen(request, timeout=10) as res:
            token = res.read().decode().strip()
        if jwt.get_unverified_header(token).get("typ") != "statuslist+jwt":
            raise jwt.InvalidTokenError("typ is not statuslist+jwt")
        key = self.jwks.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=ALGORITHMS, leeway=self.leeway,
                            options={"require": ["sub", "iat"], "verify_aud": False})
        if claims["sub"] != uri:
            raise jwt.InvalidTokenError("status list sub is not its URI")
        status_list = claims["status_list"]
        if status_list["bits"] != 1:
            raise jwt.InvalidTokenError("tessera's lists hold one bit per token")
        lst = status_list["lst"]
        decompressor = zlib.decompressobj()
        data = decompressor.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)),
                                       self.max_list_bytes)
        if decompressor.unconsumed_tail or not decompressor.eof:
            raise jwt.InvalidTokenError("status list is truncated or too large")
        ttl = min(max(float(claims.get("ttl", 60)), 1), 3600)
        return asked + ttl, data


if __name__ == "__main__":
    # python verify.py ISSUER [TOKEN]: one token from argv, or one per line of stdin
    # (the verifier and its caches kept between lines); one JSON answer per token.
    verifier = Verifier(sys.argv[1])
    tokens = sys.argv[2:] or (line.strip() for line in sys.stdin)
    for t in tokens:
        try:
            print(json.dumps({"ok": True, "claims": verifier.verify(t)}), flush=True)
        except Exception as e:  # noqa: BLE001 - every refusal is reported the same way
            print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)
