#!/usr/bin/env bash
# Fault injection over the real local stack (deploy/local/stack.sh: a Kafka broker, S3Proxy and the
# three packaged services), run by scripts/test.sh after the end-to-end test. It starts a stack of
# its own (ports 29092/29093/29000/28080-28083, run folder .run/chaos), trains a tiny base model,
# then drives these scenarios, each followed by the invariant checks, one line each:
#   1. trainer-kill-before-publish  kill -9 of the trainer between a run's final checkpoint (its
#                                   manifest says ended=true) and its publication; restart: the run
#                                   completes with a published version
#   2. poison-then-good             {"preset":"article","batchSize":4096}, then a good tiny request: the
#                                   trainer runs under a memory limit (killed at CHAOS_TRAINER_MEMORY_MB,
#                                   as a container is) and is restarted as an orchestrator would, up to
#                                   CHAOS_TRAINER_RESTARTS times; the poison ends failed with a reason
#                                   (or is refused with 4xx), the good one completes
#   3. s3-outage                    S3 gone for CHAOS_OUTAGE_SECONDS during sample jobs and a run: all end
#   4. kafka-outage                 the broker gone for CHAOS_OUTAGE_SECONDS during a run: it ends, and
#                                   the gateway shows it
#   5. sampler-kill                 kill -9 of the sampler with jobs in flight, restart: every job ends
#   6. sampler-start-with-backlog   jobs submitted while the sampler is down (the same outage as 5),
#                                   then it starts: all succeed (they wait for the model to load)
#   7. two-gateways                 a second gateway (stack.sh's gateway2) answers every run and job
#                                   of the suite as the first does, and a job submitted through it
#   8. ledger                       Kafka's records: no run or job ends in two different ways (a repeat of the same end is fine), one request record per
#                                   submission, at most one published version per run
# Invariants after every scenario, through the gateway's API and S3: every run and job of it reaches
# a terminal state within its bound; every listed model version's manifest and objects exist in S3
# with the size and sha256 it declares; one run per training request (submissions carry an
# Idempotency-Key and are retried with it); the next good request (a sample of the base model) is
# served. Prints "[chaos] NAME: ok (N s)" or "[chaos] NAME: LOST WHAT", then "N scenarios, M lost";
# exits 1 when anything was lost. Always tears its stack down.
#
# Settings (environment; defaults in brackets): CHAOS_RUN_DIR [.run/chaos], CHAOS_KAFKA_PORT [29092],
# CHAOS_KAFKA_CONTROLLER_PORT [29093], CHAOS_S3_PORT [29000], CHAOS_GATEWAY_PORT [28080],
# CHAOS_SAMPLER_PORT [28081], CHAOS_TRAINER_PORT [28082], CHAOS_GATEWAY2_PORT [28083],
# CHAOS_OUTAGE_SECONDS [20], CHAOS_S3_FAULT [stop: stack.sh stop/start, the server gone, connections
# refused; freeze: kill -STOP/-CONT, a hung server only timeouts notice], CHAOS_TRAINER_MEMORY_MB [6144],
# CHAOS_TRAINER_RESTARTS [2], CHAOS_STEPS [4], CHAOS_ONLY [all; e.g. "1 2" runs those scenarios only].
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
STACK=deploy/local/stack.sh
PY=(/usr/bin/python3 "$REPO/scripts/chaos/chaos.py")

