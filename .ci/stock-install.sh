#!/usr/bin/env bash
# What a new user does: a plain venv and `pip install .` with the pip that ships with Python (no upgrade),
# then one real crawl of the bundled replica that must store every article. `make setup` upgrades pip
# first, which once hid a dependency that old pips do not install (lxml_html_clean, behind an extra of
# lxml whose name they do not normalise); this check does not upgrade anything.
set -euo pipefail
cd "$(dirname "$0")/.."
here="$(pwd)"
venv="${STOCK_VENV:-/tmp/szwatch-stockpip}"

rm -rf "$venv"
if ! python3 -m venv "$venv" >/dev/null 2>&1; then  # Debian's python3 needs python3-venv for ensurepip
  rm -rf "$venv"
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv "$venv"
fi
echo "stock install with $("$venv/bin/python" -m pip --version)"
log="$(mktemp)"
if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "$here" >"$log" 2>&1; then
  cat "$log"; echo "stock install check FAILED: pip install . did not succeed" >&2; exit 1
fi
grep -v "is ignored: it is neither" "$log" || true  # pip's warnings (a missing extra among them) stay visible
# From elsewhere, so that `import szwatch` finds the installed copy, not this source tree.
cd "$(mktemp -d)"
"$venv/bin/python" "$here/.ci/stock_crawl.py"
