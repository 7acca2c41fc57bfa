#!/usr/bin/env bash
# The README's test command: install what the tests need, lint, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .
# The layering of docs/architecture.md, as contracts in pyproject.toml.
.venv/bin/lint-imports
# The browser tests drive Debian's chromium: Playwright's own browser download is not reachable.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# Every tier: -m "" lifts the default selection of pyproject.toml (fast tests only); a -m given here still wins.
.venv/bin/python -m pytest -q -p no:cacheprovider -m "" "$@"