export DDPM_RUN_DIR="${CHAOS_RUN_DIR:-$REPO/.run/chaos}"
export KAFKA_PORT="${CHAOS_KAFKA_PORT:-29092}"
export KAFKA_CONTROLLER_PORT="${CHAOS_KAFKA_CONTROLLER_PORT:-29093}"
export S3_PORT="${CHAOS_S3_PORT:-29000}"
export GATEWAY_PORT="${CHAOS_GATEWAY_PORT:-28080}"
export SAMPLER_PORT="${CHAOS_SAMPLER_PORT:-28081}"
export TRAINER_PORT="${CHAOS_TRAINER_PORT:-28082}"
export GATEWAY2_PORT="${CHAOS_GATEWAY2_PORT:-28083}"
export S3_ACCESS_KEY=ddpm-chaos S3_SECRET_KEY=ddpm-chaos-secret
export GATEWAY_API_KEY="${GATEWAY_API_KEY:-ddpm-local-key}"
# A killed member's partitions move after the consumer session times out: 10 s here instead of
# Kafka's 45 s, so a restarted trainer or sampler gets its work back within the suite's time.
export DDPM_JAVA_OPTS="-Dmp.messaging.connector.smallrye-kafka.session.timeout.ms=10000 -Dmp.messaging.connector.smallrye-kafka.heartbeat.interval.ms=2000${DDPM_JAVA_OPTS:+ $DDPM_JAVA_OPTS}"
# Only the runs the suite asks for (no retraining on uploads); progress often; no grid but the last.
export TRAINER_RETRAIN_POLICY=off TRAINER_PROGRESS_EVERY=2 TRAINER_GRID_EVERY=1000
OUTAGE="${CHAOS_OUTAGE_SECONDS:-20}"
S3_FAULT="${CHAOS_S3_FAULT:-stop}"
MEMORY_MB="${CHAOS_TRAINER_MEMORY_MB:-6144}"
RESTARTS="${CHAOS_TRAINER_RESTARTS:-2}"
STEPS="${CHAOS_STEPS:-4}"
ONLY="${CHAOS_ONLY:-}"
LIBS_DIR="${DDPM_LIBS_DIR:-$REPO/.run/libs}"
S3_DATA="$DDPM_RUN_DIR/s3/data"
WORK="$DDPM_RUN_DIR/work"
IDS="$WORK/ids"
DATASET=chaos
BASE=chaos-base

say() { echo "[chaos] $*"; }

# --- the stack's processes ----------------------------------------------------------------------

# The pid of a component this run folder started (as stack.sh decides it), or nothing.
pid_of() {
  local file="$DDPM_RUN_DIR/$1/$1.pid" pid
  [[ -f "$file" ]] || return 0
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-Dddpmstack.component=$1 -Dddpmstack.run=$DDPM_RUN_DIR " && echo "$pid"
}

stack() { "$STACK" "$@" >>"$WORK/stack.log" 2>&1; }

