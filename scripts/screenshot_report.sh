#!/usr/bin/env bash
# Renders a zoo report (zoo report --output report.html) to a PNG with headless Chromium
# (Debian package `chromium`), so a person can look at it without a browser session.
#   bash scripts/screenshot_report.sh report.html report.png [WIDTHxHEIGHT]
set -euo pipefail
html="${1:?usage: screenshot_report.sh REPORT.html OUT.png [WIDTHxHEIGHT]}"
png="${2:?usage: screenshot_report.sh REPORT.html OUT.png [WIDTHxHEIGHT]}"
size="${3:-1200x3000}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "screenshot_report: Chromium is not installed; on Debian: apt-get install -y chromium" >&2
  exit 69
fi
[ -f "$html" ] || { echo "screenshot_report: '$html' does not exist" >&2; exit 66; }
absolute="$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size="${size/x/,}" --screenshot="$png" "file://$absolute" >/dev/null 2>&1
[ -s "$png" ] || { echo "screenshot_report: Chromium wrote no image" >&2; exit 74; }
echo "wrote $png"
