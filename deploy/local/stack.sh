#!/usr/bin/env bash
# The local stack without Docker: a real single-node Kafka broker (KRaft), a real S3 server
# (S3Proxy, filesystem backend) and the three services, all on 127.0.0.1.
#
#   deploy/local/stack.sh up                 build if needed, start everything, wait until all are ready
#   deploy/local/stack.sh down               stop everything this stack started
#   deploy/local/stack.sh status             what runs where
#   deploy/local/stack.sh start COMPONENT..  kafka | s3 | infra | trainer | sampler | gateway | services
#                                            | gateway2 (a second gateway, same configuration, GATEWAY2_PORT)
#   deploy/local/stack.sh stop COMPONENT..
#   deploy/local/stack.sh logs COMPONENT     tail of the component's log
#   deploy/local/stack.sh env                the variables that point a client at this stack
#
# Settings (environment; defaults in brackets) are documented in docs/configuration.md:
#   DDPM_RUN_DIR [<repo>/.run]  data, logs and pids     DDPM_LIBS_DIR [<repo>/.run/libs]  broker/S3 jars
#   KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [9093]  S3_PORT [9000]
#   S3_ACCESS_KEY [ddpm-local]  S3_SECRET_KEY [ddpm-local-secret]
#   GATEWAY_PORT [8080]  SAMPLER_PORT [8081]  TRAINER_PORT [8082]  DDPM_WAIT_SECONDS [120]
#   GATEWAY2_PORT [8083]  DDPM_JAVA_OPTS  extra JVM options (-D...) for every service it starts
#
# A process is only ever stopped when its pid file is ours AND its command line carries this run
# folder's marker, so the script never kills a process it did not start (pid reuse included).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN_DIR="${DDPM_RUN_DIR:-$REPO/.run}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
LIBS_DIR="${DDPM_LIBS_DIR:-$REPO/.run/libs}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
S3_PORT="${S3_PORT:-9000}"
S3_ACCESS_KEY="${S3_ACCESS_KEY:-ddpm-local}"
S3_SECRET_KEY="${S3_SECRET_KEY:-ddpm-local-secret}"
# The API key the local gateway accepts (every scope); a local-only default like the S3 keys above.
GATEWAY_API_KEY="${GATEWAY_API_KEY:-ddpm-local-key}"
# The operator key of the sampler's and the trainer's own APIs (the gateway presents it to the samplers).
DDPM_OPERATOR_KEY="${DDPM_OPERATOR_KEY:-ddpm-local-operator-key}"
# The address the services listen on: this machine only, unless set otherwise.
DDPM_BIND_HOST="${DDPM_BIND_HOST:-127.0.0.1}"
GATEWAY_PORT="${GATEWAY_PORT:-8080}"
SAMPLER_PORT="${SAMPLER_PORT:-8081}"
TRAINER_PORT="${TRAINER_PORT:-8082}"
# A second gateway (component gateway2): the same configuration on its own port, for tests of replicas.
GATEWAY2_PORT="${GATEWAY2_PORT:-8083}"
# Extra JVM options for every service this script starts (e.g. -Dmp.messaging.connector.smallrye-kafka.session.timeout.ms=10000).
read -r -a EXTRA_JAVA_OPTS <<<"${DDPM_JAVA_OPTS:-}"
WAIT_SECONDS="${DDPM_WAIT_SECONDS:-120}"
BUCKETS=(ddpm-datasets ddpm-checkpoints ddpm-models ddpm-samples)
SERVICES=(trainer sampler gateway)

log() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# --- processes we own -------------------------------------------------------------------------

pid_file() { echo "$RUN_DIR/$1/$1.pid"; }

# Prints the pid of a running component that this run folder started, or nothing.
owned_pid() {
  local file pid
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "-Dddpmstack.component=$1 -Dddpmstack.run=$RUN_DIR "; then
    echo "$pid"
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

log_tail() {
  local file="$1"
  printf '[stack] ---- last lines of %s ----\n' "$file" >&2
  tail -n 40 "$file" >&2 2>/dev/null || echo "(no log written)" >&2
  printf '[stack] ----\n' >&2
}

# wait_until NAME PID LOGFILE CHECK... : polls CHECK until it succeeds, the process dies, or time runs out.
wait_until() {
  local name="$1" pid="$2" logfile="$3"; shift 3
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail "$logfile"
      die "$name exited during start-up (see $logfile)"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$logfile"
      die "$name did not come up within ${WAIT_SECONDS}s (see $logfile)"
    fi
    sleep 1
  done
}

stop_component() {
  local name="$1" pid
  pid="$(owned_pid "$name")"
  if [[ -z "$pid" ]]; then
    rm -f "$(pid_file "$name")"
    log "$name is not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM for 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$name")"
  log "$name stopped (pid $pid)"
}

