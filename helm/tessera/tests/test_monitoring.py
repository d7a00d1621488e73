"""The Grafana dashboard and the Prometheus alerts the chart ships."""

import json
import shutil
import subprocess

import pytest
import yaml

from conftest import CHART

RULES = CHART / "alerts" / "tessera-rules.yaml"
DASHBOARD = CHART / "dashboards" / "tessera.json"


def promtool_run(promtool, *args, cwd=None):
    done = subprocess.run([promtool, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"promtool {' '.join(map(str, args))}:\n{done.stdout}{done.stderr}"
    return done.stdout


# What some panel's query must use.
PANEL_QUERIES = [
    "tessera_tokens_issued_total",
    "by (grant)",
    "tessera_refresh_rotations_total",
    "tessera_refresh_reuse_detected_total",
    "tessera_families_revoked_total",
    "by (reason)",
    "tessera_signing_key_age_seconds",
    "tessera_signing_keys",
    "by (state)",
    "histogram_quantile",
    "tessera_http_request_duration_seconds_bucket",
    "by (le, route)",
    "tessera_http_requests_total",
    "by (status)",
]


@pytest.fixture(scope="module")
def dashboard_queries():
    dashboard = json.loads(DASHBOARD.read_text())
    return " ".join(t.get("expr", "") for p in dashboard["panels"] for t in p.get("targets", []))


@pytest.mark.parametrize("needle", PANEL_QUERIES)
def test_dashboard_panel_uses(dashboard_queries, needle):
    assert needle in dashboard_queries


def test_alert_rules_file_is_valid(promtool):
    promtool_run(promtool, "check", "rules", RULES)


def test_rendered_prometheus_rule_is_valid(promtool, render_case, tmp_path):
    rule = render_case("full").one("PrometheusRule")
    path = tmp_path / "rendered-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False))
    promtool_run(promtool, "check", "rules", path)


def test_alerts_fire_as_expected(promtool, tmp_path):
    """Reuse, no current key, 5xx ratio and key age alerts (alerts-test.yaml)."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "tessera-rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    shutil.copy(CHART / "tests" / "alerts-test.yaml", tmp_path)
    promtool_run(promtool, "test", "rules", "alerts-test.yaml", cwd=tmp_path)
