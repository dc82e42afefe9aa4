#!/usr/bin/env bash
# The whole loop across the three real services, the real broker and the S3 server (run by
# scripts/test.sh after the smoke test, with its stack variables):
#   upload a data set through the gateway -> DatasetUpdated -> the trainer trains a tiny model ->
#   exports and publishes it (the model's first version: production) -> the sampler swaps it in ->
#   a sample through the gateway comes from it; then, with the model's promotion policy manual, a
#   second upload retrains it with its recipe from its checkpoint -> the new version is a candidate
#   with the quality gate's evaluation in its manifest, served only to requests that name it ->
#   promote -> every request without a version gets it -> roll back -> the first version again,
#   while requests keep coming, none of them failing. Prints the seconds from the promotion and
#   from the rollback to the sampler serving the version.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
STACK=deploy/local/stack.sh
step() { echo "[e2e] $*"; }
fail() { echo "[e2e] FAILED: $*" >&2; exit 1; }

# Retraining on data set changes, short runs, a short debounce: what the loop needs to be quick.
# The second upload retrains minutes after the first: no minimum interval between a model's
# retrainings here (RetrainingTest checks the interval).
export TRAINER_RETRAIN_POLICY=fine-tune TRAINER_RETRAIN_DEBOUNCE=3s TRAINER_RETRAIN_PRESET=tiny \
  TRAINER_RETRAIN_STEPS=120 TRAINER_RETRAIN_BATCH_SIZE=16 TRAINER_RETRAIN_LEARNING_RATE=1e-3 \
  TRAINER_RETRAIN_CHECKPOINT_EVERY=120 TRAINER_GRID_EVERY=1000 TRAINER_PROGRESS_EVERY=20 \
  TRAINER_RETRAIN_MIN_INTERVAL=0s
$STACK up >/dev/null
trap '$STACK down >/dev/null 2>&1 || true' EXIT
eval "$($STACK env)"
API="$GATEWAY_URL"
KEY=(-H "X-API-Key: $GATEWAY_API_KEY")
DATA="$(mktemp -d)"
trap '$STACK down >/dev/null 2>&1 || true; rm -rf "$DATA"' EXIT
DATASET="e2e-$(date +%s)"

