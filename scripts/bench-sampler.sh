#!/usr/bin/env bash
# Inference speed on this machine, side by side in one run (see docs/benchmarks.md):
#   scripts/bench-sampler.sh [seconds=20] [presets for the ORT-vs-DJL table = tiny mnist article]
# 1. UNet evaluations/s through ONNX Runtime vs DJL/libtorch, same weights, same threads (2); it also
#    exports each preset (random weights: speed does not depend on them) to .run/bench/PRESET/.
# 2. The sampler's engine on the mnist export: small interactive requests' latency alone and while
#    large requests keep the batch full (and the large ones' throughput), DDPM-1000 vs DDIM-50
#    images/s, then throughput and p50/p99 latency for 1, 4 and 16 concurrent clients with
#    step-level batching on and off.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SECONDS_PER=${1:-20}
shift || true
PRESETS=("${@:-tiny mnist article}")
for m in trainer-service sampler-service; do
  [[ -d "$m/target/quarkus-app/lib/main" ]] || ./mvnw -B -q -DskipTests -pl "$m" -am package
done
cp() { local app="$REPO/$1/target/quarkus-app"; echo "$app/app/*:$app/lib/main/*:$app/lib/boot/*"; }
java -Djava.awt.headless=true -Xmx6g -cp "$(cp trainer-service)" dev.ddpm.trainer.bench.InferenceBenchmark \
  .run/bench 5 ${PRESETS[*]}
java -Djava.awt.headless=true -Xmx4g -cp "$(cp sampler-service)" dev.ddpm.sampler.bench.SamplerBenchmark \
  .run/bench/mnist "$SECONDS_PER"