# Refuses to start on a port some other process holds: that process is not ours to stop.
claim_port() {
  local name="$1" port="$2" var="$3"
  if port_busy "$port"; then
    die "$name cannot start: 127.0.0.1:$port is already in use by a process this stack did not start; set $var to another port"
  fi
}

# --- jars from Maven Central ------------------------------------------------------------------

fetch_libs() {
  local name="$1" target="$LIBS_DIR/$1"
  if [[ -f "$target/.complete" && "$target/.complete" -nt "$HERE/$name/pom.xml" ]]; then
    return 0
  fi
  log "fetching $name jars from Maven Central into $target"
  rm -rf "$target"
  mkdir -p "$target"
  "$REPO/mvnw" -q -B -f "$HERE/$name/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$target" -DincludeScope=runtime >"$RUN_DIR/fetch-$name.log" 2>&1 \
    || { log_tail "$RUN_DIR/fetch-$name.log"; die "could not fetch the $name jars"; }
  touch "$target/.complete"
}

# --- Kafka ------------------------------------------------------------------------------------

kafka_ready() { grep -q "Kafka Server started" "$RUN_DIR/kafka/logs/server.log" 2>/dev/null && port_busy "$KAFKA_PORT"; }

start_kafka() {
  local pid dir="$RUN_DIR/kafka"
  pid="$(owned_pid kafka)"
  if [[ -n "$pid" ]]; then
    log "kafka already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  claim_port kafka "$KAFKA_PORT" KAFKA_PORT
  claim_port "kafka controller" "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
  fetch_libs kafka
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  local java_opts=(-Xms128m -Xmx512m -Dkafka.logs.dir="$dir/logs" -Dlog4j2.configurationFile="$HERE/kafka/log4j2.yaml")
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java "${java_opts[@]}" -cp "$LIBS_DIR/kafka/*" kafka.tools.StorageTool random-uuid 2>"$dir/logs/format.log")"
    java "${java_opts[@]}" -cp "$LIBS_DIR/kafka/*" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$dir/server.properties" >>"$dir/logs/format.log" 2>&1 \
      || { log_tail "$dir/logs/format.log"; die "formatting the Kafka storage failed"; }
  fi
  rm -f "$dir/logs/server.log"
  nohup java -Dddpmstack.component=kafka -Dddpmstack.run="$RUN_DIR" "${java_opts[@]}" -cp "$LIBS_DIR/kafka/*" \
    kafka.Kafka "$dir/server.properties" >"$dir/logs/stdout.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file kafka)"
  wait_until kafka "$pid" "$dir/logs/server.log" kafka_ready
  log "kafka up (pid $pid) on 127.0.0.1:$KAFKA_PORT, data in $dir/data"
}

# --- S3 (S3Proxy) -----------------------------------------------------------------------------

s3_ready() {
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/" 2>/dev/null || true)"
  [[ "$code" =~ ^(200|403)$ ]]
}

start_s3() {
  local pid dir="$RUN_DIR/s3"
  pid="$(owned_pid s3)"
  if [[ -n "$pid" ]]; then
    log "s3 already running (pid $pid) on http://127.0.0.1:$S3_PORT"
    return 0
  fi
  claim_port s3 "$S3_PORT" S3_PORT
  fetch_libs s3proxy
  mkdir -p "$dir/data"
  # The filesystem backend maps each top-level folder to a bucket: creating the folders creates
  # the design's buckets before the first client connects.
  for bucket in "${BUCKETS[@]}"; do mkdir -p "$dir/data/$bucket"; done
  umask 077
  cat >"$dir/s3proxy.properties" <<EOF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$dir/data
EOF
  umask 022
  nohup java -Dddpmstack.component=s3 -Dddpmstack.run="$RUN_DIR" -Xms64m -Xmx256m \
    -Dlogback.configurationFile="$HERE/s3proxy/logback.xml" -Ds3proxy.log.file="$dir/s3proxy.log" \
    -cp "$LIBS_DIR/s3proxy/*" org.gaul.s3proxy.Main --properties "$dir/s3proxy.properties" \
    >"$dir/stdout.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file s3)"
  wait_until s3 "$pid" "$dir/stdout.log" s3_ready
  log "s3 up (pid $pid) on http://127.0.0.1:$S3_PORT, buckets ${BUCKETS[*]} in $dir/data"
}

# --- services ---------------------------------------------------------------------------------

