#!/usr/bin/env bash
# The platform's main job on one machine: bring up the stack, train the MNIST recipe through the
# gateway for a fixed time (the trainer publishes the model, the sampler loads it), then print the
# page's URL and a curl line that samples from the model.
#   scripts/run.sh [--minutes 30] [--preset mnist-28] [--batch 64] [--lr 2e-3] [--snr-gamma 5] [--prediction v|epsilon]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
MINUTES=30 PRESET=mnist-28 BATCH=64 LR=2e-3 SNR_GAMMA=5 PREDICTION=v
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --preset) PRESET="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --lr) LR="$2"; shift 2 ;;
    --snr-gamma) SNR_GAMMA="$2"; shift 2 ;;
    --prediction) PREDICTION="$2"; shift 2 ;;
    *) echo "usage: scripts/run.sh [--minutes 30] [--preset mnist-28] [--batch 64] [--lr 2e-3] [--snr-gamma 5] [--prediction v|epsilon]" >&2; exit 2 ;;
  esac
done
[[ "$PREDICTION" == v || "$PREDICTION" == epsilon ]] || { echo "scripts/run.sh: --prediction must be v or epsilon, was '$PREDICTION'" >&2; exit 2; }
# maxMinutes ends the run at the time box whatever the machine's speed that day, with the cosine
# decay fitted to the steps it reaches, so the step count is only an upper bound: it is planned from
# the fast end of the images/s measured on a 2-core CPU (docs/mnist.md: mnist-28's 100-step windows
# ran at 160-233, mnist-28w takes 1.25x mnist-28's step time, mnist-slim's ran around 125, mnist-fast's
# 60, mnist-lite's and mnist's 36), so that a fast day trains for the whole box instead of finishing early.
case "$PRESET" in mnist-28) RATE=240 ;; mnist-28w) RATE=200 ;; mnist-slim) RATE=150 ;; mnist-fast) RATE=70 ;; tiny) RATE=300 ;; *) RATE=40 ;; esac
STEPS=$(( MINUTES * 60 * RATE / BATCH ))
((STEPS >= 1)) || STEPS=1
WARMUP=$(( STEPS / 10 < 200 ? STEPS / 10 : 200 ))

deploy/local/stack.sh up
eval "$(deploy/local/stack.sh env)"
KEY=(-H "X-API-Key: $GATEWAY_API_KEY")
scripts/fetch-mnist.sh "$REPO/.run/data/mnist" >/dev/null
echo "[run] uploading MNIST's 60,000 training digits as data set 'mnist'"
curl -sf "${KEY[@]}" -H 'Content-Type: application/octet-stream' --data-binary @"$REPO/.run/data/mnist/train-images-idx3-ubyte" \
  "$GATEWAY_URL/v1/datasets/mnist?file=train-images-idx3-ubyte" >/dev/null
run=$(curl -sf "${KEY[@]}" -H 'Content-Type: application/json' \
  -d "{\"dataset\":\"mnist\",\"preset\":\"$PRESET\",\"steps\":$STEPS,\"batchSize\":$BATCH,\"learningRate\":$LR,\"warmupSteps\":$WARMUP,\"emaDecay\":0.999,\"checkpointEvery\":500,\"learningRateDecay\":\"cosine\",\"snrGamma\":$SNR_GAMMA,\"predictionType\":\"$PREDICTION\",\"maxMinutes\":$MINUTES}" \
  "$GATEWAY_URL/v1/trainings" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["runId"])')
echo "[run] training run $run: $STEPS steps of $BATCH ($PRESET), about $MINUTES minutes; follow it at $GATEWAY_URL/#trainings"
state=requested
while [[ "$state" != completed && "$state" != failed ]]; do
  sleep 30
  line=$(curl -s "${KEY[@]}" "$GATEWAY_URL/v1/trainings/$run" | /usr/bin/python3 -c \
    'import json,sys; r=json.load(sys.stdin); print(r["state"], r["step"], r["totalSteps"], r["loss"], int(r["etaSeconds"]), r.get("error") or "")')
  read -r state step total loss eta error <<<"$line"
  echo "[run] $state: step $step of $total, loss $loss, about $eta s left $error"
done
[[ "$state" == completed ]] || { echo "[run] the run failed: $error" >&2; exit 1; }
for _ in $(seq 1 60); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "${KEY[@]}" -H 'Content-Type: application/json' \
    -d '{"model":"mnist","steps":2}' "$GATEWAY_URL/v1/samples")" == 200 ]] && break
  sleep 2
done
cat <<EOF2
[run] done. The page: $GATEWAY_URL/  (API key: $GATEWAY_API_KEY)
[run] sixteen digits as one grid:
curl -s -X POST $GATEWAY_URL/v1/samples -H 'X-API-Key: $GATEWAY_API_KEY' -H 'Content-Type: application/json' \\
  -d '{"model":"mnist","count":16,"sampler":"ddim","steps":50,"output":"grid"}' -o mnist-samples.png
[run] its quality (FLD, recognisable share; docs/mnist.md), alone and autoguided by its step-2,000 checkpoint:
scripts/ddpm.sh evaluate --run $run --mnist .run/data/mnist --samples 500 --sampler ddpm --steps 250
scripts/ddpm.sh evaluate --run $run --mnist .run/data/mnist --samples 500 --sampler ddpm --steps 250 --guidance 2 --guide-step 2000
EOF2
