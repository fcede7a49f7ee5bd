"""The dashboard in a real browser: Debian's headless Chromium driven through Selenium.

The app is started as a server on a free port of 127.0.0.1, as ``prefsim dashboard`` would;
the test picks two scenarios, runs the comparison, reads the KPI cards and saves a screenshot
(in the test's temporary directory and in ``test-output/`` at the repository root).

Chromium and its driver come from ``scripts/install-chromium.sh`` (``.ci/run`` calls it). The
test is skipped when they are missing on a developer's machine, and fails in CI (``CI=true``),
where their absence means the install step is broken.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dashboards" / "app.py"
OUTPUT = REPO / "test-output"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--window-size=1400,1800")


def _browser() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skip (or fail in CI) when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver))
               if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if missing:
        why = (f"{' and '.join(missing)} not installed; run `sudo bash "
               "scripts/install-chromium.sh` to install Debian's chromium and chromium-driver")
        if IN_CI:
            pytest.fail(f"CI=true but {why} (.ci/run must install them before `make test`)")
        pytest.skip(why)
    assert chromium is not None and driver is not None
    return chromium, driver


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _has_dashboard_command() -> bool:
    from sim.faces.cli.main import app

    return any((c.name or getattr(c.callback, "__name__", "")) == "dashboard"
               for c in app.registered_commands)


@contextlib.contextmanager
def dashboard_server(log: Path, timeout: float = 45.0) -> Iterator[str]:
    """The dashboard served on 127.0.0.1 (``prefsim dashboard`` once the CLI has it,
    ``streamlit run dashboards/app.py`` otherwise); yields its URL; always stopped."""
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(APP),
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--server.headless", "true", "--server.maxUploadSize", "1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               "--client.toolbarMode", "viewer"]
    if _has_dashboard_command():  # start it as people do, through the CLI
        command = [sys.executable, "-m", "sim.faces.cli", "dashboard", "--address", "127.0.0.1",
                   "--port", str(port)]
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while True:
                if server.poll() is not None:
                    raise AssertionError(f"the dashboard exited with status {server.returncode}:"
                                         f"\n{log.read_text(errors='replace')}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                        if reply.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the dashboard was not healthy after {timeout:g} s:\n"
                                         f"{log.read_text(errors='replace')}")
                time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


@contextlib.contextmanager
def chromium(binary: str, driver_path: str) -> Iterator[object]:
    """A headless Chromium with a fresh profile, quit at the end."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="prefsim-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        browser = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            yield browser
        finally:
            browser.quit()


@pytest.mark.timeout(200)
def test_compare_two_scenarios_in_a_real_browser(tmp_path: Path) -> None:
    binary, driver_path = _browser()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.monotonic()
    with dashboard_server(tmp_path / "streamlit.log") as url, \
            chromium(binary, driver_path) as browser:
        browser.get(f"{url}/compare?quick=1&lang=en")  # type: ignore[attr-defined]
        wait = WebDriverWait(browser, 30)
        wait.until(ec.presence_of_element_located(
            (By.XPATH, "//h1[contains(., 'Compare scenarios')]")))
        box = wait.until(ec.element_to_be_clickable(
            (By.CSS_SELECTOR, '[data-testid="stMultiSelect"] input')))
        for name in ("demo", "demo-race"):
            box.click()
            box.send_keys(name)
            wait.until(ec.element_to_be_clickable(
                (By.XPATH, f"//*[@role='option'][normalize-space(.)='{name}']"))).click()
        box.send_keys(Keys.ESCAPE)
        wait.until(ec.element_to_be_clickable(
            (By.XPATH, "//button[.//p[normalize-space(.)='Run comparison']]"))).click()
        WebDriverWait(browser, 60).until(lambda b: len(b.find_elements(
            By.CSS_SELECTOR, '[data-testid="stMetric"]')) >= 4)
        wait.until(ec.presence_of_element_located((By.XPATH, "//h2[contains(., 'demo vs "
                                                             "demo-race')]")))
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR,
                                                   '[data-testid="stImage"] img')))
        WebDriverWait(browser, 60).until(lambda b: b.find_elements(  # Altair drawn by Vega
            By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"] canvas, '
                             '[data-testid="stVegaLiteChart"] svg'))
        wait.until(lambda b: not b.find_elements(  # the script has finished its run
            By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))
        cards = [e.text for e in browser.find_elements(  # type: ignore[attr-defined]
            By.CSS_SELECTOR, '[data-testid="stMetric"]')]
        page = browser.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
        shot = tmp_path / "dashboard-compare.png"
        assert browser.save_screenshot(str(shot))  # type: ignore[attr-defined]
        figure = browser.find_element(  # type: ignore[attr-defined]
            By.XPATH, "//h3[contains(., 'Charts')]")
        browser.execute_script("arguments[0].scrollIntoView();", figure)  # type: ignore
        time.sleep(0.5)
        figures = tmp_path / "dashboard-figures.png"
        assert browser.save_screenshot(str(figures))  # type: ignore[attr-defined]
    OUTPUT.mkdir(exist_ok=True)
    for picture in (shot, figures):
        shutil.copy(picture, OUTPUT / picture.name)

    waits = [c for c in cards if c.splitlines()[0] == "90th-percentile wait"]
    assert len(waits) == 2, cards
    assert waits[0].endswith("days") and "+" not in waits[0]  # the baseline: no delta
    assert waits[1].splitlines()[-1].startswith("+")  # the race: people wait longer
    assert any(c.startswith("Share who gave up") and "%" in c for c in cards), cards
    assert "demo (baseline)" in page and "95 % interval" in page
    assert "Compared with demo, demo-race lengthens the median wait" in page  # in words
    assert "Traceback" not in page and "Error" not in page.replace("Errors", "")
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert time.monotonic() - started < 90, "the browser test must stay under 90 s"