module_of() { case "$1" in trainer) echo trainer-service ;; sampler) echo sampler-service ;; gateway|gateway2) echo gateway ;; esac; }
port_of() {
  case "$1" in
    trainer) echo "$TRAINER_PORT" ;; sampler) echo "$SAMPLER_PORT" ;; gateway) echo "$GATEWAY_PORT" ;; gateway2) echo "$GATEWAY2_PORT" ;;
  esac
}
jar_of() { echo "$REPO/$(module_of "$1")/target/quarkus-app/quarkus-run.jar"; }

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true; }
service_live() { [[ "$(http_code "http://127.0.0.1:$(port_of "$1")/q/health/live")" == 200 ]]; }
# Ready: 200. The sampler serves only with a model loaded, so for the stack it has started once its
# only DOWN check is "models" (no model trained yet); it turns 200 when the first one is published.
service_ready() {
  local body status
  body="$(curl -s --max-time 5 -w '\n%{http_code}' "http://127.0.0.1:$(port_of "$1")/q/health/ready" 2>/dev/null || true)"
  status="${body##*$'\n'}"
  [[ "$status" == 200 ]] && return 0
  [[ "$1" == sampler && "$status" == 503 ]] || return 1
  [[ $(grep -o '"status" *: *"DOWN"' <<<"$body" | wc -l) -eq 2 ]] && grep -q 'no model loaded' <<<"$body"
}

build_services() {
  local missing=0
  for svc in "${SERVICES[@]}"; do [[ -f "$(jar_of "$svc")" ]] || missing=1; done
  if ((missing)); then
    log "building the services (./mvnw package -DskipTests; the first build downloads dependencies)"
    (cd "$REPO" && ./mvnw -B -q -DskipTests package >"$RUN_DIR/build.log" 2>&1) \
      || { log_tail "$RUN_DIR/build.log"; die "the build failed (see $RUN_DIR/build.log)"; }
  fi
}

# The trainer's manifest signing key pair, made once per run folder: the private key for the trainer
# only, the public key for the samplers, which load only versions signed by it.
SIGNING_DIR="$RUN_DIR/signing"
ensure_signing_keys() {
  [[ -f "$SIGNING_DIR/trainer-signing.key.pem" ]] && return
  java "$HERE/SigningKeyPair.java" "$SIGNING_DIR" >/dev/null || die "could not make the signing key pair in $SIGNING_DIR"
  log "made the trainer's signing key pair in $SIGNING_DIR"
}

# start_service NAME [ready]: waits for liveness, and for readiness when asked.
start_service() {
  local svc="$1" want_ready="${2:-}" pid port dir jar
  port="$(port_of "$svc")"
  dir="$RUN_DIR/$svc"
  jar="$(jar_of "$svc")"
  pid="$(owned_pid "$svc")"
  if [[ -z "$pid" ]]; then
    [[ -f "$jar" ]] || die "$jar is missing: run ./mvnw package -DskipTests (or stack.sh up)"
    claim_port "$svc" "$port" "$(echo "$svc" | tr a-z A-Z)_PORT"
    mkdir -p "$dir"
    ensure_signing_keys
    local extra=()
    case "$svc" in
      # The gateway accepts one local key with every scope (its sha256; the key itself is not configured).
      # Its training quota is one user's: the chaos and load scripts queue many runs, and the runs of
      # earlier sessions stay on the broker's topics (a run still needs maxMinutes above the default size).
      gateway|gateway2) extra=(-Dgateway.auth.keys.local.sha256="$(printf '%s' "$GATEWAY_API_KEY" | sha256sum | cut -c1-64)"
                      -Dgateway.auth.keys.local.scopes=admin -Dgateway.samplers="dns:///127.0.0.1:$SAMPLER_PORT"
                      -Dgateway.auth.keys.local.training-concurrent-runs=1000
                      -Dgateway.auth.keys.local.training-queued-runs=1000
                      -Dgateway.auth.keys.local.training-minutes-per-day=1000000) ;;
      trainer) extra=(-Xmx3g -Dtrainer.signing.private-key-file="$SIGNING_DIR/trainer-signing.key.pem")
               # shellcheck source=../docker/onednn-isa.sh
               . "$REPO/deploy/docker/onednn-isa.sh"
               cap_onednn_isa "$(dirname "$jar")/app/*:$(dirname "$jar")/lib/main/*:$(dirname "$jar")/lib/boot/*"
               # shellcheck source=../docker/native-malloc.sh
               . "$REPO/deploy/docker/native-malloc.sh"
               keep_native_heap ;;
      sampler) extra=(-Xmx1g -Dsampler.signing.trusted-key-files="$SIGNING_DIR/trainer-signing.pub.pem") ;;
    esac
    nohup env KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" S3_ENDPOINT="http://127.0.0.1:$S3_PORT" \
      S3_ACCESS_KEY="$S3_ACCESS_KEY" S3_SECRET_KEY="$S3_SECRET_KEY" \
      DDPM_OPERATOR_KEY="$DDPM_OPERATOR_KEY" \
      java -Dddpmstack.component="$svc" -Dddpmstack.run="$RUN_DIR" -Xmx512m "${extra[@]}" ${EXTRA_JAVA_OPTS[@]+"${EXTRA_JAVA_OPTS[@]}"} -Dquarkus.http.port="$port" \
      -Dquarkus.http.host="$DDPM_BIND_HOST" -Dquarkus.swagger-ui.enable=true -Dquarkus.grpc.server.enable-reflection-service=true \
      -jar "$jar" >"$dir/service.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$(pid_file "$svc")"
    wait_until "$svc" "$pid" "$dir/service.log" service_live "$svc"
    log "$svc up (pid $pid) on http://127.0.0.1:$port"
  else
    log "$svc already running (pid $pid) on http://127.0.0.1:$port"
  fi
  if [[ "$want_ready" == ready ]]; then
    wait_until "$svc" "$pid" "$dir/service.log" service_ready "$svc"
    log "$svc ready: http://127.0.0.1:$port/q/health/ready"
  fi
}

