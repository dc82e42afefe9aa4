#!/usr/bin/env bash
# Load from hostile but valid clients against the real local stack (deploy/local/stack.sh), measured
# (docs/benchmarks.md, "Load"). It starts a stack of its own (ports 39092/39093/39000/38080-38082, run
# folder .run/load), trains a tiny model through the platform, stops the trainer, then runs
# scripts/load/LoadBench.java (the JDK's HttpClient, no other dependency): LOAD_CLIENTS concurrent
# clients with one API key for LOAD_SECONDS, each of one class:
#   plain       POST /v1/samples, a PNG of LOAD_COUNT images, back to back
#   sse         the same as server-sent events with previewEvery 1
#   upload      POST /v1/datasets/loadbench-N?file=images.zip, a zip of random PNGs, every other one
#               chunked (no Content-Length)
#   slow        SSE of LOAD_SLOW_COUNT images with previewEvery 1, read after a 10 s pause at 16 KiB
#               per second
#   disconnect  a DDPM request with every step (T) of 8 images, as a PNG or SSE, abandoned after 1.5 s
# and samples the gateway's and the sampler's heap and live threads (/q/metrics) and RSS (/proc) every
# second. Prints a report per class (requests, ok, refused = 429 or 503 with Retry-After, 4xx, 5xx,
# abandoned, lost = no terminal answer, ok/s, p50/p99 of the successes, statuses), the resource
# peaks and how long the sampler kept working after the load ended; writes report.txt, report.json
# and resources.csv to .run/load/report. Exits 0 when 5xx and lost are both 0, 1 when not, 2 when the
# stack or the model could not be set up. Always tears its stack down.
#
# The key's request and evaluation quotas are raised (LOAD_KEY_*) so that the load reaches the
# services rather than the gateway's per-key buckets; set LOAD_KEY_QUOTAS=default to keep them.
# Targets are loopback only (LoadBench refuses any other address). Time is bounded: the load, then at
# most LOAD_REQUEST_TIMEOUT for the requests in flight and LOAD_DRAIN_SECONDS watching the sampler
# drain; the generator is killed past that.
#
# Settings (environment; defaults in brackets): LOAD_CLIENTS [50], LOAD_SECONDS [300],
# LOAD_MIX [plain=3,sse=2,upload=2,slow=2,disconnect=1], LOAD_REQUEST_TIMEOUT [120],
# LOAD_MAX_REQUESTS [200000], LOAD_DRAIN_SECONDS [60], LOAD_COUNT [4], LOAD_SLOW_COUNT [16],
# LOAD_RUN_DIR [.run/load], LOAD_KAFKA_PORT [39092], LOAD_KAFKA_CONTROLLER_PORT [39093],
# LOAD_S3_PORT [39000], LOAD_GATEWAY_PORT [38080], LOAD_SAMPLER_PORT [38081], LOAD_TRAINER_PORT
# [38082], LOAD_KEY_QUOTAS [raised|default], LOAD_KEY_RATE [1000], LOAD_KEY_BURST [1000],
# LOAD_KEY_EVALUATIONS [1000000], LOAD_KEY_EVALUATION_BURST [10000000]; DDPM_LIBS_DIR as stack.sh.
# Further arguments go to LoadBench as they are (e.g. --abandon-ms 3000; see its options).
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
STACK=deploy/local/stack.sh

export DDPM_RUN_DIR="${LOAD_RUN_DIR:-$REPO/.run/load}"
export KAFKA_PORT="${LOAD_KAFKA_PORT:-39092}"
export KAFKA_CONTROLLER_PORT="${LOAD_KAFKA_CONTROLLER_PORT:-39093}"
export S3_PORT="${LOAD_S3_PORT:-39000}"
export GATEWAY_PORT="${LOAD_GATEWAY_PORT:-38080}"
export SAMPLER_PORT="${LOAD_SAMPLER_PORT:-38081}"
export TRAINER_PORT="${LOAD_TRAINER_PORT:-38082}"
export S3_ACCESS_KEY=ddpm-load S3_SECRET_KEY=ddpm-load-secret
export GATEWAY_API_KEY="${GATEWAY_API_KEY:-ddpm-local-key}"
# Only the run this script asks for: uploads during the load must not start trainings.
export TRAINER_RETRAIN_POLICY=off TRAINER_PROGRESS_EVERY=2 TRAINER_GRID_EVERY=1000
if [[ "${LOAD_KEY_QUOTAS:-raised}" != default ]]; then
  # stack.sh's key has the id "local"; its own figures override the gateway's defaults.
  export DDPM_JAVA_OPTS="-Dgateway.auth.keys.local.rate-per-second=${LOAD_KEY_RATE:-1000} -Dgateway.auth.keys.local.burst=${LOAD_KEY_BURST:-1000} -Dgateway.auth.keys.local.evaluations-per-second=${LOAD_KEY_EVALUATIONS:-1000000} -Dgateway.auth.keys.local.evaluation-burst=${LOAD_KEY_EVALUATION_BURST:-10000000}${DDPM_JAVA_OPTS:+ $DDPM_JAVA_OPTS}"
fi
CLIENTS="${LOAD_CLIENTS:-50}"
DURATION="${LOAD_SECONDS:-300}"
REQUEST_TIMEOUT="${LOAD_REQUEST_TIMEOUT:-120}"
DRAIN="${LOAD_DRAIN_SECONDS:-60}"
MODEL=loadbench
DATASET=loadbench-base
WORK="$DDPM_RUN_DIR/work"
PY=(/usr/bin/python3 "$REPO/scripts/chaos/chaos.py")

