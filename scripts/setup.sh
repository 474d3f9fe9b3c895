#!/usr/bin/env bash
# Set up boostreg in ./.venv (idempotent: a second run only checks). Used by README's two commands and .ci/run.
# Installs the exact versions of constraints.txt (those behind the committed reports).
#   bash scripts/setup.sh          the package and its command `boostreg`
#   bash scripts/setup.sh --test   plus the test tools (pytest, Dask, Playwright) and Debian's chromium
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: boostreg needs Python >= 3.11; found $("$PY" --version 2>&1). Set PYTHON=/path/to/python3.11+." >&2
  exit 2
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip

if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
  # the report's browser test drives Debian's Chromium through Playwright (no browser download)
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "setup: installing Debian's chromium for the browser test" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "setup: no chromium; the browser test will be skipped (it fails when CI=true). Install: sudo apt-get install chromium" >&2
    fi
  fi
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e .
fi
# the editable install leaves boostreg's own modules uncompiled (pip compiles only what it copies): compile them
# now, or every command compiles them again where PYTHONDONTWRITEBYTECODE is set (0.2-0.3 s of each command here)
.venv/bin/python -m compileall -q boostreg >/dev/null
echo "setup: ready ($(.venv/bin/python --version), boostreg in .venv)" >&2