# Eight 16x16 grey stripe images, written with Python's standard library (no imaging package).
/usr/bin/python3 - "$DATA" <<'PY'
import struct, sys, zlib
def png(path, rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for i in range(9):
    png(f"{sys.argv[1]}/img-{i}.png", [[230 if (y // (2 + i % 3)) % 2 == 0 else 25 for _ in range(16)] for y in range(16)])
PY

upload() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "${KEY[@]}" -H 'Content-Type: application/octet-stream' \
    --data-binary "@$DATA/$1" "$API/v1/datasets/$DATASET?file=$1")
  [[ "$code" == 201 ]] || fail "upload of $1 answered $code"
}
version_of_sample() { # [VERSION or alias]: the version that served a 10-step sample
  local version=""
  [[ -n "${1:-}" ]] && version=",\"version\":\"$1\""
  curl -s -o /dev/null -D - "${KEY[@]}" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$DATASET\",\"steps\":10$version}" "$API/v1/samples" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-model-version"{print $2}'
}
post() { # PATH JSON: answers the HTTP status
  curl -s -o "$DATA/last-body" -w '%{http_code}' "${KEY[@]}" -H 'Content-Type: application/json' -X "${3:-POST}" \
    -d "$2" "$API$1"
}
seconds_until_served() { # VERSION: polls requests without a version every 0.1 s; prints the seconds it took
  local start=$(date +%s.%N)
  for _ in $(seq 1 600); do
    [[ "$(version_of_sample)" == "$1" ]] && { /usr/bin/python3 -c "import time; print(f'{time.time() - $start:.2f}')"; return 0; }
    sleep 0.1
  done
  fail "the sampler did not serve $1 within 60 s"
}
await_version_count() { # N: wait until the gateway lists N published versions
  for _ in $(seq 1 240); do
    n=$(curl -s "${KEY[@]}" "$API/v1/models/$DATASET" | /usr/bin/python3 -c \
      'import json,sys; d=json.load(sys.stdin); print(len(d.get("versions", [])))' 2>/dev/null || echo 0)
    [[ "$n" -ge "$1" ]] && return 0
    sleep 1
  done
  fail "the model never reached $1 published version(s); trainer log: $(tail -5 "$DDPM_RUN_DIR/trainer/service.log")"
}

step "1. upload a data set through the gateway; the trainer trains and publishes, the sampler serves it"
for i in 0 1 2 3 4 5 6 7; do upload "img-$i.png"; done
await_version_count 1
first=$(curl -s "${KEY[@]}" "$API/v1/models/$DATASET" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
for _ in $(seq 1 60); do [[ "$(version_of_sample)" == "$first" ]] && break; sleep 1; done
[[ "$(version_of_sample)" == "$first" ]] || fail "the sampler does not serve $first"
runs=$(curl -s "${KEY[@]}" "$API/v1/trainings" | /usr/bin/python3 -c \
  "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['modelName']=='$DATASET' and r['state']=='completed'))")
[[ "$runs" == 1 ]] || fail "expected one completed run of $DATASET, the gateway shows $runs"
step "   served $first (one run: the burst of 8 uploads was debounced into one)"

step "2. with a manual policy, another upload retrains: the new version is a candidate, production keeps serving"
code=$(post "/v1/models/$DATASET/policy" '{"promotion":"manual"}' PUT)
[[ "$code" == 200 ]] || fail "setting the policy answered $code: $(cat "$DATA/last-body")"
codes="$DATA/codes"; : >"$codes"
( while [[ ! -f "$DATA/stop" ]]; do
    curl -s -o /dev/null -w '%{http_code} ' "${KEY[@]}" -H 'Content-Type: application/json' \
      -d "{\"model\":\"$DATASET\",\"steps\":10}" "$API/v1/samples" >>"$codes"
    sleep 0.3
  done ) &
load=$!
upload "img-8.png"
await_version_count 2
second=$(curl -s "${KEY[@]}" "$API/v1/models/$DATASET/aliases" | /usr/bin/python3 -c \
  'import json,sys; print(json.load(sys.stdin)["aliases"].get("candidate", ""))')
[[ -n "$second" && "$second" != "$first" ]] || fail "no candidate after the second upload"
curl -s "${KEY[@]}" "$API/v1/models/$DATASET/versions/$second" | /usr/bin/python3 -c '
import json, sys
m = json.load(sys.stdin)["manifest"]
e = m.get("evaluation") or sys.exit("the candidate manifest has no evaluation")
recipe = m["training"].get("recipe") or sys.exit("the candidate manifest has no recipe")
print("[e2e]    gate: passed=%s: %s" % (e["passed"], e["reason"]))
print("[e2e]    recipe: preset %s, resumed from %s" % (recipe.get("preset"), recipe.get("resumeFrom")))
' || fail "the candidate's manifest lacks the gate's evaluation or its recipe"
[[ "$(version_of_sample)" == "$first" ]] || fail "a request without a version got the candidate, not production $first"
[[ "$(version_of_sample candidate)" == "$second" ]] || fail "a request for the candidate did not get $second"
step "   candidate $second; production $first serves requests without a version"

step "3. promote the candidate, then roll back; requests keep coming and none fails"
code=$(post "/v1/models/$DATASET/promote" "{\"version\":\"$second\",\"reason\":\"e2e\"}")
[[ "$code" == 200 ]] || fail "promote answered $code: $(cat "$DATA/last-body")"
promoted_after=$(seconds_until_served "$second")
code=$(post "/v1/models/$DATASET/versions/$second" '' DELETE)
[[ "$code" == 409 ]] || fail "deleting the production version answered $code, not 409"
code=$(post "/v1/models/$DATASET/rollback" '{"reason":"e2e"}')
[[ "$code" == 200 ]] || fail "rollback answered $code: $(cat "$DATA/last-body")"
rolled_back_after=$(seconds_until_served "$first")
touch "$DATA/stop"; wait "$load"
total=$(wc -w <"$codes"); bad=$(tr ' ' '\n' <"$codes" | grep -cv '^200$' || true)
((total > 0)) || fail "no requests were made during retraining, promotion and rollback"
((bad == 0)) || fail "$bad of $total requests did not answer 200: $(sort "$codes" | uniq -c | head)"
step "   promotion served after ${promoted_after} s, rollback after ${rolled_back_after} s; $total requests, all 200"
step "passed"
