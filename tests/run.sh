#!/usr/bin/env bash
# The README's test command: install what the tests need, lint, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
