#!/usr/bin/env bash
# Training speed and memory of the presets, side by side in one run (see docs/benchmarks.md):
#   scripts/bench-train.sh [steps=50] [batch=32] [presets... = tiny mnist article]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP="$REPO/trainer-service/target/quarkus-app"
[[ -d "$APP/lib/main" ]] || (cd "$REPO" && ./mvnw -B -q -DskipTests -pl trainer-service -am package)
. "$REPO/deploy/docker/native-malloc.sh"
keep_native_heap
. "$REPO/deploy/docker/onednn-isa.sh"
cap_onednn_isa "$APP/app/*:$APP/lib/main/*:$APP/lib/boot/*"
exec java -Djava.awt.headless=true -Xmx4g -cp "$APP/app/*:$APP/lib/main/*:$APP/lib/boot/*" \
  dev.ddpm.trainer.bench.TrainingBenchmark "$@"
