"""A real browser: Debian's headless Chromium, driven by Selenium through chromedriver.

It fills tessera's hosted sign-in and consent pages and runs the example app
(examples/spa: static page + app.js, the example API verifying tokens with the JWKS)
through sign-in, an API call, a refresh after the access token expired, and sign-out.
Screenshots of the login, consent and error pages go to the test's output folder,
target/external/<test>/<engine>/.

Only the system browser is used: /usr/bin/chromium with /usr/bin/chromedriver, given
to Selenium explicitly (a Service with a driver path never runs Selenium Manager, and
SE_OFFLINE forbids it any download). Missing either binary FAILS the test: run.sh
installs them.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
from urllib.parse import quote, urlsplit

import pytest
import requests

from oidc_agent import new_client, new_user

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ACCESS_TTL_SECS = 10  # long enough that the first call, right after sign-in, never meets expiry
ROOT = pathlib.Path(__file__).resolve().parents[2]
SPA_DIR = ROOT / "examples" / "spa"
WAIT = 20  # seconds any one page or element may take

os.environ["SE_OFFLINE"] = "true"  # Selenium Manager, were it ever reached, downloads nothing

from selenium import webdriver  # noqa: E402  (after SE_OFFLINE)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def tessera_short(tessera_factory):
    """tessera whose access tokens live ACCESS_TTL_SECS, so the SPA must refresh."""
    return tessera_factory({"TESSERA__TOKENS__ACCESS_TTL": f"{ACCESS_TTL_SECS}s"})


@pytest.fixture
def shots(output_dir):
    """Screenshots go to the test's output folder: target/external/<test>/<engine>/."""
    return output_dir


@pytest.fixture
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"missing {', '.join(missing)}: apt-get install -y chromium chromium-driver "
            "(tests/external/run.sh does it)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespaces for the sandbox
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--no-first-run",
        "--password-store=basic",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    assert service.path == CHROMEDRIVER
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {seconds}s")


@pytest.fixture
def example_app(tessera_short, tmp_path):
    """examples/spa: api.py and serve.py on free ports, registered as a public client."""
    spa_origin = f"http://127.0.0.1:{free_port()}"
    api_origin = f"http://127.0.0.1:{free_port()}"
    client = new_client(
        tessera_short,
        client_type="public",
        redirect_uris=[f"{spa_origin}/callback"],
        post_logout_redirect_uris=[f"{spa_origin}/signed-out"],
        first_party=False,  # so the browser meets the consent page
    )
    procs = []
    logs = []
    for name, args in (
        ("api", ["api.py", "--issuer", tessera_short.url, "--allow-origin", spa_origin,
                 "--listen", urlsplit(api_origin).netloc]),
        # `=`: a client id may begin with "-", which argparse would take for an option.
        ("spa", ["serve.py", "--issuer", tessera_short.url, f"--client-id={client['client_id']}",
                 "--api-url", api_origin, "--listen", urlsplit(spa_origin).netloc]),
    ):
        log = open(tmp_path / f"{name}.log", "w")
        logs.append(log)
        procs.append(subprocess.Popen([sys.executable, *args], cwd=SPA_DIR, stdout=log, stderr=log))
    try:
        wait_http(f"{api_origin}/api/hello", procs[0])
        wait_http(f"{spa_origin}/", procs[1])
        yield {"origin": spa_origin, "api": api_origin, "client": client, "logs": tmp_path}
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        for log in logs:
            log.close()


# ------------------------------------------------------------------ helpers


def wait_for(driver, condition, what: str):
    try:
        return WebDriverWait(driver, WAIT).until(condition)
    except Exception as err:  # the page and the console say more than a timeout
        console = "\n".join(e["message"] for e in driver.get_log("browser"))
        raise AssertionError(
            f"waiting for {what} at {driver.current_url}\n--- console\n{console}\n"
            f"--- page\n{driver.find_element(By.TAG_NAME, 'body').text[:2000]}"
        ) from err


def text_is(element_id: str, expected: str):
    return lambda d: d.find_element(By.ID, element_id).text.strip() == expected


def visible(element_id: str):
    return ec.visibility_of_element_located((By.ID, element_id))


def on_origin(origin: str):
    return lambda d: d.current_url.startswith(origin + "/")


def sign_in_on_hosted_page(driver, user, shots: pathlib.Path, name: str = "login"):
    wait_for(driver, visible("email"), "the sign-in page")
    # Labels belong to the fields (screen readers, phones).
    for field in ("email", "password"):
        assert driver.find_elements(By.CSS_SELECTOR, f"label[for='{field}']"), field
    driver.save_screenshot(str(shots / f"{name}.png"))
    driver.find_element(By.ID, "email").send_keys(user["email"])
    driver.find_element(By.ID, "password").send_keys(user["password"])
    driver.find_element(By.ID, "sign-in").click()


# ------------------------------------------------------------------ tests


def test_error_page_for_an_unknown_client(tessera_short, browser, shots):
    url = (
        f"{tessera_short.url}/oauth/authorize?response_type=code&client_id=no-such-client"
        "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid&state=s"
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    )
    browser.get(url)
    error = wait_for(browser, visible("error"), "the error page")
    assert error.get_attribute("role") == "alert"
    assert error.text.strip()
    assert browser.find_element(By.TAG_NAME, "h1").text.strip()
    # Shown by tessera, never redirected to the unregistered URI.
    assert browser.current_url.startswith(tessera_short.url + "/")
    browser.save_screenshot(str(shots / "error-unknown-client.png"))


