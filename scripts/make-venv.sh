#!/usr/bin/env bash
# Create (or re-create, when its interpreter is gone) the virtual environment in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python=$(scripts/find-python.sh); then
    echo "Window Academy needs Python 3.11 or newer (python3 is $(python3 --version 2>&1 || echo missing))." >&2
    echo "Install one, or point PYTHON at it: make run PYTHON=/path/to/python3.12" >&2
    exit 1
fi
echo "Creating .venv with $python ($("$python" --version 2>&1))"
"$python" -m venv --clear .venv
