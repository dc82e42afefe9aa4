#!/usr/bin/env bash
# The platform's main job on one machine: bring up the stack, train the MNIST recipe (or, with
# --data emoji, the colour recipe on the Google emoji set) through the gateway for a fixed time (the
# trainer publishes the model, the sampler loads it), then print the page's URL and curl lines that
# sample from the model.
#   scripts/run.sh [--data mnist|emoji] [--minutes 30] [--preset mnist-28|colour-32] [--batch 64] [--lr 2e-3]
#                  [--snr-gamma 5] [--prediction v|epsilon] [--quality-every 500]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
DATA=mnist MINUTES=30 PRESET="" BATCH=64 LR=2e-3 SNR_GAMMA=5 PREDICTION=v QUALITY_EVERY=500
USAGE="usage: scripts/run.sh [--data mnist|emoji] [--minutes 30] [--preset mnist-28|colour-32] [--batch 64] [--lr 2e-3] [--snr-gamma 5] [--prediction v|epsilon] [--quality-every 500]"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --quality-every) QUALITY_EVERY="$2"; shift 2 ;;
    --minutes) MINUTES="$2"; shift 2 ;;
    --preset) PRESET="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --lr) LR="$2"; shift 2 ;;
    --snr-gamma) SNR_GAMMA="$2"; shift 2 ;;
    --prediction) PREDICTION="$2"; shift 2 ;;
    *) echo "$USAGE" >&2; exit 2 ;;
  esac
done
case "$DATA" in
  mnist) PRESET="${PRESET:-mnist-28}" ;;
  emoji) PRESET="${PRESET:-colour-32}" ;;
  *) echo "scripts/run.sh: --data must be mnist or emoji, was '$DATA'" >&2; exit 2 ;;
esac
[[ "$PREDICTION" == v || "$PREDICTION" == epsilon ]] || { echo "scripts/run.sh: --prediction must be v or epsilon, was '$PREDICTION'" >&2; exit 2; }
# maxMinutes ends the run at the time box whatever the machine's speed that day, with the cosine
# decay fitted to the steps it reaches, so the step count is only an upper bound: it is planned from
# the fast end of the images/s measured on a 2-core CPU (docs/evaluation.md and docs/benchmarks.md:
# mnist-28's 100-step windows run at 160-233, mnist-28w takes 1.25x mnist-28's step time, colour-32 runs
# at 85-115, mnist at 36), so that a fast day trains for the whole box instead of finishing early.
case "$PRESET" in colour-32) RATE=120 ;; mnist-28) RATE=240 ;; mnist-28w) RATE=200 ;; tiny|tiny-colour) RATE=300 ;; *) RATE=40 ;; esac
STEPS=$(( MINUTES * 60 * RATE / BATCH ))
((STEPS >= 1)) || STEPS=1
WARMUP=$(( STEPS / 10 < 200 ? STEPS / 10 : 200 ))

deploy/local/stack.sh up
eval "$(deploy/local/stack.sh env)"
KEY=(-H "X-API-Key: $GATEWAY_API_KEY")
upload() { # data set name, file, name of the file in the data set
  curl -sf "${KEY[@]}" -H 'Content-Type: application/octet-stream' --data-binary @"$2" "$GATEWAY_URL/v1/datasets/$1?file=$3" >/dev/null
}
if [[ "$DATA" == mnist ]]; then
  scripts/fetch-mnist.sh "$REPO/.run/data/mnist" >/dev/null
  echo "[run] uploading MNIST's 60,000 training digits and their labels as data set 'mnist'"
  upload mnist "$REPO/.run/data/mnist/train-images-idx3-ubyte" train-images-idx3-ubyte
  upload mnist "$REPO/.run/data/mnist/train-labels-idx1-ubyte" train-labels-idx1-ubyte
  EMA=0.999 SCHEDULE=linear
else
  scripts/fetch-emoji.sh "$REPO/.run/data/emoji" >/dev/null
  echo "[run] uploading the 1,911 Google emoji (32x32 sheet and index, as one tar.gz) as data set 'emoji'"
  archive="$(mktemp -d)/emoji.tar.gz"
  tar czf "$archive" -C "$REPO/.run/data/emoji" emoji.json sheet-32.png
  upload emoji "$archive" emoji.tar.gz
  EMA=0.9995 SCHEDULE=cosine
