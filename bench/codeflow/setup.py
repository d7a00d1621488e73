#!/usr/bin/env python3
"""Prepares a code-flow benchmark against a running tessera (standard library only).

Signs the admin in, registers a public first-party client (no consent, no secret) and
a user, signs that user in SESSIONS times on the hosted login page (each sign-in is one
argon2 verification, done here so that the measured flow hashes no password), and
writes FLOW_FILE for flow.lua:

    line 1  the /oauth/authorize path and query (S256 challenge of one verifier)
    line 2  the token request body without the code
    then    one `tessera_session=...` cookie per line

    setup.py URL ADMIN_EMAIL ADMIN_PASSWORD SESSIONS FLOW_FILE [SCOPE]
"""

import base64
import hashlib
import http.cookiejar
import json
import secrets
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

REDIRECT_URI = "http://127.0.0.1:9/callback"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and urlsplit(a.get("action") or "").path == "/oauth/login":
            self.action = a["action"]
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            self.fields.append((a["name"], a.get("value") or ""))


def call(opener, method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=30) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as err:  # 3xx (no redirect followed) and 4xx
        return err.code, err.headers, err.read().decode()


def main():
    base, admin_email, admin_password, sessions, out = sys.argv[1:6]
    scope = sys.argv[6] if len(sys.argv) > 6 else "openid"
    plain = urllib.request.build_opener(NoRedirect)

    status, _, body = call(plain, "POST", f"{base}/auth/login",
                           json.dumps({"email": admin_email, "password": admin_password}).encode(),
                           {"Content-Type": "application/json"})
    assert status == 200, (status, body)
    admin = {"Authorization": "Bearer " + json.loads(body)["access_token"],
             "Content-Type": "application/json"}

    client = {"name": "bench code flow", "type": "public", "scopes": scope.split(),
              "redirect_uris": [REDIRECT_URI], "first_party": True,
              "grant_types": ["authorization_code", "refresh_token"]}
    status, _, body = call(plain, "POST", f"{base}/admin/clients", json.dumps(client).encode(), admin)
    assert status == 201, (status, body)
    client_id = json.loads(body)["client_id"]

    email, password = f"bench-{secrets.token_hex(4)}@example.com", "bench-" + secrets.token_urlsafe(16)
    user = {"email": email, "password": password, "roles": []}
    status, _, body = call(plain, "POST", f"{base}/admin/users", json.dumps(user).encode(), admin)
    assert status == 201, (status, body)

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    authorize = "/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
        "scope": scope, "state": "bench-state", "nonce": "bench-nonce",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    token_prefix = urlencode({"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI,
                              "client_id": client_id, "code_verifier": verifier}) + "&code="

    cookies = []
    for _ in range(int(sessions)):
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))
        url = base + authorize
        for _ in range(5):  # the login page, possibly behind a redirect
            status, headers, body = call(browser, "GET", url)
            if status in (302, 303):
                url = urljoin(url, headers["Location"])
                continue
            break
        form = Inputs()
        form.feed(body)
        assert form.action, f"no sign-in form ({status}): {body[:300]}"
        fields = dict(form.fields, email=email, password=password)
        status, headers, body = call(browser, "POST", urljoin(url, form.action),
                                     urlencode(fields).encode(),
                                     {"Content-Type": "application/x-www-form-urlencoded"})
        assert status in (302, 303), (status, body[:300])
        session = [c for c in jar if c.name == "tessera_session"]
        assert session, "no tessera_session cookie after signing in"
        cookies.append(f"tessera_session={session[0].value}")
        # The session works: authorize now redirects with a code.
        status, headers, _ = call(browser, "GET", base + authorize)
        assert status in (302, 303) and "code=" in headers.get("Location", ""), (status, headers)

    with open(out, "w") as f:
        f.write(authorize + "\n" + token_prefix + "\n" + "\n".join(cookies) + "\n")


if __name__ == "__main__":
    main()
