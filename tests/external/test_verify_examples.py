"""The downstream verifiers of examples/ (Python with PyJWT, Node with jose) against the
running server: a fresh token verifies, a tampered one does not, and after a logout or
a revoke-sessions the same verifier (caches and all) refuses the token within the
status list's ttl + 5 s."""
import importlib.util
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

TTL = 2  # status_list.ttl for these servers, seconds
EXAMPLES = ROOT / "examples"


def load_python_verifier():
    spec = importlib.util.spec_from_file_location("verify_example", EXAMPLES / "verify-python" / "verify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class PythonVerifier:
    """examples/verify-python in this process: one Verifier, its caches kept."""

    def __init__(self, issuer):
        self.verifier = load_python_verifier().Verifier(issuer)

    def verify(self, token):
        try:
            return {"ok": True, "claims": self.verifier.verify(token)}
        except Exception as e:  # noqa: BLE001 - a refusal of any kind
            return {"ok": False, "error": f"{type(e).__name__}: {e}"}

    def close(self):
        pass


class NodeVerifier:
    """examples/verify-node as a long-lived process: one token per line in, one JSON
    answer per line out, so its caches live across calls as in a real API."""

    def __init__(self, issuer):
        self.process = subprocess.Popen(
            ["node", str(EXAMPLES / "verify-node" / "verify.mjs"), issuer],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def verify(self, token):
        self.process.stdin.write(token + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the node verifier exited"
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture(scope="session")
def node_modules():
    folder = EXAMPLES / "verify-node"
    if not (folder / "node_modules" / "jose").is_dir():
        npm = shutil.which("npm")
        assert npm, "the Node verifier needs npm"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder, check=True)


@pytest.fixture(params=["python", "node"])
def make_verifier(request):
    made = []
    if request.param == "node":
        request.getfixturevalue("node_modules")

    def make(issuer):
        v = PythonVerifier(issuer) if request.param == "python" else NodeVerifier(issuer)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()


@pytest.fixture
def server(tessera_factory):
    return tessera_factory({"TESSERA__STATUS_LIST__TTL": f"{TTL}s"})


def sign_in(server, email):
    """A user and a browser-like session: the access token, the session, the user id."""
    user = server.create_user(email, "verify-password-1234")
    session = requests.Session()
    res = session.post(server.url + "/auth/login", json={"email": email, "password": "verify-password-1234"})
    assert res.status_code == 200, res.text
    return res.json()["access_token"], session, user["id"]


def refused_within(verifier, token, seconds):
    """Polls until the verifier refuses `token`; the refusal, or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        answer = verifier.verify(token)
        if not answer["ok"]:
            return answer
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.25)


def test_a_fresh_token_verifies_and_a_tampered_one_does_not(server, make_verifier):
    token, _, user_id = sign_in(server, "fresh@example.com")
    verifier = make_verifier(server.url)
    answer = verifier.verify(token)
    assert answer["ok"], answer
    claims = answer["claims"]
    assert claims["sub"] == user_id
    assert claims["status"]["status_list"]["uri"].startswith(server.url + "/statuslists/")

    header, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert not verifier.verify(f"{header}.{payload}.{flipped}")["ok"]
    assert not verifier.verify(f"{header}.{payload[:-4]}AAAA.{signature}")["ok"]


def test_a_logout_is_refused_within_ttl_plus_5s(server, make_verifier):
    token, session, _ = sign_in(server, "logout@example.com")
    verifier = make_verifier(server.url)
    assert verifier.verify(token)["ok"]
    res = session.post(server.url + "/auth/logout", headers={
        "Authorization": f"Bearer {token}",
        "X-CSRF-Token": session.cookies.get("tessera_csrf"),
    })
    assert res.status_code in (200, 204), res.text
    refusal = refused_within(verifier, token, TTL + 5)
    assert refusal is not None, f"still accepted {TTL + 5} s after logout"
    assert "revoked" in refusal["error"], refusal


def test_revoke_sessions_is_refused_within_ttl_plus_5s(server, make_verifier):
    token, _, user_id = sign_in(server, "revoked@example.com")
    other, _, _ = sign_in(server, "bystander@example.com")
    verifier = make_verifier(server.url)
    assert verifier.verify(token)["ok"] and verifier.verify(other)["ok"]
    res = server.admin("POST", f"/admin/users/{user_id}/revoke-sessions")
    assert res.status_code in (200, 204), res.text
    refusal = refused_within(verifier, token, TTL + 5)
    assert refusal is not None, f"still accepted {TTL + 5} s after revoke-sessions"
    assert "revoked" in refusal["error"], refusal
    assert verifier.verify(other)["ok"], "another user's token is untouched"
