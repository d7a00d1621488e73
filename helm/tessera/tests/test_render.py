"""What the chart renders from the values in helm/tessera/ci, and what it refuses.

One test per promise; a promise that holds for several renders is parametrised
over them. The refusals are the templates' own `fail` messages (the user sees
them), so the tests look for their words.
"""

import json
import re
import shutil

import pytest

from conftest import CHART, values_file

# The renders of helm/tessera/ci/<case>-values.yaml: database engine and the
# Deployment's replica count (None: left to the HorizontalPodAutoscaler).
CASES = {
    "sqlite": ("sqlite", 1),
    "postgres-ha": ("postgres", 3),
    "full": ("postgres", None),
}
POSTGRES_CASES = [case for case, (engine, _) in CASES.items() if engine == "postgres"]
SQLITE = values_file("sqlite")


@pytest.fixture(params=CASES)
def case(request):
    return request.param


@pytest.fixture
def manifest(case, render_case):
    return render_case(case)


def seconds(text):
    """Seconds in a duration such as 30s, 1h 30m or 900."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = str(text).strip()
    if text.isdigit():
        return int(text)
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)\s*([smhd])", text))


# ---------------------------------------------------------------- every render


def test_replicas(case, manifest):
    spec = manifest.deployment["spec"]
    replicas = CASES[case][1]
    if replicas is None:
        assert "replicas" not in spec, "with an HPA the Deployment must leave replicas to it"
    else:
        assert spec.get("replicas") == replicas


def test_container_serves(manifest):
    assert manifest.container["args"] == ["serve"]


def test_probes(manifest):
    assert manifest.container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert manifest.container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_container_is_locked_down(manifest):
    sc = manifest.container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["runAsNonRoot"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert sc["allowPrivilegeEscalation"] is False
    assert manifest.pod["securityContext"]["runAsNonRoot"] is True


def test_resources_set(manifest):
    assert manifest.container.get("resources"), "resources missing"


def test_grace_period_exceeds_shutdown_timeout(manifest):
    shutdown = seconds(manifest.env.get("TESSERA__SERVER__SHUTDOWN_TIMEOUT", {}).get("value", "30s"))
    assert manifest.pod["terminationGracePeriodSeconds"] > shutdown


def test_listeners_and_log_format(manifest):
    env = manifest.env
    assert env["TESSERA__SERVER__LISTEN"]["value"] == "0.0.0.0:8080"
    assert env["TESSERA__SERVER__METRICS_LISTEN"]["value"] == "0.0.0.0:9464"
    assert env["TESSERA__LOG__FORMAT"]["value"] == "json"


def test_config_passed_as_env(manifest):
    expected = [
        "TESSERA__ISSUER",
        "TESSERA__KEYS__ALGORITHM",
        "TESSERA__KEYS__RSA_BITS",
        "TESSERA__KEYS__ROTATION_INTERVAL",
        "TESSERA__KEYS__JWKS_MAX_AGE",
        "TESSERA__TOKENS__ACCESS_TTL",
        "TESSERA__TOKENS__REFRESH_TTL",
        "TESSERA__TOKENS__REFRESH_IDLE_TTL",
        "TESSERA__TOKENS__REUSE_GRACE",
        "TESSERA__COOKIES__SECURE",
    ]
    missing = [name for name in expected if name not in manifest.env]
    assert not missing, f"not set: {missing}"


def test_tmp_is_an_empty_dir(manifest):
    assert "emptyDir" in manifest.volume_at("/tmp")


def test_kek_comes_from_a_secret(manifest):
    kek_file = manifest.env["TESSERA__KEYS__KEK_FILE"]["value"]
    volume = manifest.volume_at(kek_file.rsplit("/", 1)[0])
    assert "secret" in volume and volume["secret"]["secretName"], "the KEK must come from a Secret"


def test_service_ports(manifest):
    ports = {p["name"]: p["port"] for p in manifest.one("Service")["spec"]["ports"]}
    assert ports == {"http": 8080, "metrics": 9464}


def test_pod_disruption_budget(manifest):
    manifest.one("PodDisruptionBudget")


# ---------------------------------------------------------------- by database engine


def test_database_url(case, manifest):
    url = manifest.env["TESSERA__DATABASE__URL"]
    if CASES[case][0] == "postgres":
        assert "secretKeyRef" in url.get("valueFrom", {}), "the PostgreSQL URL must come from a Secret"
    else:
        assert url["value"].startswith("sqlite://")


def test_update_strategy(case, manifest):
    expected = {"postgres": "RollingUpdate", "sqlite": "Recreate"}[CASES[case][0]]
    assert manifest.deployment["spec"]["strategy"]["type"] == expected


def test_sqlite_data_on_one_claim(render_case):
    manifest = render_case("sqlite")
    assert "persistentVolumeClaim" in manifest.volume_at("/var/lib/tessera/data")
    manifest.one("PersistentVolumeClaim")


def test_sqlite_has_no_migration_job(render_case):
    assert not render_case("sqlite").all("Job"), "no hook Job on SQLite"


@pytest.mark.parametrize("case", POSTGRES_CASES)
def test_postgres_has_no_claim(case, render_case):
    assert not render_case(case).all("PersistentVolumeClaim")


@pytest.mark.parametrize("case", POSTGRES_CASES)
def test_postgres_migrates_in_a_hook_job(case, render_case):
    job = render_case(case).one("Job")
    hooks = job["metadata"]["annotations"]["helm.sh/hook"]
    assert "pre-install" in hooks and "pre-upgrade" in hooks, hooks
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


# ---------------------------------------------------------------- particular renders


def test_no_proxy_trusted_by_default(render_case):
    assert "TESSERA__SERVER__TRUSTED_PROXIES" not in render_case("sqlite").env


def test_no_autoscaler_unless_enabled(render_case):
    assert not render_case("postgres-ha").all("HorizontalPodAutoscaler")


def test_trusted_proxies_joined_with_commas(render_case):
    value = render_case("full").env["TESSERA__SERVER__TRUSTED_PROXIES"]["value"]
    assert value == "10.244.0.0/16,fd00:10:244::/56"


def test_autoscaler(render_case):
    assert render_case("full").one("HorizontalPodAutoscaler")["spec"]["minReplicas"] == 2


def test_network_policy(render_case):
    render_case("full").one("NetworkPolicy")


def test_service_monitor_scrapes_metrics_port(render_case):
    monitor = render_case("full").one("ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"


def alerts(manifest):
    rule = manifest.one("PrometheusRule")
    return {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}


def test_prometheus_rule_ships_the_alerts(render_case):
    assert "TesseraRefreshTokenReuseDetected" in alerts(render_case("full"))


def test_prometheus_rule_leaves_out_disabled_alerts(render_case):
    assert "TesseraLoginFailuresHigh" not in alerts(render_case("full"))


def test_key_age_alert_follows_rotation_interval(render_case):
    # full-values.yaml: keys.rotation_interval 7d + prometheusRule.keyAgeSlack 1d (default).
    expr = alerts(render_case("full"))["TesseraSigningKeyTooOld"]["expr"]
    assert expr.strip().endswith("> 691200"), expr


def test_dashboard_config_map(render_case):
    config_map = render_case("full").one("ConfigMap")
    assert config_map["metadata"]["labels"].get("grafana_dashboard") == "1"
    dashboard = json.loads(config_map["data"]["tessera.json"])
    assert dashboard["uid"] == "tessera" and dashboard["panels"]


# ---------------------------------------------------------------- refusals

# Each row: the arguments of `helm template` and the words of the template's `fail`
# message that must appear. All the problems of one render come in one message.
REFUSALS = [
    pytest.param(
        [],
        ["kek.existingSecret is required", "config.issuer is required"],
        id="defaults: no KEK Secret, no issuer",
    ),
    pytest.param(
        [*SQLITE, "--set", "replicaCount=3"],
        ["replicaCount=3 with SQLite"],
        id="sqlite with 3 replicas",
    ),
    pytest.param(
        [*SQLITE, "--set", "autoscaling.enabled=true"],
        ["autoscaling.enabled=true with SQLite"],
        id="sqlite with autoscaling",
    ),
    pytest.param(
        [*SQLITE, "--set", "database.url=postgres://u:p@db/tessera"],
        ["database.url must be a sqlite:// URL", "//[redacted]@"],
        id="postgres URL in values",
    ),
    pytest.param(
        [*values_file("postgres-ha"), "--set", "database.existingSecretKey="],
        ["database.existingSecretKey must name the key"],
        id="postgres secret without key",
    ),
    pytest.param(
        [*values_file("full"), "--set", "autoscaling.minReplicas=6"],
        ["autoscaling.minReplicas must not exceed autoscaling.maxReplicas"],
        id="autoscaling min over max",
    ),
    pytest.param(
        [*SQLITE, "--set", "kek.key="],
        ["kek.key must name the key"],
        id="KEK secret without key",
    ),
    pytest.param(
        [*SQLITE, "--set", "config.issuer=auth.example.com"],
        ['config.issuer must be an http(s) URL (got "auth.example.com")'],
        id="issuer not a URL",
    ),
    pytest.param(
        [*SQLITE, "--set", "terminationGracePeriodSeconds=30"],
        ["terminationGracePeriodSeconds=30 must be more"],
        id="grace period not above shutdown",
    ),
    pytest.param(
        [*SQLITE, "--set", "config.server.trusted_proxies={10.244.0.0/16,0.0.0.0/0}"],
        ["trusted_proxies must not contain 0.0.0.0/0"],
        id="trust every IPv4 peer",
    ),
    pytest.param(
        [*SQLITE, "--set", "config.server.trusted_proxies=::/0"],
        ["trusted_proxies must not contain ::/0"],
        id="trust every IPv6 peer",
    ),
    # Caught by values.schema.json first; the template's check stays behind it.
    pytest.param(
        [*SQLITE, "--skip-schema-validation", "--set", "config.server.shutdown_timeout=15x"],
        ['config.server.shutdown_timeout: unknown duration unit "x"'],
        id="duration unit, schema skipped",
    ),
]

# Settings the chart makes itself: each refused under config, naming what to set instead.
MANAGED = {
    "server.listen": "containerPorts.http",
    "server.metrics_listen": "containerPorts.metrics",
    "database.url": "database.url or database.existingSecret",
    "keys.kek": "kek.existingSecret",
    "keys.kek_file": "kek.existingSecret",
    "bootstrap.admin_email": "bootstrap.existingSecret",
    "bootstrap.admin_password": "bootstrap.existingSecret",
}
REFUSALS += [
    pytest.param(
        [*SQLITE, "--set", f"config.{key}=x"],
        [f"config.{key} is set by the chart; use {instead}"],
        id=f"config.{key}",
    )
    for key, instead in MANAGED.items()
]


@pytest.mark.parametrize("args, words", REFUSALS)
def test_refused(helm, args, words):
    error = helm.refuse(*args)
    assert "execution error at (tessera/templates/" in error, f"not refused by a template:\n{error}"
    for text in words:
        assert text in error, f"{text!r} not in:\n{error}"


# ---------------------------------------------------------------- a broken template


@pytest.fixture
def broken_chart(tmp_path):
    chart = tmp_path / "tessera"
    shutil.copytree(CHART, chart, ignore=shutil.ignore_patterns("tests"))
    (chart / "templates" / "broken.yaml").write_text("{{ if .Values.replicaCount }}\nkind: ConfigMap\n")
    return chart


def test_broken_template_fails_lint(helm, broken_chart):
    done = helm.lint(*SQLITE, chart=broken_chart)
    assert done.returncode != 0, f"helm lint passed a template with an unclosed {{{{ if }}}}:\n{done.stdout}"


def test_broken_template_fails_render(helm, broken_chart):
    error = helm.refuse(*SQLITE, chart=broken_chart)
    assert "parse error" in error, error
