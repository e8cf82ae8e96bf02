#!/usr/bin/env bash
# The Python SDK's test environment: a virtualenv in the clone (.venv, gitignored) with the exact versions of
# sdk/python/requirements-dev.txt from PyPI, and the package itself installed from ./sdk/python as a user would
# (a real wheel build: py.typed and the pytest11 entry point are proven, not assumed). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "python-env: Python >= 3.10 is required, found " + sys.version.split()[0])'
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-virtualenv -r sdk/python/requirements-dev.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-virtualenv --no-deps --no-build-isolation --force-reinstall ./sdk/python
echo "python-env: $(.venv/bin/python --version) in .venv with eris-chaos $(.venv/bin/python -c 'import eris_chaos; print(eris_chaos.__version__)')"
