"""A relying party we did not write drives tessera's authorization code flow.

Authlib (its framework-neutral OAuth 2 / OpenID Connect client, the one behind its
Flask, Django and Starlette integrations) does discovery, builds the authorization URL
with PKCE S256 and a nonce, exchanges the code, validates the id_token against the
JWKS with its own checks (signature, iss, aud, exp, iat, nonce, at_hash), fetches
userinfo, refreshes and builds the RP-initiated logout URL. The person in the middle
is oidc_agent.UserAgent: it signs in on the hosted page and answers consent.

Each test runs on SQLite and PostgreSQL (the `tessera` fixture of conftest.py), for a
confidential client (client_secret_basic, not first party: consent is asked) and a
public one (no secret, first party: no consent).
"""

from __future__ import annotations

import pytest
from authlib.integrations.base_client import BaseApp, OAuth2Mixin, OpenIDMixin
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from oidc_agent import UserAgent, new_client, new_user, query, same_endpoint

REDIRECT_URI = "http://127.0.0.1:9/callback"  # loopback: never listened on, only parsed
POST_LOGOUT_URI = "http://127.0.0.1:9/signed-out"


class _NoFramework:
    """Authlib's apps keep tokens through a web framework; these tests keep them."""

    def update_token(self, *args, **kwargs):
        pass


class RelyingParty(OAuth2Mixin, OpenIDMixin, BaseApp):
    client_cls = OAuth2Session

    def __init__(self, **kwargs):
        super().__init__(framework=_NoFramework(), **kwargs)


def relying_party(issuer: str, client: dict) -> RelyingParty:
    public = "client_secret" not in client
    return RelyingParty(
        client_id=client["client_id"],
        client_secret=client.get("client_secret"),
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid email",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "none" if public else "client_secret_basic",
        },
    )


def token_session(rp: RelyingParty) -> OAuth2Session:
    """A plain Authlib OAuth2 session of the same client, for refresh."""
    return OAuth2Session(
        client_id=rp.client_id,
        client_secret=rp.client_secret,
        token_endpoint_auth_method=rp.client_kwargs["token_endpoint_auth_method"],
        scope=rp.client_kwargs["scope"],
    )


@pytest.fixture(params=["confidential", "public"])
def setup(request, tessera):
    kind = request.param
    client = new_client(
        tessera,
        client_type=kind,
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[POST_LOGOUT_URI],
        first_party=(kind == "public"),
    )
    user = new_user(tessera)
    return kind, client, user


def sign_in(tessera, rp, user, agent=None, **extra):
    """Authorization request through the hosted pages; returns (auth, redirect URL)."""
    agent = agent or UserAgent()
    auth = rp.create_authorization_url(redirect_uri=REDIRECT_URI, **extra)
    location = agent.authorize(auth["url"], REDIRECT_URI, user["email"], user["password"])
    return agent, auth, location


