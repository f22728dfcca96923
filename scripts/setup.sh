#!/usr/bin/env bash
# Installs what zoo needs on Debian 12 when it is missing: the C libraries it links
# (SQLite, libarchive, OpenBLAS, libjpeg-turbo, libpng, libwebp), pkg-config, and the
# Fashion-MNIST IDX files (dataset-fashion-mnist) that the training tests and the demo use. Safe to run again; does nothing when all is there.
set -euo pipefail
packages=(libarchive-dev libopenblas-dev libsqlite3-dev pkg-config libjpeg62-turbo-dev libpng-dev libwebp-dev dataset-fashion-mnist)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "zoo setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "zoo setup: Swift 6.3 is not on PATH; install it from swift.org" >&2; exit 69; }
