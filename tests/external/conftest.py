"""Fixtures for the tests that drive the real `tessera` binary from Python.

Every test gets a server of its own on a fresh database, once on SQLite and once on
PostgreSQL (`engine`), on free ports, with a bootstrap admin. The binary is
$TESSERA_BIN (run.sh builds it); PostgreSQL is the server named by
$TESSERA_TEST_POSTGRES_URL (an admin URL): a database is created per test and dropped
after it. A missing binary or PostgreSQL fails the test: nothing here skips.
"""
import base64
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-1234"
OUTPUT = ROOT / "target" / "external"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(admin_url, sql):
    subprocess.run(["psql", admin_url, "-qtAc", sql], check=True, capture_output=True)


class Tessera:
    """One running `tessera serve` and the calls tests make of it."""

    def __init__(self, engine, env=None):
        self.engine = engine
        self.dir = Path(tempfile.mkdtemp(prefix="tessera-ext-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_url = f"http://127.0.0.1:{free_port()}"
        self.pg = None
        if engine == "sqlite":
            db_url = f"sqlite://{self.dir}/tessera.db"
        else:
            admin = os.environ.get("TESSERA_TEST_POSTGRES_URL")
            if not admin:
                raise RuntimeError("TESSERA_TEST_POSTGRES_URL must name a PostgreSQL server")
            name = "tessera_ext_" + uuid.uuid4().hex
            psql(admin, f"CREATE DATABASE {name}")
            self.pg = (admin, name)
            db_url = admin.rsplit("/", 1)[0] + "/" + name
        self.env = {
            **os.environ,
            "TESSERA__SERVER__LISTEN": f"127.0.0.1:{self.port}",
            "TESSERA__SERVER__METRICS_LISTEN": self.metrics_url.removeprefix("http://"),
            "TESSERA__SERVER__WORKERS": "2",
            "TESSERA__SERVER__SHUTDOWN_TIMEOUT": "1s",
            "TESSERA__ISSUER": self.url,
            "TESSERA__DATABASE__URL": db_url,
            "TESSERA__DATABASE__MAX_CONNECTIONS": "5",
            "TESSERA__KEYS__KEK": base64.b64encode(secrets.token_bytes(32)).decode(),
            "TESSERA__COOKIES__SECURE": "false",
            "TESSERA__BOOTSTRAP__ADMIN_EMAIL": ADMIN_EMAIL,
            "TESSERA__BOOTSTRAP__ADMIN_PASSWORD": ADMIN_PASSWORD,
            "TESSERA__LOG__FILTER": "warn",
            **(env or {}),
        }
        self.env["TESSERA__TOKENS__AUDIENCE"] = self.env.get("TESSERA__TOKENS__AUDIENCE", self.url)
        self.process = None
        self._admin_token = None

    def start(self):
        binary = os.environ.get("TESSERA_BIN", str(ROOT / "target" / "debug" / "tessera"))
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"no tessera binary at {binary}: run tests/external/run.sh")
        self.log = open(self.dir / "server.log", "wb")
        self.process = subprocess.Popen([binary, "serve"], env=self.env, cwd=self.dir,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("tessera exited:\n" + self.server_log())
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("tessera did not become ready:\n" + self.server_log())

    def server_log(self):
        return (self.dir / "server.log").read_text(errors="replace")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.pg:
            admin, name = self.pg
            psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            self.pg = None
        shutil.rmtree(self.dir, ignore_errors=True)

    # The calls most tests make.

    def login(self, email, password):
        """POST /auth/login: the JSON answer (access_token, ...)."""
        res = requests.post(self.url + "/auth/login", json={"email": email, "password": password})
        assert res.status_code == 200, res.text
        return res.json()

    def admin_token(self):
        if self._admin_token is None:
            self._admin_token = self.login(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
        return self._admin_token

    def admin(self, method, path, **kwargs):
        headers = {"Authorization": f"Bearer {self.admin_token()}", **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, **kwargs)

    def create_user(self, email, password, roles=()):
        res = self.admin("POST", "/admin/users",
                         json={"email": email, "password": password, "roles": list(roles)})
        assert res.status_code == 201, res.text
        return res.json()

    def register_client(self, **registration):
        """POST /admin/clients: the created client (client_id, client_secret, ...)."""
        registration.setdefault("name", "external-test")
        res = self.admin("POST", "/admin/clients", json=registration)
        assert res.status_code == 201, res.text
        return res.json()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request):
    return request.param


@pytest.fixture
def tessera_factory(engine):
    """Starts servers with extra settings: `tessera_factory({"TESSERA__...": "..."})`."""
    started = []

    def start(env=None):
        server = Tessera(engine, env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def tessera(tessera_factory):
    """A server with default settings on a fresh database."""
    return tessera_factory()


@pytest.fixture
def output_dir(request, engine):
    """A folder for what a test leaves behind (screenshots): target/external/<test>/<engine>."""
    name = request.node.originalname or request.node.name
    folder = OUTPUT / name / engine
    folder.mkdir(parents=True, exist_ok=True)
    return folder