def test_discovery_is_enough_for_authlib(tessera):
    rp = RelyingParty(
        client_id="unused", server_metadata_url=f"{tessera.url}/.well-known/openid-configuration"
    )
    meta = rp.load_server_metadata()
    assert meta["issuer"] == tessera.url
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                "end_session_endpoint", "jwks_uri"):
        assert meta[key].startswith(tessera.url), key
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["subject_types_supported"] == ["public"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert {"openid", "email"} <= set(meta["scopes_supported"])
    assert {"client_secret_basic", "none"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert set(meta["id_token_signing_alg_values_supported"]) & {"ES256", "RS256"}
    # Authlib's JWKS loader reads the published keys.
    assert rp.fetch_jwk_set()["keys"]


def test_code_flow_with_pkce_nonce_id_token_and_userinfo(tessera, setup):
    kind, client, user = setup
    rp = relying_party(tessera.url, client)
    agent, auth, location = sign_in(tessera, rp, user)

    # What the person saw: the sign-in page, and consent only for the third-party app.
    assert agent.kinds_seen() == (["login", "consent"] if kind == "confidential" else ["login"])
    if kind == "confidential":
        consent = agent.seen[1]
        assert client["name"] in consent.texts.get("client-name", "")
        assert {"openid", "email"} <= {s.split()[0] for s in consent.scopes if s}

    # The URL Authlib built asks for S256 and a nonce; the answer carries state and iss.
    asked = query(auth["url"])
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] == auth["nonce"]
    answer = query(location)
    assert answer["state"] == auth["state"]
    assert answer["iss"] == tessera.url  # RFC 9207

    token = rp.fetch_access_token(
        redirect_uri=REDIRECT_URI,
        authorization_response=location,
        state=auth["state"],
        code_verifier=auth["code_verifier"],
    )
    assert token["token_type"].lower() == "bearer"
    assert token["refresh_token"] and token["id_token"]

    # Authlib's own id_token validation: JWKS signature, iss, aud, exp, iat, nonce, at_hash.
    claims = rp.parse_id_token(token, nonce=auth["nonce"])
    assert claims["sub"] == user["id"]
    assert claims["aud"] == client["client_id"] or client["client_id"] in claims["aud"]
    assert claims["email"] == user["email"]
    for name in ("auth_time", "at_hash", "sid", "iat", "exp"):
        assert name in claims, name

    # A nonce that is not this sign-in's is refused by the same validation,
    with pytest.raises(Exception, match="nonce"):
        rp.parse_id_token(token, nonce="someone-elses-nonce")
    # and so is an id_token whose signature does not match its content.
    header, payload, signature = token["id_token"].split(".")
    forged = dict(token, id_token=f"{header}.{payload}.{signature[:-4]}AAAA")
    with pytest.raises(Exception, match="(?i)signature"):
        rp.parse_id_token(forged, nonce=auth["nonce"])

    info = rp.userinfo(token=token)
    assert info["sub"] == user["id"]
    assert info["email"] == user["email"]
    assert "email_verified" in info


def test_code_is_single_use_for_authlib(tessera, setup):
    _, client, user = setup
    rp = relying_party(tessera.url, client)
    _, auth, location = sign_in(tessera, rp, user)
    exchange = dict(
        redirect_uri=REDIRECT_URI,
        authorization_response=location,
        state=auth["state"],
        code_verifier=auth["code_verifier"],
    )
    token = rp.fetch_access_token(**exchange)
    with pytest.raises(OAuthError) as second:
        rp.fetch_access_token(**exchange)
    assert second.value.error == "invalid_grant"
    # The replay revoked the family the code produced (RFC 6749 §4.1.2).
    with pytest.raises(OAuthError) as refresh:
        token_session(rp).refresh_token(
            rp.load_server_metadata()["token_endpoint"], refresh_token=token["refresh_token"]
        )
    assert refresh.value.error == "invalid_grant"


def test_wrong_verifier_is_refused(tessera, setup):
    _, client, user = setup
    rp = relying_party(tessera.url, client)
    _, auth, location = sign_in(tessera, rp, user)
    with pytest.raises(OAuthError) as err:
        rp.fetch_access_token(
            redirect_uri=REDIRECT_URI,
            authorization_response=location,
            state=auth["state"],
            code_verifier=auth["code_verifier"][:-1] + ("A" if auth["code_verifier"][-1] != "A" else "B"),
        )
    assert err.value.error == "invalid_grant"


def test_refresh_then_logout_kills_the_refresh_token(tessera, setup):
    _, client, user = setup
    rp = relying_party(tessera.url, client)
    agent, auth, location = sign_in(tessera, rp, user)
    token = rp.fetch_access_token(
        redirect_uri=REDIRECT_URI,
        authorization_response=location,
        state=auth["state"],
        code_verifier=auth["code_verifier"],
    )
    token_endpoint = rp.load_server_metadata()["token_endpoint"]

    # Refresh rotates: a new refresh token, and the new access token works.
    refreshed = token_session(rp).refresh_token(token_endpoint, refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] and refreshed["refresh_token"] != token["refresh_token"]
    assert rp.userinfo(token=refreshed)["sub"] == user["id"]

    # A second authorization in the same browser needs no password: the session cookie.
    # (Consent, asked of the third-party app the first time, is remembered too.)
    agent.seen.clear()
    _, auth2, location2 = sign_in(tessera, rp, user, agent=agent)
    assert agent.kinds_seen() == []
    assert query(location2)["state"] == auth2["state"]

    # RP-initiated logout, as Authlib builds it, in the person's browser.
    logout = rp.create_logout_url(
        post_logout_redirect_uri=POST_LOGOUT_URI, id_token_hint=token["id_token"]
    )
    answer = agent.get(logout["url"])
    assert answer.status_code in (302, 303), answer.text
    back = answer.headers["Location"]
    assert same_endpoint(back, POST_LOGOUT_URI)
    assert query(back)["state"] == logout["state"]

    # The families of that session died with it: the latest refresh token is refused.
    with pytest.raises(OAuthError) as err:
        token_session(rp).refresh_token(token_endpoint, refresh_token=refreshed["refresh_token"])
    assert err.value.error == "invalid_grant"

    # And the authority session is gone: prompt=none now answers login_required.
    auth3 = rp.create_authorization_url(redirect_uri=REDIRECT_URI, prompt="none")
    location3 = agent.authorize(auth3["url"], REDIRECT_URI)
    assert query(location3)["error"] == "login_required"
    assert query(location3)["state"] == auth3["state"]
