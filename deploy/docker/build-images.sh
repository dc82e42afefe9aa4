#!/usr/bin/env bash
# Builds the images listed in deploy/docker/images.tsv: one Maven package per variant (the CPU and
# the GPU natives cannot share a target/ folder), then `docker build` per image.
#   deploy/docker/build-images.sh [--registry REG] [--push] [cpu|gpu ...]
# Needs a Docker engine (not available on the development machines; CI checks the files instead).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
REGISTRY="" PUSH=false VARIANTS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --registry) REGISTRY="${2%/}/"; shift 2 ;;
    --push) PUSH=true; shift ;;
    cpu|gpu) VARIANTS+=("$1"); shift ;;
    *) echo "usage: $0 [--registry REG] [--push] [cpu|gpu ...]" >&2; exit 2 ;;
  esac
done
[[ ${#VARIANTS[@]} -gt 0 ]] || VARIANTS=(cpu gpu)
VERSION="$(sed -n "s:^  <version>\(.*\)</version>:\1:p" "$REPO/pom.xml" | head -1)"

for variant in "${VARIANTS[@]}"; do
  # One package build per variant with every module's flag of that variant (each flag only
  # switches a profile of its own module).
  flags="$(awk -F'\t' -v v="$variant" '!/^#/ && $3 == v && $5 != "-" { printf "%s ", $5 }' "$HERE/images.tsv")"
  modules="$(awk -F'\t' -v v="$variant" '!/^#/ && $3 == v { printf "%s,", $2 }' "$HERE/images.tsv")"
  echo "[images] $variant: ./mvnw package -DskipTests $flags -pl ${modules%,} -am"
  (cd "$REPO" && ./mvnw -B -q package -DskipTests $flags -pl "${modules%,}" -am)
  awk -F'\t' -v v="$variant" '!/^#/ && $3 == v { print $1 "\t" $2 "\t" $4 }' "$HERE/images.tsv" |
    while IFS=$'\t' read -r image module dockerfile; do
      tag="$REGISTRY$image:$VERSION-$variant"
      echo "[images] $tag"
      docker build -f "$HERE/$dockerfile" --build-arg MODULE="$module" -t "$tag" "$REPO"
      if $PUSH; then docker push "$tag"; fi
    done
done
