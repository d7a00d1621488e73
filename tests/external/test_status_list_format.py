"""Token status lists read with nothing of tessera's: Python's base64 and zlib decode
`lst`, PyJWT checks the Status List Token's signature against the JWKS, and the bit
order is the draft's (index 0 = least significant bit of byte 0)."""
import base64
import json
import zlib

import jwt
import requests


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_of(token):
    return json.loads(b64url(token.split(".")[1]))


def status_of(token):
    ref = claims_of(token)["status"]["status_list"]
    return ref["uri"], ref["idx"]


def fetch(tessera, uri):
    """The list at `uri`, verified: (its bit array, its claims)."""
    assert uri.startswith(tessera.url + "/statuslists/"), uri
    res = requests.get(uri)
    assert res.status_code == 200, res.text
    assert res.headers["Content-Type"] == "application/statuslist+jwt"
    assert res.headers["Cache-Control"] == "public, max-age=10"
    assert res.headers["ETag"].startswith('"')
    token = res.text
    assert jwt.get_unverified_header(token)["typ"] == "statuslist+jwt"
    key = jwt.PyJWKClient(tessera.url + "/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["ES256", "RS256"],
                        options={"require": ["sub", "iat", "exp"]})
    assert claims["sub"] == uri
    assert claims["ttl"] == 10
    assert claims["status_list"]["bits"] == 1
    # DEFLATE in the ZLIB format (RFC 1950): zlib's default wbits reads exactly that.
    return zlib.decompress(b64url(claims["status_list"]["lst"])), claims


def revoked(bits, idx):
    return (bits[idx // 8] >> (idx % 8)) & 1 == 1


def logout(tessera, login_answer, session):
    res = session.post(tessera.url + "/auth/logout",
                       headers={"Authorization": f"Bearer {login_answer['access_token']}",
                                "X-CSRF-Token": session.cookies.get("tessera_csrf")})
    assert res.status_code in (200, 204), res.text


def test_a_logout_sets_exactly_its_tokens_bit_as_zlib_and_the_draft_read_it(tessera):
    tessera.create_user("ext-status@example.com", "ext-password-1234")
    browser = requests.Session()
    res = browser.post(tessera.url + "/auth/login",
                       json={"email": "ext-status@example.com", "password": "ext-password-1234"})
    assert res.status_code == 200, res.text
    mine = res.json()
    other = tessera.login("ext-status@example.com", "ext-password-1234")["access_token"]

    uri, idx = status_of(mine["access_token"])
    other_uri, other_idx = status_of(other)
    bits, _ = fetch(tessera, uri)
    assert not revoked(bits, idx)

    logout(tessera, mine, browser)

    bits, _ = fetch(tessera, uri)
    assert revoked(bits, idx)
    other_bits = bits if other_uri == uri else fetch(tessera, other_uri)[0]
    assert not revoked(other_bits, other_idx)
    ones = sum(bin(b).count("1") for b in bits)
    assert ones == 1, f"{ones} bits set by one logout"


def test_discovery_names_the_aggregation_and_it_lists_the_tokens_list(tessera):
    tessera.create_user("ext-agg@example.com", "ext-password-1234")
    token = tessera.login("ext-agg@example.com", "ext-password-1234")["access_token"]
    meta = requests.get(tessera.url + "/.well-known/oauth-authorization-server").json()
    endpoint = meta["status_list_aggregation_endpoint"]
    assert endpoint == tessera.url + "/statuslists"
    uri, _ = status_of(token)
    assert uri in requests.get(endpoint).json()["status_lists"]


def test_an_unknown_list_is_a_json_404(tessera):
    res = requests.get(tessera.url + "/statuslists/AAAAAAAAAAAAAAAAAAAAAA")
    assert res.status_code == 404
    assert res.json()["error"] == "not_found"
