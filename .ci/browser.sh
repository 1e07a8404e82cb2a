#!/usr/bin/env bash
# Install the browser the web view's tests drive (Debian's Chromium and its WebDriver, and CJK fonts so the
# Chinese text renders in screenshots). Nothing is downloaded outside the Debian packages: Selenium is pointed
# at /usr/bin/chromium and /usr/bin/chromedriver.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list | grep -qi "Noto Sans CJK"; then
  exit 0
fi
log=$(mktemp)
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk; } \
    </dev/null >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
echo "browser ready: $(chromium --version 2>/dev/null)" >&2
