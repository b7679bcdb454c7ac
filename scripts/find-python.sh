#!/usr/bin/env bash
# Print the path of a Python >= 3.11: $PYTHON if set, else python3, else python3.1x.
set -euo pipefail
for candidate in ${PYTHON:-} python3 python3.11 python3.12 python3.13; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if "$path" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "$path"
        exit 0
    fi
done
exit 1
