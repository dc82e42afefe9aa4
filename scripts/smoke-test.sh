#!/usr/bin/env bash
# End-to-end check of the local stack as an operator meets it, run by scripts/test.sh after the
# build (it needs the packaged services and the stack variables that scripts/test.sh exports):
#   1. the services start while Kafka and S3 are down: alive, not ready, with the reason (the details,
#      addresses included, only for operators), and quiet;
#   2. Kafka and S3 come up: every service becomes ready on its own and says what it connected to;
#   3. `stack.sh up` on a running stack is a no-op, `status` shows it, `down` stops it;
#   4. the script never stops a process it did not start, even when a pid file names one.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
STACK=deploy/local/stack.sh
: "${DDPM_RUN_DIR:?run through scripts/test.sh}"
SERVICES=(trainer:"$TRAINER_PORT" sampler:"$SAMPLER_PORT" gateway:"$GATEWAY_PORT")

fail() { echo "[smoke] FAILED: $*" >&2; exit 1; }
step() { echo "[smoke] $*"; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" || true; }
# Dependency details are for operators: the operator key (trainer, sampler) or an admin API key (gateway).
operator_get() {
  if [[ $1 == gateway ]]; then curl -s --max-time 5 -H "X-API-Key: $GATEWAY_API_KEY" "$2"
  else curl -s --max-time 5 -H "x-operator-key: ${DDPM_OPERATOR_KEY:-ddpm-local-operator-key}" "$2"; fi
}

step "1. services start while Kafka and S3 are down"
$STACK stop infra
$STACK start services
for entry in "${SERVICES[@]}"; do
  name=${entry%%:*}; port=${entry##*:}
  [[ "$(code "http://127.0.0.1:$port/q/health/live")" == 200 ]] || fail "$name is not alive without its dependencies"
  details=""
  for _ in $(seq 1 30); do
    details="$(operator_get "$name" "http://127.0.0.1:$port/v1/dependencies" || true)"
    [[ "$details" == *"list buckets failed"* ]] && break
    sleep 1
  done
  body="$(curl -s "http://127.0.0.1:$port/q/health/ready" || true)"
  [[ "$(code "http://127.0.0.1:$port/q/health/ready")" == 503 ]] || fail "$name claims to be ready without Kafka and S3"
  grep -q '"name" *: *"kafka"' <<<"$body" || fail "$name's readiness does not report Kafka: $body"
  grep -q "unreachable" <<<"$body" || fail "$name's readiness does not say S3 and Kafka are unreachable: $body"
  grep -q "127.0.0.1" <<<"$body" && fail "$name's open readiness shows addresses: $body"
  grep -q "list buckets failed" <<<"$details" || fail "$name's /v1/dependencies does not say why S3 is down: $details"
done
declare -A lines_before
for entry in "${SERVICES[@]}"; do
  name=${entry%%:*}
  lines_before[$name]=$(wc -l <"$DDPM_RUN_DIR/$name/service.log")
done
sleep 10 # two probe rounds with both dependencies down
for entry in "${SERVICES[@]}"; do
  name=${entry%%:*}
  logfile="$DDPM_RUN_DIR/$name/service.log"
  traces=$(grep -c $'^\tat ' "$logfile" || true)
  ((traces == 0)) || fail "$name logged $traces stack-trace lines while its dependencies were down"
  grown=$(( $(wc -l <"$logfile") - lines_before[$name] ))
  ((grown <= 2)) || fail "$name wrote $grown more log lines in 10 s of outage (flooding): $(tail -5 "$logfile")"
  wc -l <"$logfile" | xargs -I{} echo "[smoke] $name: {} log lines in all, $grown during the outage, no stack traces"
done

# Ready (200), or, for the sampler, every check UP but "models" (it serves only with a model loaded).
dependencies_up() {
  local body
  body="$(curl -s "http://127.0.0.1:$1/q/health/ready" || true)"
  [[ "$(code "http://127.0.0.1:$1/q/health/ready")" == 200 ]] && return 0
  grep -q '"name" *: *"kafka"' <<<"$body" && grep -q '"name" *: *"models"' <<<"$body" \
    && [[ $(grep -o '"status" *: *"DOWN"' <<<"$body" | wc -l) -eq 2 ]]
}

step "2. Kafka and S3 come up; the services become ready by themselves"
$STACK start infra
for entry in "${SERVICES[@]}"; do
  name=${entry%%:*}; port=${entry##*:}
  for _ in $(seq 1 90); do
    dependencies_up "$port" && break
    sleep 1
  done
  dependencies_up "$port" \
    || fail "$name did not become ready after Kafka and S3 came back: $(curl -s "http://127.0.0.1:$port/q/health/ready")"
  # Readiness turns UP the moment the last probe succeeds; the line saying so follows it.
  for _ in $(seq 1 20); do
    grep -q "connected: Kafka 127.0.0.1:$KAFKA_PORT (cluster" "$DDPM_RUN_DIR/$name/service.log" && break
    sleep 0.5
  done
  grep -q "connected: Kafka 127.0.0.1:$KAFKA_PORT (cluster" "$DDPM_RUN_DIR/$name/service.log" \
    || fail "$name did not log what it connected to"
  grep -q "reachable again" "$DDPM_RUN_DIR/$name/service.log" || fail "$name did not log the recovery"
  [[ "$(code "http://127.0.0.1:$port/q/metrics")" == 200 ]] || fail "$name serves no metrics"
  [[ "$(code "http://127.0.0.1:$port/q/openapi")" == 200 ]] || fail "$name serves no OpenAPI document"
done

step "3. up is idempotent, status tells, down stops"
out="$($STACK up)"
grep -q "kafka already running" <<<"$out" || fail "up started a second broker: $out"
grep -q "gateway already running" <<<"$out" || fail "up started a second gateway: $out"
status="$($STACK status)"
echo "$status"
for c in kafka s3 trainer sampler gateway; do
  grep -qE "^$c +running" <<<"$status" || fail "status does not show $c running"
done

step "4. a pid file naming a foreign process is not obeyed"
sleep 300 &
foreign=$!
gateway_pid="$(cat "$DDPM_RUN_DIR/gateway/gateway.pid")"
echo "$foreign" >"$DDPM_RUN_DIR/gateway/gateway.pid"
$STACK stop gateway >/dev/null
kill -0 "$foreign" 2>/dev/null || fail "stack.sh stopped a process it did not start"
kill "$foreign"
echo "$gateway_pid" >"$DDPM_RUN_DIR/gateway/gateway.pid"

$STACK down
for c in kafka s3 trainer sampler gateway; do
  [[ ! -f "$DDPM_RUN_DIR/$c/$c.pid" ]] || fail "$c still has a pid file after down"
done
kill -0 "$gateway_pid" 2>/dev/null && fail "gateway (pid $gateway_pid) still runs after down"
step "passed"