fi
run=$(curl -sf "${KEY[@]}" -H 'Content-Type: application/json' \
  -d "{\"dataset\":\"$DATA\",\"preset\":\"$PRESET\",\"steps\":$STEPS,\"batchSize\":$BATCH,\"learningRate\":$LR,\"warmupSteps\":$WARMUP,\"emaDecay\":$EMA,\"checkpointEvery\":500,\"learningRateDecay\":\"cosine\",\"snrGamma\":$SNR_GAMMA,\"predictionType\":\"$PREDICTION\",\"schedule\":\"$SCHEDULE\",\"maxMinutes\":$MINUTES,\"qualityEvery\":$QUALITY_EVERY}" \
  "$GATEWAY_URL/v1/trainings" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["runId"])')
echo "[run] training run $run: $STEPS steps of $BATCH ($PRESET), about $MINUTES minutes; follow it at $GATEWAY_URL/#trainings"
state=requested
while [[ "$state" != completed && "$state" != failed ]]; do
  sleep 30
  line=$(curl -s "${KEY[@]}" "$GATEWAY_URL/v1/trainings/$run" | /usr/bin/python3 -c \
    'import json,sys; r=json.load(sys.stdin); q=r.get("quality") or {}
m=" quality at step %d: FLD %.1f (floor %.1f), recognisable %.0f %%" % (r["qualityStep"], q["quality_fld"], q["quality_fld_floor"], 100 * q["quality_recognisable"]) if q else ""
print(r["state"], r["step"], r["totalSteps"], r["loss"], int(r["etaSeconds"]), (r.get("error") or "") + m)')
  read -r state step total loss eta error <<<"$line"
  echo "[run] $state: step $step of $total, loss $loss, about $eta s left;$error"
done
[[ "$state" == completed ]] || { echo "[run] the run failed: $error" >&2; exit 1; }
for _ in $(seq 1 60); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "${KEY[@]}" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$DATA\",\"steps\":2}" "$GATEWAY_URL/v1/samples")" == 200 ]] && break
  sleep 2
done
if [[ "$DATA" == emoji ]]; then
  cat <<EOF2
[run] done. The page: $GATEWAY_URL/  (API key: $GATEWAY_API_KEY)
[run] sixteen emoji as one grid, and the reverse process of four as an MP4 (or a GIF: Accept: image/gif):
curl -s -X POST $GATEWAY_URL/v1/samples -H 'X-API-Key: $GATEWAY_API_KEY' -H 'Content-Type: application/json' \\
  -d '{"model":"emoji","count":16,"output":"grid"}' -o emoji-samples.png
curl -s -X POST $GATEWAY_URL/v1/samples -H 'X-API-Key: $GATEWAY_API_KEY' -H 'Content-Type: application/json' \\
  -H 'Accept: video/mp4' -d '{"model":"emoji","count":4,"sampler":"ddpm","steps":250,"output":"video"}' -o emoji-reverse.mp4
[run] its quality (FLD against the real-vs-real floor, recognisable share, memorisation; docs/evaluation.md):
scripts/ddpm.sh evaluate --run $run --data .run/data/emoji --samples 191 --sampler ddpm --steps 250
EOF2
  exit 0
fi
cat <<EOF2
[run] done. The page: $GATEWAY_URL/  (API key: $GATEWAY_API_KEY)
[run] sixteen digits as one grid:
curl -s -X POST $GATEWAY_URL/v1/samples -H 'X-API-Key: $GATEWAY_API_KEY' -H 'Content-Type: application/json' \\
  -d '{"model":"mnist","count":16,"sampler":"ddim","steps":50,"output":"grid"}' -o mnist-samples.png
[run] its quality (FLD, recognisable share; docs/evaluation.md), alone and autoguided by its step-2,000 checkpoint:
scripts/ddpm.sh evaluate --run $run --mnist .run/data/mnist --samples 500 --sampler ddpm --steps 250
scripts/ddpm.sh evaluate --run $run --mnist .run/data/mnist --samples 500 --sampler ddpm --steps 250 --guidance 2 --guide-step 2000
EOF2
