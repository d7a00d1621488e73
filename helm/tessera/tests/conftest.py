"""How the chart tests call helm and promtool, and what they get back.

scripts/check-chart.sh installs both tools and runs these tests. To run them by
hand, put helm (v3.18+ or v4) and promtool on PATH, or name them in $HELM and
$PROMTOOL, then:  python -m pytest helm/tessera/tests

A tool that cannot be found fails the tests that need it; nothing is skipped.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

CHART = Path(__file__).resolve().parent.parent
RELEASE = "tessera"
NAMESPACE = "tessera"


def values_file(case):
    """helm/tessera/ci/<case>-values.yaml as `-f` arguments."""
    return ["-f", str(CHART / "ci" / f"{case}-values.yaml")]


def find_tool(name):
    path = os.environ.get(name.upper()) or shutil.which(name)
    if not path:
        pytest.fail(
            f"{name} not found: run scripts/check-chart.sh, or put {name} on PATH or in ${name.upper()}",
            pytrace=False,
        )
    return path


class Helm:
    def __init__(self, path, home):
        self.path = path
        # Helm keeps caches and config here, never in the user's home.
        self.env = {
            **os.environ,
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }

    def run(self, *args):
        return subprocess.run(
            [self.path, *map(str, args)], env=self.env, capture_output=True, text=True
        )

    def template(self, *args, chart=CHART):
        """`helm template`; the objects it rendered. The render must succeed."""
        done = self.run("template", RELEASE, chart, "--namespace", NAMESPACE, *args)
        assert done.returncode == 0, f"helm template {' '.join(args)} failed:\n{done.stderr}"
        return Manifest(d for d in yaml.safe_load_all(done.stdout) if d)

    def refuse(self, *args, chart=CHART):
        """`helm template` that must fail; its error output."""
        done = self.run("template", RELEASE, chart, "--namespace", NAMESPACE, *args)
        assert done.returncode != 0, f"helm template {' '.join(args)} rendered, but must be refused"
        return done.stderr

    def lint(self, *args, chart=CHART):
        return self.run("lint", "--strict", chart, *args)


class Manifest:
    """The objects of one render, with the tessera Deployment's parts at hand."""

    def __init__(self, objects):
        self.objects = list(objects)

    def all(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind):
        found = self.all(kind)
        assert len(found) == 1, f"expected one {kind}, found {len(found)}"
        return found[0]

    @property
    def deployment(self):
        return self.one("Deployment")

    @property
    def pod(self):
        return self.deployment["spec"]["template"]["spec"]

    @property
    def container(self):
        return self.pod["containers"][0]

    @property
    def env(self):
        """The container's environment by name: {name: {"value": ...} or {"valueFrom": ...}}."""
        return {e["name"]: e for e in self.container.get("env", [])}

    def volume_at(self, path):
        """The pod volume the tessera container mounts at path."""
        name = next(m["name"] for m in self.container["volumeMounts"] if m["mountPath"] == path)
        return next(v for v in self.pod["volumes"] if v["name"] == name)


@pytest.fixture(scope="session")
def helm(tmp_path_factory):
    return Helm(find_tool("helm"), tmp_path_factory.mktemp("helm-home"))


@pytest.fixture(scope="session")
def promtool():
    return find_tool("promtool")


@pytest.fixture(scope="session")
def render_case(helm):
    """Renders of helm/tessera/ci/<case>-values.yaml, each rendered once."""
    cache = {}

    def render(case):
        if case not in cache:
            cache[case] = helm.template(*values_file(case))
        return cache[case]

    return render