def test_error_page_for_a_redirect_uri_one_slash_off(tessera_short, browser, shots, example_app):
    client = example_app["client"]
    registered = client["redirect_uris"][0]
    url = (
        f"{tessera_short.url}/oauth/authorize?response_type=code&client_id={client['client_id']}"
        f"&redirect_uri={quote(registered + '/', safe='')}&scope=openid&state=s"
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    )
    browser.get(url)
    error = wait_for(browser, visible("error"), "the error page")
    assert error.text.strip()
    # Shown by tessera: the app's origin (or anything else) is never reached.
    assert browser.current_url.startswith(tessera_short.url + "/")
    browser.save_screenshot(str(shots / "error-redirect-uri.png"))


def test_wrong_password_is_announced(tessera_short, browser, shots, example_app):
    user = new_user(tessera_short)
    browser.get(example_app["origin"] + "/")
    wait_for(browser, visible("sign-in"), "the example app")
    browser.find_element(By.ID, "sign-in").click()
    sign_in_on_hosted_page(browser, dict(user, password="not-" + user["password"]), shots)
    error = wait_for(browser, visible("error"), "the sign-in error")
    assert error.get_attribute("role") == "alert" and error.text.strip()
    assert browser.find_element(By.ID, "email").get_attribute("value") in ("", user["email"])
    browser.save_screenshot(str(shots / "login-error.png"))
    # A phone-sized window still shows the whole form.
    browser.set_window_size(390, 844)
    assert browser.find_element(By.ID, "sign-in").is_displayed()
    browser.save_screenshot(str(shots / "login-error-phone.png"))


def test_example_app_signs_in_calls_refreshes_and_signs_out(
    tessera_short, browser, shots, example_app
):
    user = new_user(tessera_short)
    spa = example_app["origin"]

    browser.get(spa + "/")
    wait_for(browser, visible("sign-in"), "the example app")
    assert browser.find_element(By.ID, "status").text == "Signed out"
    browser.find_element(By.ID, "sign-in").click()

    # tessera's pages: sign in, then consent for this third-party app.
    sign_in_on_hosted_page(browser, user, shots)
    wait_for(browser, visible("allow"), "the consent page")
    assert example_app["client"]["name"] in browser.find_element(By.ID, "client-name").text
    scopes = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "li.scope")]
    assert any("openid" in s for s in scopes) and any("email" in s for s in scopes), scopes
    browser.save_screenshot(str(shots / "consent.png"))
    browser.find_element(By.ID, "allow").click()

    # Back in the app, signed in; the code is gone from the address bar.
    wait_for(browser, on_origin(spa), "the redirect back to the app")
    wait_for(browser, text_is("status", f"Signed in as {user['id']}"), "the signed-in app")
    assert browser.current_url == spa + "/"
    assert not browser.find_element(By.ID, "error").is_displayed()

    # Tokens are in memory only: nothing in either storage.
    storage = browser.execute_script(
        "return JSON.stringify({local: {...localStorage}, session: {...sessionStorage}})"
    )
    assert json.loads(storage) == {"local": {}, "session": {}}, storage
    cookies = {c["name"] for c in browser.get_cookies()}
    assert not cookies, cookies  # the app's origin holds no cookie either

    # An API call with the access token.
    browser.find_element(By.ID, "call-api").click()
    wait_for(browser, text_is("api-result", f"Hello, {user['id']}"), "the API's answer")
    assert browser.find_element(By.ID, "refreshes").text == "0"
    browser.save_screenshot(str(shots / "app-signed-in.png"))

    # After the access token expired the API answers 401; the app refreshes and retries.
    time.sleep(ACCESS_TTL_SECS + 1.5)
    browser.execute_script("document.getElementById('api-result').textContent = 'waiting'")
    browser.find_element(By.ID, "call-api").click()
    wait_for(browser, text_is("refreshes", "1"), "a refresh after the 401")
    wait_for(browser, text_is("api-result", f"Hello, {user['id']}"), "the retried API call")
    assert not browser.find_element(By.ID, "error").is_displayed()

    # Sign out through the end_session_endpoint, back to the app.
    browser.find_element(By.ID, "sign-out").click()
    wait_for(browser, on_origin(spa), "the redirect back after sign-out")
    wait_for(browser, text_is("status", "Signed out"), "the signed-out app")
    assert not browser.find_element(By.ID, "error").is_displayed(), (
        browser.find_element(By.ID, "error").text
    )

    # The authority session ended too: signing in again asks for the password.
    browser.find_element(By.ID, "sign-in").click()
    wait_for(browser, visible("email"), "the sign-in page after sign-out")
    browser.save_screenshot(str(shots / "login-after-sign-out.png"))


def test_denied_consent_comes_back_to_the_app_as_access_denied(
    tessera_short, browser, shots, example_app
):
    user = new_user(tessera_short)
    spa = example_app["origin"]
    browser.get(spa + "/")
    wait_for(browser, visible("sign-in"), "the example app")
    browser.find_element(By.ID, "sign-in").click()
    sign_in_on_hosted_page(browser, user, shots)
    wait_for(browser, visible("deny"), "the consent page")
    browser.find_element(By.ID, "deny").click()
    wait_for(browser, on_origin(spa), "the redirect back to the app")
    error = wait_for(browser, visible("error"), "the app's error")
    assert "access_denied" in error.text
    assert browser.find_element(By.ID, "status").text == "Signed out"
    assert browser.current_url == spa + "/"  # the error's query is gone from the bar too
