#!/usr/bin/env bash
# Install the Debian packages that are missing, and only those.
#   scripts/system-deps.sh run    what the app needs (WeasyPrint libraries, CJK fonts, Python)
#   scripts/system-deps.sh test   the same plus Chromium (e2e tests) and poppler-utils
# `apt-get update` runs once, and only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-run}"
# WeasyPrint renders certificates with Pango/HarfBuzz; Noto CJK draws the Chinese text.
packages=(fontconfig fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
case "$profile" in
    run) ;;
    test) packages+=(chromium poppler-utils) ;;
    *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

python=$(scripts/find-python.sh || true)
if [ -z "$python" ]; then
    packages+=(python3 python3-venv)
elif [ ! -x .venv/bin/python ] && ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    packages+=(python3-venv)  # Debian ships ensurepip separately
fi

if ! command -v dpkg >/dev/null 2>&1; then
    echo "Not a Debian system: make sure these (or their equivalents) are installed:" >&2
    echo "  ${packages[*]}" >&2
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them as root: apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