say() { echo "[load] $*"; }

for m in gateway sampler-service trainer-service; do
  [[ -f "$m/target/quarkus-app/quarkus-run.jar" ]] || {
    say "$m/target/quarkus-app/quarkus-run.jar is missing: build first (./mvnw -B package -DskipTests)"; exit 2; }
done

cleanup() {
  local rc=$? c pid
  [[ -n "${BENCH:-}" ]] && kill "$BENCH" 2>/dev/null
  for c in gateway sampler trainer; do "$STACK" stop "$c" >>"$WORK/stack.log" 2>&1 & done
  wait
  "$STACK" down >>"$WORK/stack.log" 2>&1 || true
  # Anything that still carries this run folder's marker is ours (a start that raced a stop): by pid.
  for pid in $(pgrep -f -- "-Dddpmstack.run=$DDPM_RUN_DIR " || true); do
    say "left behind: pid $pid; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  done
  exit "$rc"
}

started=$SECONDS
"$STACK" down >/dev/null 2>&1 || true
rm -rf "$DDPM_RUN_DIR"
mkdir -p "$WORK"
trap cleanup EXIT
trap 'exit 130' INT TERM
say "stack on ports $KAFKA_PORT, $S3_PORT, $GATEWAY_PORT-$TRAINER_PORT; logs in $DDPM_RUN_DIR"
if ! "$STACK" up >>"$WORK/stack.log" 2>&1; then
  say "setup FAILED: the stack did not come up"; tail -n 20 "$WORK/stack.log"; exit 2
fi
eval "$("$STACK" env)"
export GATEWAY_URL GATEWAY_API_KEY S3_ENDPOINT

# A tiny model trained through the platform (4 steps: what it draws does not matter, its cost does).
"${PY[@]}" pngs "$WORK"
for i in 0 1 2 3 4 5 6 7; do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "X-API-Key: $GATEWAY_API_KEY" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$WORK/img-$i.png" \
    "$GATEWAY_URL/v1/datasets/$DATASET?file=img-$i.png")"
  [[ "$code" == 201 ]] || { say "setup FAILED: an upload answered $code"; exit 2; }
done
code="$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 60 -H "X-API-Key: $GATEWAY_API_KEY" \
  -H 'Content-Type: application/json' "$GATEWAY_URL/v1/trainings" \
  -d "{\"dataset\":\"$DATASET\",\"modelName\":\"$MODEL\",\"preset\":\"tiny\",\"steps\":4,\"batchSize\":4,\"learningRate\":1e-3,\"checkpointEvery\":4}")"
[[ "$code" == 202 ]] || { say "setup FAILED: POST /v1/trainings answered $code: $(head -c 300 "$WORK/body")"; exit 2; }
run="$("${PY[@]}" field runId <"$WORK/body")"
"${PY[@]}" wait "$run" --bound 300 --want completed --require-version >"$WORK/train.log" ||
  { say "setup FAILED: $(cat "$WORK/train.log")"; exit 2; }
deadline=$((SECONDS + 120))
code=000
while ((SECONDS < deadline)); do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "X-API-Key: $GATEWAY_API_KEY" \
    -H 'Content-Type: application/json' -d "{\"model\":\"$MODEL\",\"steps\":10,\"seed\":7}" "$GATEWAY_URL/v1/samples")"
  [[ "$code" == 200 ]] && break
  sleep 1
done
[[ "$code" == 200 ]] || { say "setup FAILED: a sample of $MODEL answered $code for 120 s"; exit 2; }
# The trainer has no part in the load; stopped, it leaves the machine's cores to the services measured.
"$STACK" stop trainer >>"$WORK/stack.log" 2>&1
say "model $MODEL trained and served ($((SECONDS - started)) s); load: $CLIENTS clients for $DURATION s"

pid_of() { cat "$DDPM_RUN_DIR/$1/$1.pid" 2>/dev/null || echo 0; }
# Bounded even if the stack hangs: the generator's own hard end is the load plus the request timeout
# plus the drain watch; timeout(1) backs it up.
timeout --kill-after=10 $((DURATION + REQUEST_TIMEOUT + DRAIN + 60)) \
  java -Xmx1g -Djava.awt.headless=true "$REPO/scripts/load/LoadBench.java" \
  --url "$GATEWAY_URL" --key "$GATEWAY_API_KEY" --model "$MODEL" \
  --clients "$CLIENTS" --seconds "$DURATION" --request-timeout "$REQUEST_TIMEOUT" \
  --mix "${LOAD_MIX:-plain=3,sse=2,upload=2,slow=2,disconnect=1}" \
  --max-requests "${LOAD_MAX_REQUESTS:-200000}" --drain-seconds "$DRAIN" \
  --count "${LOAD_COUNT:-4}" --slow-count "${LOAD_SLOW_COUNT:-16}" \
  --sampler-url "http://127.0.0.1:$SAMPLER_PORT" --gateway-pid "$(pid_of gateway)" --sampler-pid "$(pid_of sampler)" \
  --out "$DDPM_RUN_DIR/report" "$@" &
BENCH=$!
wait "$BENCH"
rc=$?
BENCH=""
for c in gateway sampler; do
  [[ -n "$("$STACK" status 2>/dev/null | awk -v c="$c" '$1 == c && $2 == "running"')" ]] ||
    say "$c is not running any more (see $DDPM_RUN_DIR/$c/service.log)"
done
((rc == 124 || rc == 137)) && say "the generator did not end in its bound and was killed"
say "done in $((SECONDS - started)) s"
exit "$rc"
