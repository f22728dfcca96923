#!/usr/bin/env bash
# Installs what zoo needs on Debian 12 when it is missing: the C libraries it links
# (SQLite, libarchive, OpenBLAS, libjpeg-turbo, libpng, libwebp), pkg-config, and the
# Fashion-MNIST IDX files (dataset-fashion-mnist) that the training tests and the demo use. Safe to run again; does nothing when all is there.
set -euo pipefail
source "$(dirname "$0")/apt_packages.sh"
install_missing "zoo setup" libarchive-dev libopenblas-dev libsqlite3-dev pkg-config libjpeg62-turbo-dev libpng-dev libwebp-dev dataset-fashion-mnist
command -v swift >/dev/null || { echo "zoo setup: Swift 6.3 is not on PATH; install it from swift.org" >&2; exit 69; }
