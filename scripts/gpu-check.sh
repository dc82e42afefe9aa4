#!/usr/bin/env bash
# The platform on one NVIDIA GPU, in under 5 minutes (not part of CI; docs/benchmarks.md, "GPU check"):
#   1. the trainer on DJL's CUDA natives: 300 steps of the article preset at batch 128, with images/s;
#   2. the export of that UNet to ONNX, checked against DJL;
#   3. the sampler's ONNX Runtime on the CUDA execution provider against the CPU provider, side by
#      side in one run: UNet evaluations/s at batch 1, 16 and 256.
#   scripts/gpu-check.sh [steps=300] [batch=128] [preset=article]
# The first run builds the trainer with -Dcuda (libtorch for CUDA 12.4 from Maven Central) into
# .run/gpu-check/trainer, leaving the CPU build in trainer-service/target as it was. Where the driver,
# CUDA or cuDNN is missing it says which part failed and why, and exits non-zero.
# DDPM_GPU_CHECK_DEVICE=cpu runs the same steps on the CPU (to try the script on a machine without a GPU).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
STEPS=${1:-300} BATCH=${2:-128} PRESET=${3:-article}
DEVICE="${DDPM_GPU_CHECK_DEVICE:-gpu}"
OUT="$REPO/.run/gpu-check"
started=$SECONDS
if [[ "$DEVICE" == gpu ]]; then
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "[gpu-check] no NVIDIA GPU: nvidia-smi is missing or lists no GPU (is the driver installed and loaded?)" >&2
    exit 3
  fi
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/[gpu-check] GPU: /'
fi
mkdir -p "$OUT"
TRAINER="$OUT/trainer/quarkus-app"
if [[ "$DEVICE" == cpu ]]; then
  TRAINER="$REPO/trainer-service/target/quarkus-app"
  [[ -d "$TRAINER/lib/main" ]] || ./mvnw -B -q -DskipTests -pl trainer-service -am package
elif [[ ! -d "$TRAINER/lib/main" ]]; then
  # The cuda profile swaps libtorch for its CUDA 12.4 build (about 2 GB from Maven Central, once); the copy
  # is kept in .run/gpu-check and the CPU build put back, since the CUDA one cannot load without a driver.
  echo "[gpu-check] building the trainer with CUDA natives (-Dcuda) into $OUT/trainer (once)"
  ./mvnw -B -q -DskipTests -Dcuda -pl trainer-service -am package
  rm -rf "$OUT/trainer" && mkdir -p "$OUT/trainer" && cp -r trainer-service/target/quarkus-app "$OUT/trainer/"
  ./mvnw -B -q -DskipTests -pl trainer-service package
fi
SAMPLER="$REPO/sampler-service/target/quarkus-app"
[[ -d "$SAMPLER/lib/main" ]] || ./mvnw -B -q -DskipTests -pl sampler-service -am package
started=$SECONDS # the check itself, after any build
classpath() { echo "$1/app/*:$1/lib/main/*:$1/lib/boot/*"; }
. "$REPO/deploy/docker/native-malloc.sh"
keep_native_heap

echo "[gpu-check] 1-2. training $STEPS steps of $PRESET at batch $BATCH on $DEVICE, then the ONNX export"
java -Djava.awt.headless=true -Xmx8g -cp "$(classpath "$TRAINER")" dev.ddpm.trainer.bench.GpuTrainingCheck \
  "$OUT" "$STEPS" "$BATCH" "$PRESET" "$DEVICE" 2>&1 | grep -v "^WARN\|Warning:" || { echo "[gpu-check] the trainer check failed" >&2; exit 3; }
[[ -f "$OUT/$PRESET/unet.onnx" ]] || { echo "[gpu-check] the trainer check wrote no export" >&2; exit 3; }

echo "[gpu-check] 3. the sampler's ONNX Runtime: CUDA execution provider against the CPU provider"
set +e
java -Djava.awt.headless=true -Xmx8g -cp "$(classpath "$SAMPLER")" dev.ddpm.sampler.bench.ProviderBenchmark \
  "$OUT/$PRESET" "${DDPM_GPU_CHECK_SECONDS:-10}" 1 16 256 2>&1 | grep -v "^WARN"
status=${PIPESTATUS[0]}
set -e
echo "[gpu-check] done in $((SECONDS - started)) s"
exit "$status"
