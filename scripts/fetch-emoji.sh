#!/usr/bin/env bash
# The Google emoji set (emoji-datasource-google@16.0.0 from the npm registry: about 1,900 32x32
# colour tiles with categories) into .run/data/emoji, as the trainer reads it (EmojiSheet):
#   scripts/fetch-emoji.sh && scripts/ddpm.sh train --data .run/data/emoji --preset ...
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${1:-$REPO/.run/data/emoji}"
if [[ -f "$TARGET/emoji.json" && -f "$TARGET/sheet-32.png" ]]; then
  echo "[emoji] already in $TARGET"
  exit 0
fi
command -v npm >/dev/null || { echo "[emoji] npm is needed (apt install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent emoji-datasource-google@16.0.0 >/dev/null \
  && tar xzf emoji-datasource-google-16.0.0.tgz package/emoji.json package/img/google/sheets/32.png)
mkdir -p "$TARGET"
cp "$work/package/emoji.json" "$TARGET/emoji.json"
cp "$work/package/img/google/sheets/32.png" "$TARGET/sheet-32.png"
echo "[emoji] the 32x32 sheet and its index (about 1,900 tiles with a Google image) in $TARGET"
