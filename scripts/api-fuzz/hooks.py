"""schemathesis hooks for scripts/api-fuzz.sh: credentials for each security scheme, so
protected operations are exercised past their 401. (Not in schemathesis.toml: any
[auth] there makes schemathesis drop the providers registered here.)

Operations that take HTTP Basic get the OAuth client the script made; the others an
admin's bearer token. The fuzzer does things that rightly kill that token (a logout
that carries it, revoking the key that signed it, revoking the admin's sessions), so
it is fetched again whenever a protected operation answers 401. That login goes out
from 127.0.0.2: fuzzed logins from 127.0.0.1 soon trip the per-address throttle (50
failures in 15 minutes), which would refuse the admin's own password too.
"""

import json
import os

import schemathesis
import urllib3

_PORT = int(os.environ["API_FUZZ_PORT"])
_LOGIN_ADDRESS = os.environ.get("API_FUZZ_LOGIN_ADDRESS", "127.0.0.2")
_pool = urllib3.HTTPConnectionPool(
    "127.0.0.1", _PORT, source_address=(_LOGIN_ADDRESS, 0), retries=False, timeout=30
)


def _declares(scheme):
    def matcher(ctx) -> bool:
        security = ctx.operation.definition.raw.get("security") or []
        return any(scheme in requirement for requirement in security)

    matcher.__name__ = f"declares_{scheme}"
    return matcher


# Registered first, so an operation that takes either scheme gets Basic.
@schemathesis.auth(refresh_interval=None).apply_to(_declares("basic"))
class ClientBasic:
    def get(self, case, ctx):
        return (os.environ["API_FUZZ_CLIENT_ID"], os.environ["API_FUZZ_CLIENT_SECRET"])

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = urllib3.make_headers(basic_auth=":".join(data))[
            "authorization"
        ]
        # One client authentication method per request (RFC 6749 §2.3.1): with Basic
        # set, client credentials in the form are a second one, rightly refused (400).
        if isinstance(case.body, dict):
            case.body.pop("client_id", None)
            case.body.pop("client_secret", None)


@schemathesis.auth(refresh_interval=600, retry_on=[401]).apply_to(_declares("bearer"))
class AdminBearer:
    def get(self, case, ctx):
        body = json.dumps(
            {
                "email": os.environ["API_FUZZ_ADMIN_EMAIL"],
                "password": os.environ["API_FUZZ_ADMIN_PASSWORD"],
            }
        )
        res = _pool.request(
            "POST", "/auth/login", body=body, headers={"content-type": "application/json"}
        )
        if res.status != 200:
            raise RuntimeError(f"admin login answered {res.status}: {res.data[:200]!r}")
        return json.loads(res.data)["access_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