port_of() {
  case "$1" in
    kafka) echo "$KAFKA_PORT" ;; s3) echo "$S3_PORT" ;; trainer) echo "$TRAINER_PORT" ;;
    sampler) echo "$SAMPLER_PORT" ;; gateway) echo "$GATEWAY_PORT" ;; gateway2) echo "$GATEWAY2_PORT" ;;
  esac
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start COMPONENT: once a killed predecessor has let go of the port (a SIGKILLed JVM with gigabytes
# of memory takes a moment to go), up to 30 s. The predecessor's log is kept as service-HHMMSS.log.
start() {
  local deadline=$((SECONDS + 30)) log="$DDPM_RUN_DIR/$1/service.log"
  while port_busy "$(port_of "$1")" && ((SECONDS < deadline)); do sleep 0.2; done
  [[ -f "$log" ]] && mv "$log" "${log%.log}-$(date +%H%M%S).log"
  stack start "$1"
}

S3_FROZEN=""
WATCHDOG=""
cleanup() {
  local rc=$?
  [[ -n "$WATCHDOG" ]] && { kill "$WATCHDOG" 2>/dev/null; wait "$WATCHDOG" 2>/dev/null; }
  [[ -n "$S3_FROZEN" ]] && kill -CONT "$S3_FROZEN" 2>/dev/null
  # The services at once (each takes seconds to stop), then the broker and S3.
  local c
  for c in gateway2 gateway sampler trainer; do "$STACK" stop "$c" >>"$WORK/stack.log" 2>&1 & done
  wait
  "$STACK" down >>"$WORK/stack.log" 2>&1 || true
  # Anything that still carries this run folder's marker is ours (a start that raced a stop): by pid.
  local pid
  for pid in $(pgrep -f -- "-Dddpmstack.run=$DDPM_RUN_DIR " || true); do
    say "left behind: pid $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-80)); killing it"
    kill -KILL "$pid" 2>/dev/null || true
  done
  exit "$rc"
}

# The trainer's memory limit, as a container's: SIGKILL once its resident size passes it.
watchdog() {
  local pid rss limit=$((MEMORY_MB * 1024))
  while :; do
    pid="$(pid_of trainer)"
    if [[ -n "$pid" ]]; then
      rss="$(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
      if [[ -n "$rss" ]] && ((rss > limit)); then
        kill -KILL "$pid" 2>/dev/null &&
          echo "$(date +%T) trainer pid $pid killed at its memory limit (RSS $((rss / 1024)) MiB > $MEMORY_MB MiB)" >>"$WORK/oom.log"
      fi
    fi
    sleep 0.25
  done
}

# Restarts whatever a scenario left down (as an orchestrator would); says so in the scenario's line.
heal() {
  local c
  if [[ -n "$S3_FROZEN" ]]; then kill -CONT "$S3_FROZEN" 2>/dev/null; S3_FROZEN=""; fi
  for c in kafka s3 trainer sampler gateway; do
    if [[ -z "$(pid_of "$c")" ]]; then
      NOTES+=("restarted $c")
      start "$c" || lost "$c does not start again (see $WORK/stack.log)"
    fi
  done
}

# --- the API --------------------------------------------------------------------------------------

# submit PATH JSON [GATEWAY]: POSTs with an Idempotency-Key; retried with the same key while nothing
# answers or a 5xx does (at most 3 tries). Prints the status; the body is in $WORK/body.
submit() {
  local key code try
  key="$(cat /proc/sys/kernel/random/uuid)"
  for try in 1 2 3; do
    code="$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 75 -H "X-API-Key: $GATEWAY_API_KEY" \
      -H "Idempotency-Key: $key" -H 'Content-Type: application/json' -d "$2" "${3:-$GATEWAY_URL}$1")"
    [[ "$code" =~ ^(000|5..)$ ]] || break
    sleep 2
  done
  echo "$code"
}

field() { "${PY[@]}" field "$1" <"$WORK/body"; }

run_body() { # MODEL: a tiny run with one checkpoint, its last
  echo "{\"dataset\":\"$DATASET\",\"modelName\":\"$1\",\"preset\":\"tiny\",\"steps\":$STEPS,\"batchSize\":4,\"learningRate\":1e-3,\"checkpointEvery\":$STEPS}"
}

# start_run MODEL [BODY]: the run id in REPLY (tracked for the invariants); empty when refused.
start_run() {
  local code
  REPLY=""
  code="$(submit /v1/trainings "${2:-$(run_body "$1")}")"
  if [[ "$code" != 202 ]]; then
    lost "POST /v1/trainings for $1 answered $code: $(head -c 300 "$WORK/body")"
    return 0
  fi
  REPLY="$(field runId)"
  echo "$SC $REPLY $1" >>"$IDS"
  SC_IDS+=("$REPLY"); SC_MODELS+=("$1")
}

SEED=1000
# start_job heavy|light [GATEWAY]: the job id in REPLY (tracked); empty when refused.
start_job() {
  local body code
  SEED=$((SEED + 1))
  set -- "$1" "${2:-$GATEWAY_URL}"
  if [[ "$1" == heavy ]]; then # several seconds of work on the sampler
    body="{\"model\":\"$BASE\",\"count\":8,\"sampler\":\"ddpm\",\"steps\":1000,\"seed\":$SEED}"
  else
    body="{\"model\":\"$BASE\",\"count\":2,\"steps\":10,\"seed\":$SEED}"
  fi
  REPLY=""
  code="$(submit /v1/sample-jobs "$body" "$2")"
  if [[ "$code" != 202 ]]; then
    lost "POST /v1/sample-jobs answered $code: $(head -c 300 "$WORK/body")"
    return 0
  fi
  REPLY="$(field jobId)"
  echo "$SC $REPLY seed=$SEED" >>"$IDS"
  SC_IDS+=("$REPLY")
}
# start_jobs N heavy|light [GATEWAY]: the job ids in JOBS.
start_jobs() {
  local i
  JOBS=()
  for ((i = 0; i < $1; i++)); do start_job "$2" "${3:-}"; [[ -n "$REPLY" ]] && JOBS+=("$REPLY"); done
}

# await ID... -- WAIT-ARGS: chaos.py wait; its LOST lines become the scenario's.
await() {
  local ids=() out line
  while [[ $# -gt 0 && "$1" != -- ]]; do [[ -n "$1" ]] && ids+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  ((${#ids[@]})) || return 0
  out="$("${PY[@]}" wait "${ids[@]}" "$@")"
  echo "$out" >>"$WORK/details"
  while IFS= read -r line; do
    [[ "$line" == LOST* ]] && lost "${line#LOST }"
  done <<<"$out"
}

# Polls until the run shows STATE (or a terminal state) or SECONDS pass.
await_state() {
  local deadline=$((SECONDS + $3)) s
  while ((SECONDS < deadline)); do
    s="$("${PY[@]}" state "$1")"
    [[ "$s" == "$2" || "$s" =~ ^(completed|failed|cancelled)$ ]] && return 0
    sleep 0.5
  done
  return 1
}

# Until the sampler runs at least one request (its metric), or SECONDS pass.
await_sampler_busy() {
  local deadline=$((SECONDS + $1)) n
  while ((SECONDS < deadline)); do
    n="$(curl -s --max-time 2 "http://127.0.0.1:$SAMPLER_PORT/q/metrics" | awk '/^ddpm_sampler_active_requests /{print int($2)}')"
    [[ -n "$n" ]] && ((n > 0)) && return 0
    sleep 0.2
  done
  return 1
}

# The trainer's log lines about a run (the evidence of a LOST line).
trainer_says() { logs_say trainer "$@"; }
logs_say() { # COMPONENT TEXT [N]: the last N lines (1) of its logs, all its lives, that mention TEXT
  cat "$DDPM_RUN_DIR/$1"/service-*.log "$DDPM_RUN_DIR/$1/service.log" 2>/dev/null | grep -F -- "$2" | tail -n "${3:-1}" | cut -c1-220
}

# --- scenarios and invariants --------------------------------------------------------------------

TOTAL=0
LOST_TOTAL=0
SC=""
begin() {
  SC="$1"; SC_T0=$SECONDS; SC_LOST=(); SC_IDS=(); SC_MODELS=(); NOTES=()
  echo "== $SC ($(date +%T))" >>"$WORK/details"
}
lost() { SC_LOST+=("$*"); }
evidence() { [[ -n "$*" ]] && EVIDENCE+=("$*"); }

invariants() {
  local out line code
  heal
  # Every listed model version's manifest and objects are in S3, as declared.
  out="$("${PY[@]}" models)"
  echo "$out" >>"$WORK/details"
  while IFS= read -r line; do [[ "$line" == LOST* ]] && lost "${line#LOST }"; done <<<"$out"
  # One run per training request.
  if ((${#SC_MODELS[@]})); then
    out="$("${PY[@]}" runs-per-model "${SC_MODELS[@]}")"
    while IFS= read -r line; do [[ "$line" == LOST* ]] && lost "${line#LOST }"; done <<<"$out"
  fi
  # The next good request is served: a 10-step sample of the base model, within 60 s.
  local deadline=$((SECONDS + 60))
  code=000
  while ((SECONDS < deadline)); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "X-API-Key: $GATEWAY_API_KEY" \
      -H 'Content-Type: application/json' -d "{\"model\":\"$BASE\",\"steps\":10,\"seed\":7}" "$GATEWAY_URL/v1/samples")"
    [[ "$code" == 200 ]] && break
    sleep 1
  done
  [[ "$code" == 200 ]] || lost "the next good request was not served: a sample of $BASE answered $code for 60 s"
}

end() {
  invariants
  TOTAL=$((TOTAL + 1))
  local took=$((SECONDS - SC_T0)) note=""
  ((${#NOTES[@]})) && note="; $(IFS=';'; echo "${NOTES[*]}" | sed 's/;/; /g')"
  if ((${#SC_LOST[@]} == 0)); then
    say "$SC: ok ($took s$note)"
  else
    LOST_TOTAL=$((LOST_TOTAL + 1))
    say "$SC: LOST ${SC_LOST[0]} ($took s$note)"
    local l
    for l in "${SC_LOST[@]:1}"; do say "    also: $l"; done
    for l in "${EVIDENCE[@]}"; do say "    log: $l"; done
  fi
  EVIDENCE=()
}
EVIDENCE=()

wanted() { [[ -z "$ONLY" || " $ONLY " == *" $1 "* ]]; }

# --- setup ----------------------------------------------------------------------------------------

started=$SECONDS
"$STACK" down >/dev/null 2>&1 || true
rm -rf "$DDPM_RUN_DIR"
mkdir -p "$WORK"
: >"$IDS"
trap cleanup EXIT
trap 'exit 130' INT TERM
say "stack on ports $KAFKA_PORT, $S3_PORT, $GATEWAY_PORT-$GATEWAY2_PORT; logs in $DDPM_RUN_DIR"
if ! stack up; then
  say "setup: FAILED: the stack did not come up"; tail -n 20 "$WORK/stack.log"; exit 1
fi
eval "$("$STACK" env)"
export GATEWAY_URL S3_ENDPOINT
watchdog &
WATCHDOG=$!

begin setup
"${PY[@]}" pngs "$WORK"
for i in 0 1 2 3 4 5 6 7; do
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $GATEWAY_API_KEY" -H 'Content-Type: application/octet-stream' \
    --data-binary "@$WORK/img-$i.png" "$GATEWAY_URL/v1/datasets/$DATASET?file=img-$i.png")"
  [[ "$code" == 201 ]] || { say "setup: FAILED: upload answered $code"; exit 1; }
done
start_run "$BASE"; base_run="$REPLY"
await "$base_run" -- --bound 180 --want completed --require-version
invariants
if ((${#SC_LOST[@]})); then
  say "setup: FAILED: ${SC_LOST[*]}"; trainer_says "$base_run" 5; exit 1
fi
say "setup: stack up, base model $BASE trained and served ($((SECONDS - started)) s)"

# --- 1. kill -9 of the trainer between the final checkpoint and the publication -------------------

if wanted 1; then
  begin trainer-kill-before-publish
  start_run chaos-s1; run="$REPLY"
  killed=""
  deadline=$((SECONDS + 180))
  # The final checkpoint's manifest (ended=true) as S3Proxy stores it, watched on its filesystem.
  while [[ -n "$run" && -z "$killed" ]] && ((SECONDS < deadline)); do
    for f in "$S3_DATA/ddpm-checkpoints/$run"/step-*/checkpoint.json; do
      [[ -f "$f" ]] || continue
      IFS= read -r manifest <"$f" || true
      if [[ "$manifest" == *'"ended":true'* ]]; then
        pid="$(pid_of trainer)"
        [[ -n "$pid" ]] && kill -KILL "$pid" && killed="$pid"
        break
      fi
    done
    sleep 0.05
  done
  if [[ -n "$killed" ]]; then
    published="$(ls "$S3_DATA/ddpm-models/chaos-s1"/*/manifest.json 2>/dev/null | head -1)"
    [[ -n "$published" ]] && NOTES+=("the kill came after the publication")
    NOTES+=("killed after ${f#"$S3_DATA/ddpm-checkpoints/"}")
    start trainer || lost "the trainer does not start again"
    await "$run" -- --bound 60 --want completed --require-version
    ((${#SC_LOST[@]})) && evidence "$(trainer_says "$run")"
  elif [[ -n "$run" ]]; then
    lost "run $run wrote no final checkpoint within 180 s (state $("${PY[@]}" state "$run"))"
  fi
  end
fi

# --- 2. a poison request, then a good one ---------------------------------------------------------

if wanted 2; then
  begin poison-then-good
  poison_body="{\"dataset\":\"$DATASET\",\"modelName\":\"chaos-s2-poison\",\"preset\":\"article\",\"batchSize\":4096,\"steps\":$STEPS}"
  code="$(submit /v1/trainings "$poison_body")"
  poison=""
  if [[ "$code" == 202 ]]; then
    poison="$(field runId)"
    echo "$SC $poison chaos-s2-poison" >>"$IDS"
    SC_MODELS+=(chaos-s2-poison)
  elif [[ "$code" =~ ^4 ]] && [[ -n "$(field detail)" ]]; then
    NOTES+=("poison refused up front ($code: $(field detail | cut -c1-80))")
  else
    lost "the poison request answered $code without a reason: $(head -c 200 "$WORK/body")"
  fi
  start_run chaos-s2-good; good="$REPLY"
  if [[ -n "$poison" ]]; then
    restarted=0
    deadline=$((SECONDS + 300))
    while ((SECONDS < deadline)); do
      state="$("${PY[@]}" state "$poison")"
      [[ "$state" =~ ^(completed|failed|cancelled)$ ]] && break
      if [[ -z "$(pid_of trainer)" ]]; then
        if ((restarted < RESTARTS)); then
          restarted=$((restarted + 1))
          start trainer || { lost "the trainer does not start again"; break; }
        else
          lost "poison run $poison still $state after $((restarted + 1)) trainer attempts, each killed at the memory limit ($MEMORY_MB MiB); cancelled by hand"
          evidence "$(tail -n 1 "$WORK/oom.log" 2>/dev/null)"
          evidence "$(trainer_says "$poison" 1)"
          break
        fi
      fi
      sleep 0.5
    done
    ((restarted)) && NOTES+=("trainer restarted $restarted time(s)")
    state="$("${PY[@]}" state "$poison")"
    if ! [[ "$state" =~ ^(completed|failed|cancelled)$ ]]; then
      # As an operator would: cancel it, so that it never starts again and the good one gets its turn.
      curl -s -o /dev/null -X DELETE -H "X-API-Key: $GATEWAY_API_KEY" "$GATEWAY_URL/v1/trainings/$poison"
      [[ -n "$(pid_of trainer)" ]] || start trainer
    fi
    if ((${#SC_LOST[@]} == 0)); then
      await "$poison" -- --bound 30 --want failed
    fi
  fi
  await "$good" -- --bound 120 --want completed --require-version
  end
fi

# --- 3. S3 gone for a while during sample jobs and a run ------------------------------------------

s3_down() {
  if [[ "$S3_FAULT" == freeze ]]; then
    S3_FROZEN="$(pid_of s3)"; kill -STOP "$S3_FROZEN"
  else
    stack stop s3
  fi
}
s3_up() {
  if [[ "$S3_FAULT" == freeze ]]; then
    kill -CONT "$S3_FROZEN"; S3_FROZEN=""
  else
    start s3 || lost "S3 does not start again"
  fi
}

if wanted 3; then
  begin s3-outage
  start_run chaos-s3; run="$REPLY"
  [[ -z "$run" ]] || await_state "$run" running 120 || lost "run $run did not start within 120 s"
  start_jobs 3 heavy; jobs=("${JOBS[@]}")
  await_sampler_busy 20 || NOTES+=("no job was running yet when S3 went")
  s3_down
  t0=$SECONDS
  start_jobs 2 light; jobs+=("${JOBS[@]}") # submitted during the outage
  sleep $((OUTAGE - (SECONDS - t0)))
  s3_up
  NOTES+=("S3 $([[ "$S3_FAULT" == freeze ]] && echo frozen || echo stopped) for $((SECONDS - t0)) s")
  await "$run" "${jobs[@]}" -- --bound 60
  if ((${#SC_LOST[@]})); then
    evidence "$(trainer_says "$run")"
    for j in "${jobs[@]}"; do evidence "$(logs_say sampler "$j")"; done
  fi
  end
fi

# --- 4. Kafka gone for a while during a run -------------------------------------------------------

if wanted 4; then
  begin kafka-outage
  start_run chaos-s4; run="$REPLY"
  [[ -z "$run" ]] || await_state "$run" running 120 || lost "run $run did not start within 120 s"
  stack stop kafka
  t0=$SECONDS
  sleep "$OUTAGE"
  start kafka || lost "Kafka does not start again"
  NOTES+=("broker down $((SECONDS - t0)) s")
  await "$run" -- --bound 90
  ((${#SC_LOST[@]})) && evidence "$(trainer_says "$run")"
  end
fi

# --- 5 and 6. the sampler killed with jobs in flight; jobs waiting when it starts -----------------

if wanted 5 || wanted 6; then
  begin sampler-kill
  start_jobs 3 heavy; inflight=("${JOBS[@]}")
  await_sampler_busy 30 || NOTES+=("no job was running yet at the kill")
  pid="$(pid_of sampler)"
  [[ -n "$pid" ]] && kill -KILL "$pid"
  kill_at=$SECONDS
  S5=("$SC" "$SC_T0")
  SC=sampler-start-with-backlog
  start_jobs 3 light; waiting=("${JOBS[@]}")
  SC="${S5[0]}"
  start sampler || lost "the sampler does not start again"
  await "${inflight[@]}" -- --bound 60
  if ((${#SC_LOST[@]})); then for j in "${inflight[@]}"; do evidence "$(logs_say sampler "$j")"; done; fi
  end
  begin sampler-start-with-backlog
  SC_T0=$kill_at
  SC_IDS=("${waiting[@]}")
  await "${waiting[@]}" -- --bound 60 --want succeeded
  if ((${#SC_LOST[@]})); then for j in "${waiting[@]}"; do evidence "$(logs_say sampler "$j")"; done; fi
  end
fi

# --- 7. two gateways answer the same ---------------------------------------------------------------

if wanted 7; then
  begin two-gateways
  if start gateway2; then
    second="http://127.0.0.1:$GATEWAY2_PORT"
    start_job light "$second"
    await "$REPLY" -- --bound 60 --want succeeded
    mapfile -t all < <(awk '{print $2}' "$IDS")
    # The second one folds the topics from their start: it may lag a moment, not disagree.
    deadline=$((SECONDS + 20))
    while :; do
      out="$("${PY[@]}" compare "$GATEWAY_URL" "$second" "${all[@]}")"
      grep -q '^LOST' <<<"$out" || break
      ((SECONDS < deadline)) || break
      sleep 1
    done
    echo "$out" >>"$WORK/details"
    while IFS= read -r line; do [[ "$line" == LOST* ]] && lost "${line#LOST }"; done <<<"$out"
    NOTES+=("${#all[@]} runs and jobs compared")
    stack stop gateway2
  else
    lost "the second gateway did not start (see $WORK/stack.log)"
  fi
  end
fi

# --- 8. the ledger on Kafka -------------------------------------------------------------------------

begin ledger
if java -cp "$LIBS_DIR/kafka/*" scripts/chaos/Ledger.java "127.0.0.1:$KAFKA_PORT" ddpm.training-requests \
  ddpm.training-events ddpm.sample-jobs ddpm.sample-results ddpm.models >"$WORK/ledger.tsv" 2>"$WORK/ledger.err"; then
  out="$("${PY[@]}" ledger "$WORK/ledger.tsv" "$IDS")"
  echo "$out" >>"$WORK/details"
  while IFS= read -r line; do [[ "$line" == LOST* ]] && lost "${line#LOST }"; done <<<"$out"
else
  lost "the topics could not be read: $(tail -n 1 "$WORK/ledger.err")"
fi
TOTAL=$((TOTAL + 1))
if ((${#SC_LOST[@]} == 0)); then
  say "ledger: ok ($((SECONDS - SC_T0)) s; $(grep -c . "$IDS") runs and jobs)"
else
  LOST_TOTAL=$((LOST_TOTAL + 1))
  say "ledger: LOST ${SC_LOST[0]}"
  for l in "${SC_LOST[@]:1}"; do say "    also: $l"; done
fi

took=$((SECONDS - started))
say "$TOTAL scenarios, $LOST_TOTAL lost ($took s; details in $WORK/details until the next run)"
((took <= 480)) || say "over the 8-minute budget: $took s"
((LOST_TOTAL == 0))
