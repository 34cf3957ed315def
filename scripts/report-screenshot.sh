#!/usr/bin/env bash
# Render the type-test report once in headless Chromium, to see it as a reader does.
#
#   scripts/report-screenshot.sh [REPORT_HTML] [PNG]
#
# Defaults: target/certify/all/report.html (written by scripts/certify.sh) and
# target/certify/all/report.png. Installs Debian's chromium when it is missing. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
html="${1:-target/certify/all/report.html}"
png="${2:-${html%.html}.png}"
if [[ ! -f "$html" ]]; then
    echo "no report at $html (run scripts/certify.sh first)" >&2
    exit 2
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
    echo "installing chromium" >&2
    sudo_=""
    [[ $(id -u) -ne 0 ]] && sudo_="sudo"
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq chromium >/dev/null
    browser=$(command -v chromium)
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size="${WIDTH:-1400},${HEIGHT:-6000}" \
    --screenshot="$(realpath -m "$png")" "file://$(realpath "$html")" 2>/dev/null
echo "screenshot: $png"
