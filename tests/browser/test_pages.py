"""Every HTML page for people, in a real headless browser (Debian's chromium driven by
selenium through Debian's chromium-driver): it renders, its links lead somewhere, the
browser reports no console error (a Content-Security-Policy refusal is one), it fits a
phone's width, and it needs no JavaScript. The API reference is the exception: it runs
Swagger UI, whose files we serve ourselves, so it is checked for its operations, its
console and that no request leaves 127.0.0.1. Each page's screenshot is written to
``CASETRACK_SCREENSHOTS`` (``make screenshots``: var/screenshots/) or the test's tmp dir.

The browser is located, never downloaded: ``make browser`` installs chromium and
chromium-driver with apt-get. Without them the tests fail under CI=true and are skipped
(saying why) elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import TEST_SECRET, settings_for
from tests.e2e.journeys import PRIMARY_PLAN
from web import create_app
from web.auth import mint_token
from web.services import services_of

PHONE = (375, 812)
DESKTOP = (1280, 900)


def browser_paths() -> tuple[str, str]:
    """Return (chromium, chromedriver), or fail under CI / skip elsewhere, saying why."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    if chromium and driver:
        return chromium, driver
    reason = "chromium and chromium-driver are not installed: run `make browser`"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", "--no-first-run"):
        options.add_argument(flag)
    # The console, and every request the page makes (the DevTools "performance" log).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """The app on SQLite, served over real HTTP on a free local port."""
    app = create_app(settings_for(tmp_path))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join()
        services_of(app).close()


def headers(role: str = "caseworker", **claims: Any) -> dict[str, str]:
    token = mint_token(TEST_SECRET, subject=f"{role}-browser", role=role,
                       organisation="LA-901", **claims)
    return {"Authorization": f"Bearer {token}"}


def recorded_child(app: Flask) -> str:
    from tests.e2e.test_bundles import post_journey

    client = app.test_client()

    def auth(role: str = "caseworker", **extra: str) -> dict[str, str]:
        return {**headers(role), **extra}

    return post_journey(client, auth, PRIMARY_PLAN)


def screenshot_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("CASETRACK_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def visit(browser: Any, url: str, auth: dict[str, str] | None) -> None:
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": auth or {}})
    browser.get_log("browser")  # start this page's console afresh
    browser.get_log("performance")  # and its requests
    browser.get(url)


def check_page(browser: Any, url: str, auth: dict[str, str] | None, name: str,
               tmp_path: Path, app: Flask) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(*PHONE)
    visit(browser, url, auth)
    assert browser.find_elements(By.TAG_NAME, "h1"), f"{name}: nothing rendered"
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], f"{name}: console errors {errors}"
    assert len(browser.find_elements(By.TAG_NAME, "main")) == 1, f"{name}: one <main>"
    assert browser.find_elements(By.CSS_SELECTOR, "meta[name=viewport]"), name
    assert browser.find_elements(By.TAG_NAME, "script") == [], f"{name} needs JavaScript"
    for table in browser.find_elements(By.TAG_NAME, "table"):
        assert table.find_elements(By.TAG_NAME, "caption"), f"{name}: a table uncaptioned"
        for th in table.find_elements(By.TAG_NAME, "th"):
            assert th.get_attribute("scope") in ("col", "row"), f"{name}: th without scope"
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than a phone"
    browser.save_screenshot(str(screenshot_dir(tmp_path) / f"{name}-phone.png"))
    browser.set_window_size(*DESKTOP)
    browser.save_screenshot(str(screenshot_dir(tmp_path) / f"{name}.png"))
    check_links(browser, url, auth, name, app)


