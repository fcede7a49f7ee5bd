#!/usr/bin/env bash
# Install Debian's headless Chromium and its WebDriver (chromium-driver) for the dashboard's
# real-browser test (tests/test_dashboard_browser.py). Idempotent: does nothing when both are
# already on PATH. Needs root (CI runs as root) or passwordless sudo; uses only Debian's own
# packages, never a browser build downloaded from elsewhere.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "install-chromium: $(chromium --version 2>/dev/null || echo chromium) and chromedriver already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: apt-get not found: this script installs Debian's chromium packages" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
else
    echo "install-chromium: must run as root (or with passwordless sudo) to apt-get install" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null

command -v chromium >/dev/null && command -v chromedriver >/dev/null || {
    echo "install-chromium: chromium or chromedriver still missing after apt-get install" >&2
    exit 1
}
echo "install-chromium: $(chromium --version 2>/dev/null) / $(chromedriver --version 2>/dev/null | head -n1)"
