"""The dashboard in a real browser: Debian's headless Chromium (through selenium and chromedriver)
against a live server, signed in through the admin's login form, with an empty database and then
with a hand-built day. Every KPI equals the selector's number, every chart canvas drew something,
the console has no errors, and screenshots are kept in var/test-artifacts/."""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import UserFactory
from analytics.selectors import operations_overview

from .dashboard_data import build_operations_day, empty_kpis, selector_kpis

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"
PASSWORD = "dashboard-test-password-42"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1440,2600",
)
# Per chart canvas: whether Chart.js owns it and how many of its pixels are not transparent.
CANVASES_JS = """
return Array.from(document.querySelectorAll('[data-chart] canvas')).map(function (canvas) {
  var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  var painted = 0;
  for (var i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) { painted++; } }
  var key = canvas.closest('[data-chart]').getAttribute('data-chart');
  return {key: key, chart: !!(window.Chart && Chart.getChart(canvas)), width: canvas.width, painted: painted};
});
"""
KPIS_JS = """
return Array.from(document.querySelectorAll('[data-kpi]')).map(function (el) {
  return [el.getAttribute('data-kpi'), el.getAttribute('data-value'),
          el.querySelector('.ops-kpi-value').textContent.trim()];
});
"""


@pytest.fixture
def browser():
    for path in (CHROMIUM, CHROMEDRIVER):
        assert Path(path).exists(), f"{path} is missing: apt-get install chromium chromium-driver (.ci/run does)"
    profile = tempfile.mkdtemp(prefix="ytempire-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def sign_in(driver, base_url: str, email: str) -> None:
    driver.get(f"{base_url}/admin/login/?next=/admin/")
    driver.find_element(By.NAME, "username").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "ytempire-operations"))


def load_dashboard(driver, base_url: str) -> None:
    driver.get(f"{base_url}/admin/")
    # Unfold's app.js hands each canvas to Chart.js once the page has loaded (no animation: drawn at once).
    WebDriverWait(driver, 15).until(
        lambda d: (
            d.execute_script("return document.readyState") == "complete"
            and [canvas["chart"] for canvas in d.execute_script(CANVASES_JS)] == [True] * 4
        )
    )


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def check_charts_drew(driver) -> None:
    canvases = driver.execute_script(CANVASES_JS)
    assert [c["key"] for c in canvases] == [
        "spend_per_day",
        "videos_per_day",
        "cost_distribution",
        "quota_by_project_today",
    ]
    for canvas in canvases:
        assert canvas["chart"], f"Chart.js did not take {canvas['key']}"
        assert canvas["width"] > 0 and canvas["painted"] > 500, f"{canvas['key']} is blank: {canvas}"


def shown_kpis(driver) -> dict:
    return {key: (value, shown) for key, value, shown in driver.execute_script(KPIS_JS)}


def test_dashboard_in_headless_chromium_empty_then_with_a_day(live_server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    staff = UserFactory(is_staff=True, is_superuser=True, role="admin")
    staff.set_password(PASSWORD)
    staff.save()

    sign_in(browser, live_server.url, staff.email)
    load_dashboard(browser, live_server.url)
    assert shown_kpis(browser) == empty_kpis()
    assert {key: value for key, (value, _shown) in shown_kpis(browser).items()} == selector_kpis(operations_overview())
    check_charts_drew(browser)
    browser.save_screenshot(str(ARTIFACTS / "dashboard-empty.png"))
    assert console_errors(browser) == []

    day = build_operations_day()
    load_dashboard(browser, live_server.url)
    shown = shown_kpis(browser)
    assert shown == day.kpis  # counted by hand
    assert {key: value for key, (value, _shown) in shown.items()} == selector_kpis(operations_overview())
    check_charts_drew(browser)
    browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    assert console_errors(browser) == []
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