def check_links(browser: Any, url: str, auth: dict[str, str] | None, name: str,
                app: Flask) -> None:
    """Every link leads somewhere: an anchor on the page, or a page that answers."""
    from selenium.webdriver.common.by import By

    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.TAG_NAME, "a")]
    client = app.test_client()
    for href in hrefs:
        assert href, f"{name}: a link without a target"
        target, fragment = urldefrag(urljoin(url, href))
        if target == urldefrag(url)[0] and fragment:
            assert browser.find_elements(By.ID, fragment), f"{name}: #{fragment} missing"
            continue
        parsed = urlparse(target)
        if parsed.netloc != urlparse(url).netloc:
            continue  # an outside page: not ours to fetch in a test
        answer = client.get(parsed.path + (f"?{parsed.query}" if parsed.query else ""),
                            headers=auth or {})
        assert answer.status_code < 400, f"{name}: {href} answers {answer.status_code}"


def test_the_parent_page_renders_on_a_phone_without_script_or_console_errors(
        browser: Any, served: tuple[str, Flask], tmp_path: Path) -> None:
    base, app = served
    child_id = recorded_child(app)
    check_page(browser, f"{base}/children/{child_id}/bundle.html", headers(), "parent-page",
               tmp_path, app)


def test_the_parent_page_opens_for_an_invited_family(
        browser: Any, served: tuple[str, Flask], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    base, app = served
    child_id = recorded_child(app)
    invited = app.test_client().post(f"/children/{child_id}/family-invitations",
                                     headers=headers("manager"))
    assert invited.status_code == 201
    family = {"Authorization": f"Bearer {invited.json['token']}"}
    check_page(browser, f"{base}/children/{child_id}/bundle.html", family, "family-page",
               tmp_path, app)
    assert "What happens next" in browser.find_element(By.TAG_NAME, "main").text


def requested_urls(browser: Any) -> list[str]:
    """Return every URL the page asked for since ``visit`` (DevTools network events)."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def operation_count(app: Flask) -> int:
    spec = app.test_client().get("/openapi.json").json
    return sum(1 for operations in spec["paths"].values() for method in operations
               if method in ("get", "post", "put", "patch", "delete"))


def test_the_api_reference_shows_every_operation_in_swagger_ui_from_this_origin_only(
        browser: Any, served: tuple[str, Flask], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, app = served
    expected = operation_count(app)
    browser.set_window_size(*DESKTOP)
    visit(browser, f"{base}/docs", None)
    WebDriverWait(browser, 60).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opblock")) >= expected)
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock")
    assert len(operations) == expected > 30
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/children/{child_id}/events" in paths
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], f"api-docs: console errors {errors}"
    urls = requested_urls(browser)
    assert any(u.endswith("/docs/swagger-ui/swagger-ui-bundle.js") for u in urls), urls
    assert any(u.endswith("/openapi.json") for u in urls), urls
    outside = [u for u in urls if not u.startswith("data:")
               and urlparse(u).hostname != "127.0.0.1"]
    assert outside == [], f"api-docs: requests left 127.0.0.1: {outside}"
    assert len(browser.find_elements(By.TAG_NAME, "main")) == 1
    catalogue = browser.find_element(By.LINK_TEXT, "the event catalogue")
    assert catalogue.get_attribute("href") == f"{base}/docs/events"
    browser.save_screenshot(str(screenshot_dir(tmp_path) / "api-docs.png"))
    browser.set_window_size(*PHONE)
    browser.save_screenshot(str(screenshot_dir(tmp_path) / "api-docs-phone.png"))


def test_the_event_catalogue_lists_every_event_type_without_script(
        browser: Any, served: tuple[str, Flask], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from domain.events import EVENT_TYPES

    base, app = served
    check_page(browser, f"{base}/docs/events", None, "event-catalogue", tmp_path, app)
    shown = {e.get_attribute("id"): e for e in browser.find_elements(By.TAG_NAME, "article")}
    assert set(shown) == set(EVENT_TYPES)
    advice = shown["AdviceReceived"].text
    assert "partner" in advice and "advice-received-needs-open-advice-request" in advice
    assert all(e.find_elements(By.TAG_NAME, "h3") for e in shown.values())
    requests = [u for u in requested_urls(browser) if urlparse(u).hostname != "127.0.0.1"]
    assert requests == []
