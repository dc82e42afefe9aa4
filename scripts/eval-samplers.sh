#!/usr/bin/env bash
# Quality against cost of every sampler on one trained MNIST run, the same noise seeds for all
# (docs/evaluation.md, "Samplers"); needs the run's checkpoints in S3 (S3_ENDPOINT etc.) and MNIST:
#   scripts/eval-samplers.sh RUN [samples=500] [guide step, e.g. 2000] [unguided|guided|both=both]
# With a guide step the autoguided rows (w = 2, the run's own checkpoint at that step) follow the
# unguided ones. Each line it prints is one `evaluate`: FLD, floor, recognisable share, class histogram
# and the sampling time; the tables in docs/evaluation.md are these lines.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN=${1:?usage: scripts/eval-samplers.sh RUN [samples] [guide-step] [unguided|guided|both]}
SAMPLES=${2:-500}
GUIDE=${3:-}
PASSES=${4:-both}
MNIST=${MNIST_DIR:-$REPO/.run/data/mnist}
[[ -f "$MNIST/t10k-images-idx3-ubyte" ]] || "$REPO/scripts/fetch-mnist.sh" "$MNIST"
SETTINGS=(
  "--sampler ddpm --steps 250"
  "--sampler ddpm --steps 25"
  "--sampler ddim --steps 50"
  "--sampler dpm++ --steps 10"
  "--sampler dpm++ --steps 15"
  "--sampler dpm++ --steps 20"
  "--sampler dpm++ --steps 25"
  "--sampler unipc --steps 10"
  "--sampler unipc --steps 15"
  "--sampler unipc --steps 20"
  "--sampler unipc --steps 25"
  "--sampler dpm++sde --steps 10"
  "--sampler dpm++sde --steps 20"
  "--sampler dpm++sde --steps 25"
  "--sampler dpm++sde --steps 30"
  "--sampler dpm++sde --steps 50"
  "--sampler euler-ancestral --steps 20"
  "--sampler euler-ancestral --steps 30"
  "--sampler euler-ancestral --steps 50"
  "--sampler sa-solver --steps 10"
  "--sampler sa-solver --steps 20"
  "--sampler sa-solver --steps 25"
  "--sampler sa-solver --steps 30"
)
evaluate() {
  "$REPO/scripts/ddpm.sh" evaluate --run "$RUN" --mnist "$MNIST" --samples "$SAMPLES" "$@" 2>/dev/null \
    | grep -E "^run $RUN" || echo "evaluate $* failed"
}
if [[ "$PASSES" != guided ]]; then
  for s in "${SETTINGS[@]}"; do
    # shellcheck disable=SC2086
    evaluate $s
  done
fi
if [[ -n "$GUIDE" && "$PASSES" != unguided ]]; then
  for s in "${SETTINGS[@]}"; do
    # shellcheck disable=SC2086
    evaluate $s --guidance 2 --guide-step "$GUIDE"
  done
fi
