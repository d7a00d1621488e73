"""values.schema.json: Helm checks the values against it before rendering.

Every values file in helm/tessera/ci passes; a misspelled key, a value outside
an enum, a malformed duration or a wrong type fails the render with Helm's
schema error naming the key.
"""

import json

import pytest
import yaml

from conftest import CHART, values_file

SCHEMA_ERROR = "values don't meet the specifications of the schema"
SQLITE = values_file("sqlite")


@pytest.mark.parametrize("path", sorted((CHART / "ci").glob("*-values.yaml")), ids=lambda p: p.name)
def test_ci_values_pass(helm, path):
    helm.template("-f", path)


def test_defaults_pass(helm):
    # values.yaml alone is refused by the template (no KEK Secret, no issuer), not the schema.
    error = helm.refuse()
    assert SCHEMA_ERROR not in error, error


# Each row: a misspelled key, where Helm's error puts it, and the key it names.
TYPOS = [
    ("config.keys.algoritm=ES256", "/config/keys", "algoritm"),
    ("config.tokens.acess_ttl=5m", "/config/tokens", "acess_ttl"),
    ("config.server.trusted_proxy=10.0.0.0/8", "/config/server", "trusted_proxy"),
    ("config.sever.workers=2", "/config", "sever"),
    ("config.log.level=debug", "/config/log", "level"),
    ("replicaCont=3", "", "replicaCont"),
    ("kek.existingSecrte=tessera-kek", "/kek", "existingSecrte"),
    ("persistence.sise=5Gi", "/persistence", "sise"),
    ("livenessProbe.periodSecond=5", "/livenessProbe", "periodSecond"),
    ("autoscaling.maxReplica=3", "/autoscaling", "maxReplica"),
]


@pytest.mark.parametrize("setting, at, key", TYPOS, ids=[t[0].split("=")[0] for t in TYPOS])
def test_misspelled_key_fails_naming_it(helm, setting, at, key):
    error = helm.refuse(*SQLITE, "--set", setting)
    assert SCHEMA_ERROR in error, error
    assert f"at '{at}': additional properties '{key}' not allowed" in error, error


# Each row: `--set` or `--set-string`, the setting, and where Helm's error points.
BAD_VALUES = [
    ("--set", "config.keys.algorithm=HS256", "/config/keys/algorithm"),
    ("--set", "config.keys.rsa_bits=1024", "/config/keys/rsa_bits"),
    ("--set", "config.log.format=text", "/config/log/format"),
    ("--set", "config.tokens.access_ttl=15x", "/config/tokens/access_ttl"),
    ("--set", "config.keys.rotation_interval=fifteen", "/config/keys/rotation_interval"),
    ("--set", "config.server.shutdown_timeout=-5", "/config/server/shutdown_timeout"),
    ("--set", "config.tokens.family_history=0", "/config/tokens/family_history"),
    ("--set", "config.cookies.secure=maybe", "/config/cookies/secure"),
    ("--set", "config.server.trusted_proxies={ingress-nginx}", "/config/server/trusted_proxies/0"),
    ("--set-string", "replicaCount=3", "/replicaCount"),
    ("--set", "image.pullPolicy=Sometimes", "/image/pullPolicy"),
    ("--set", "image.digest=latest", "/image/digest"),
    ("--set", "service.type=Ingress", "/service/type"),
    ("--set", "persistence.size=lots", "/persistence/size"),
    ("--set", "persistence.accessModes={ReadWriteSometimes}", "/persistence/accessModes/0"),
    ("--set", "serviceMonitor.interval=30 seconds", "/serviceMonitor/interval"),
    ("--set", "prometheusRule.keyAgeSlack=1 fortnight", "/prometheusRule/keyAgeSlack"),
    ("--set", "prometheusRule.disabled={TesseraNoSuchAlert}", "/prometheusRule/disabled/0"),
    ("--set", "podDisruptionBudget.minAvailable=half", "/podDisruptionBudget/minAvailable"),
]


@pytest.mark.parametrize("flag, setting, at", BAD_VALUES, ids=[b[1] for b in BAD_VALUES])
def test_bad_value_fails_naming_it(helm, flag, setting, at):
    error = helm.refuse(*SQLITE, flag, setting)
    assert SCHEMA_ERROR in error, error
    assert f"at '{at}'" in error, error


# Durations as tessera reads them: units, several units, plain seconds (text or number).
@pytest.mark.parametrize("flag, value", [
    ("--set", "45s"),
    ("--set", "1h 30m"),
    ("--set", "1h30m"),
    ("--set", "2 days"),
    ("--set-string", "900"),
    ("--set", "900"),
])
def test_durations_accepted(helm, flag, value):
    helm.template(*SQLITE, flag, f"config.server.shutdown_timeout={value}")


def test_disabled_alerts_name_alerts_of_the_rule_file():
    schema = json.loads((CHART / "values.schema.json").read_text())
    names = schema["properties"]["prometheusRule"]["properties"]["disabled"]["items"]["enum"]
    rules = yaml.safe_load((CHART / "alerts" / "tessera-rules.yaml").read_text())
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    assert sorted(names) == sorted(alerts)
