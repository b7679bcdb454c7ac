#!/usr/bin/env bash
# Lint, then the test suite on SQLite, then again on PostgreSQL.
#   scripts/test.sh [all|sqlite|pg] [pytest arguments...]
# PostgreSQL is TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
# When it is unreachable the PostgreSQL run is skipped, except with CI=true (or `pg` asked
# for explicitly), where that is a failure. A lint failure does not stop the tests (their
# results are worth seeing) but fails the whole run at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-all}"
shift || true
python=.venv/bin/python
pg_url="${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
shown_url=$(printf '%s' "$pg_url" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')
failed=()

if [ "$mode" = all ]; then
    echo "== ruff check"
    .venv/bin/ruff check . || failed+=("ruff check")
fi

if [ "$mode" = all ] || [ "$mode" = sqlite ]; then
    echo "== pytest on SQLite"
    env -u TEST_DATABASE_URL "$python" -m pytest "$@" || failed+=("pytest on SQLite")
fi

if [ "$mode" = all ] || [ "$mode" = pg ]; then
    if "$python" scripts/pg_reachable.py "$pg_url"; then
        echo "== pytest on PostgreSQL ($shown_url)"
        TEST_DATABASE_URL="$pg_url" "$python" -m pytest "$@" || failed+=("pytest on PostgreSQL")
    elif [ "${CI:-}" = true ] || [ "$mode" = pg ]; then
        echo "PostgreSQL not reachable at $shown_url: the PostgreSQL run is required" \
             "(CI=true or make test-pg). Start PostgreSQL or set TEST_DATABASE_URL." >&2
        failed+=("PostgreSQL unreachable")
    else
        echo "PostgreSQL not reachable: skipped the PostgreSQL run"
    fi
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: $(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')" >&2
    exit 1
fi