# --- commands ---------------------------------------------------------------------------------

expand() {
  for c in "$@"; do
    case "$c" in
      infra) echo kafka s3 ;;
      services) echo "${SERVICES[@]}" ;;
      all) echo kafka s3 "${SERVICES[@]}" ;;
      kafka|s3|trainer|sampler|gateway|gateway2) echo "$c" ;;
      *) die "unknown component '$c' (kafka, s3, infra, trainer, sampler, gateway, gateway2, services)" ;;
    esac
  done
}

start() {
  for c in $(expand "$@"); do
    case "$c" in
      kafka) start_kafka ;;
      s3) start_s3 ;;
      *) start_service "$c" ;;
    esac
  done
}

stop() {
  local order=() c
  for c in $(expand "$@"); do order=("$c" "${order[@]}"); done
  for c in "${order[@]}"; do stop_component "$c"; done
}

status() {
  printf '%-8s %-8s %-8s %-28s %s\n' COMPONENT STATE PID ADDRESS HEALTH
  local c pid addr health
  for c in kafka s3 "${SERVICES[@]}" gateway2; do
    # The second gateway is listed only while it has a pid file.
    [[ "$c" != gateway2 || -f "$(pid_file gateway2)" ]] || continue
    pid="$(owned_pid "$c")"
    case "$c" in
      kafka) addr="127.0.0.1:$KAFKA_PORT" ;;
      s3) addr="http://127.0.0.1:$S3_PORT" ;;
      *) addr="http://127.0.0.1:$(port_of "$c")" ;;
    esac
    health="-"
    if [[ -n "$pid" ]]; then
      case "$c" in
        kafka) kafka_ready && health=answering || health=starting ;;
        s3) s3_ready && health=answering || health=starting ;;
        *) health="ready=$(http_code "$addr/q/health/ready")" ;;
      esac
      printf '%-8s %-8s %-8s %-28s %s\n' "$c" running "$pid" "$addr" "$health"
    else
      printf '%-8s %-8s %-8s %-28s %s\n' "$c" stopped - "$addr" -
    fi
  done
  echo "run folder: $RUN_DIR"
}

print_env() {
  cat <<EOF
export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
export S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export S3_ACCESS_KEY=$S3_ACCESS_KEY
export S3_SECRET_KEY=$S3_SECRET_KEY
export GATEWAY_URL=http://127.0.0.1:$GATEWAY_PORT
export GATEWAY_API_KEY=$GATEWAY_API_KEY
EOF
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  up)
    start_kafka
    start_s3
    build_services
    for svc in "${SERVICES[@]}"; do start_service "$svc"; done
    for svc in "${SERVICES[@]}"; do start_service "$svc" ready; done
    status
    ;;
  down)
    [[ ! -f "$(pid_file gateway2)" ]] || stop gateway2
    stop all
    ;;
  start) [[ $# -gt 0 ]] || die "start what? (kafka, s3, infra, trainer, sampler, gateway, services)"; start "$@" ;;
  stop) [[ $# -gt 0 ]] || die "stop what? (kafka, s3, infra, trainer, sampler, gateway, services, all)"; stop "$@" ;;
  status) status ;;
  logs)
    case "${1:-}" in
      kafka) tail -n "${LINES:-60}" "$RUN_DIR/kafka/logs/server.log" ;;
      s3) tail -n "${LINES:-60}" "$RUN_DIR/s3/s3proxy.log" ;;
      trainer|sampler|gateway|gateway2) tail -n "${LINES:-60}" "$RUN_DIR/$1/service.log" ;;
      *) die "logs of what? (kafka, s3, trainer, sampler, gateway, gateway2)" ;;
    esac
    ;;
  env) print_env ;;
  *) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; [[ -z "$cmd" ]] || exit 2 ;;
esac
