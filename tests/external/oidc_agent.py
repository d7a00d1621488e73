"""A scripted user agent for tessera's hosted pages, and admin set-up for OIDC tests.

The agent is what a person with a browser does, over `requests`: follow redirects by
hand, fill the sign-in form (every hidden field as the page rendered it, CSRF token
included), allow or deny on the consent page, and stop at the first redirect to the
client's redirect_uri, whose URL it returns. It parses the pages with the standard
library's HTMLParser and relies only on the ids and names of notes/oidc-ui.md.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

# ------------------------------------------------------------------ HTML pages


@dataclass
class Form:
    action: str
    method: str
    fields: list = field(default_factory=list)  # (name, value) of every named input
    buttons: list = field(default_factory=list)  # dicts of the button's attributes


@dataclass
class Page:
    status: int
    url: str
    html: str
    forms: list = field(default_factory=list)
    texts: dict = field(default_factory=dict)  # element id -> its text
    scopes: list = field(default_factory=list)  # text of each <li class="scope">
    h1: str = ""

    def form(self, action_path: str) -> Form | None:
        for f in self.forms:
            if urlsplit(f.action).path == action_path:
                return f
        return None

    @property
    def kind(self) -> str:
        if self.form("/oauth/login"):
            return "login"
        if self.form("/oauth/consent"):
            return "consent"
        return "other"


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.texts: dict[str, str] = {}
        self.scopes: list[str] = []
        self.h1 = ""
        self._open: list[tuple[str, str | None, bool]] = []  # (tag, id, is scope li)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind not in ("submit", "button", "image", "reset"):
                if kind not in ("checkbox", "radio") or "checked" in a:
                    self.forms[-1].fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and self.forms:
            self.forms[-1].buttons.append(a)
        if tag not in ("input", "br", "img", "meta", "link", "hr"):
            is_scope = tag == "li" and "scope" in a.get("class", "").split()
            self._open.append((tag, a.get("id"), is_scope))
            if a.get("id"):
                self.texts.setdefault(a["id"], "")
            if is_scope:
                self.scopes.append("")
            if tag == "h1":
                self.h1 = ""

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for tag, element_id, is_scope in self._open:
            if element_id:
                self.texts[element_id] += data
            if is_scope:
                self.scopes[-1] += data
            if tag == "h1":
                self.h1 += data


def parse_page(response: requests.Response) -> Page:
    parser = _PageParser()
    parser.feed(response.text)
    return Page(
        status=response.status_code,
        url=response.url,
        html=response.text,
        forms=parser.forms,
        texts={k: " ".join(v.split()) for k, v in parser.texts.items()},
        scopes=[" ".join(s.split()) for s in parser.scopes],
        h1=" ".join(parser.h1.split()),
    )


def query(url: str) -> dict[str, str]:
    """The query parameters of a URL, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def same_endpoint(url: str, registered: str) -> bool:
    """Whether url is the registered URI (exact scheme, host, port and path)."""
    a, b = urlsplit(url), urlsplit(registered)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


# ------------------------------------------------------------------ the user agent


class UserAgent:
    """One person's browser: a cookie jar and the pages it was shown."""

    def __init__(self, timeout: float = 30):
        self.http = requests.Session()
        self.timeout = timeout
        self.seen: list[Page] = []

    def get(self, url: str) -> requests.Response:
        return self.http.get(url, allow_redirects=False, timeout=self.timeout)

    def submit(self, page: Page, form: Form, values: dict[str, str]) -> requests.Response:
        data = [(k, v) for k, v in form.fields if k not in values]
        data += list(values.items())
        target = urljoin(page.url, form.action or page.url)
        assert form.method == "post", f"{form.action} should be a POST form"
        return self.http.post(target, data=data, allow_redirects=False, timeout=self.timeout)

    def authorize(
        self,
        url: str,
        redirect_uri: str,
        email: str | None = None,
        password: str | None = None,
        consent: str = "allow",
        max_steps: int = 10,
    ) -> str:
        """Follow an authorization request until tessera redirects to redirect_uri.

        Signs in on the login page (with email and password) and answers the consent
        page with `consent` ("allow" or "deny"). Returns the redirect's full URL.
        """
        response = self.get(url)
        for _ in range(max_steps):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if same_endpoint(location, redirect_uri):
                    return location
                response = self.get(location)
                continue
            page = parse_page(response)
            self.seen.append(page)
            if page.kind == "login":
                assert email is not None, f"asked to sign in (status {page.status})"
                if page.status != 200:
                    raise AssertionError(
                        f"sign-in failed ({page.status}): {page.texts.get('error', '')}"
                    )
                response = self.submit(
                    page, page.form("/oauth/login"), {"email": email, "password": password}
                )
            elif page.kind == "consent":
                response = self.submit(page, page.form("/oauth/consent"), {"decision": consent})
            else:
                raise AssertionError(
                    f"unexpected page {page.status} at {page.url}: "
                    f"{page.h1!r} {page.texts.get('error', '')!r}"
                )
        raise AssertionError(f"no redirect to {redirect_uri} after {max_steps} steps")

    def kinds_seen(self) -> list[str]:
        return [p.kind for p in self.seen]


# ------------------------------------------------------------------ admin set-up


def new_user(server, roles=()) -> dict:
    """A fresh user on `server` (conftest's Tessera): {"id", "email", "password"}."""
    email = f"user-{secrets.token_hex(6)}@example.com"
    password = "Correct-Horse-" + secrets.token_urlsafe(12)
    created = server.create_user(email, password, roles)
    return {"id": created["id"], "email": email, "password": password}


def new_client(
    server,
    *,
    client_type: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str] = (),
    scopes=("openid", "email"),
    first_party: bool = False,
) -> dict:
    """Registers an authorization-code client; returns tessera's answer plus its name."""
    name = f"{client_type} test app {secrets.token_hex(3)}"
    client = server.register_client(
        name=name,
        scopes=list(scopes),
        type=client_type,
        redirect_uris=list(redirect_uris),
        post_logout_redirect_uris=list(post_logout_redirect_uris),
        grant_types=["authorization_code", "refresh_token"],
        first_party=first_party,
    )
    assert ("client_secret" in client) == (client_type == "confidential"), client
    client.setdefault("name", name)
    return client
