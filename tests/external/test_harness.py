"""The harness itself: a server starts on each engine, is ready, and its bootstrap
admin can act; PyJWT (not tessera's code) verifies its tokens against the JWKS."""
import jwt
import requests


def test_a_fresh_server_signs_tokens_pyjwt_verifies(tessera):
    tessera.create_user("ext@example.com", "ext-password-1234")
    token = tessera.login("ext@example.com", "ext-password-1234")["access_token"]
    jwks = jwt.PyJWKClient(tessera.url + "/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["ES256", "RS256"],
                        audience=tessera.url, issuer=tessera.url)
    assert claims["sub"] and claims["jti"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    me = requests.get(tessera.url + "/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "ext@example.com"


def test_a_tampered_token_fails_pyjwt(tessera):
    token = tessera.admin_token()
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    key = jwt.PyJWKClient(tessera.url + "/.well-known/jwks.json").get_signing_key_from_jwt(token)
    try:
        jwt.decode(f"{header}.{payload}.{flipped}", key.key, algorithms=["ES256"],
                   audience=tessera.url, issuer=tessera.url)
    except jwt.InvalidSignatureError:
        return
    raise AssertionError("a tampered signature verified")
