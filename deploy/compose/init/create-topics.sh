#!/bin/bash
# Creates the design's topics (ddpm-core's Topic enum: partitions, compaction, 7-day retention)
# if missing. Run by the kafka-init container: create-topics.sh BOOTSTRAP [REPLICATION_FACTOR]
set -euo pipefail
BOOTSTRAP="$1" RF="${2:-1}"
TOPICS=/opt/kafka/bin/kafka-topics.sh
WEEK_MS=604800000
create() { # name partitions config...
  local name="$1" partitions="$2"; shift 2
  local configs=()
  for c in "$@"; do configs+=(--config "$c"); done
  "$TOPICS" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$name" \
    --partitions "$partitions" --replication-factor "$RF" "${configs[@]}"
}
create ddpm.training-requests 3 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.training-events   3 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.models            1 cleanup.policy=compact min.compaction.lag.ms=60000
create ddpm.datasets          1 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.sample-jobs       6 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.sample-results    3 cleanup.policy=delete retention.ms=$WEEK_MS
# Dead-letter topics: records a consumer could not decode or handle, with the error in headers.
create ddpm.training-requests.dlq 1 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.training-events.dlq   1 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.models.dlq            1 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.datasets.dlq          1 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.sample-jobs.dlq       1 cleanup.policy=delete retention.ms=$WEEK_MS
create ddpm.sample-results.dlq    1 cleanup.policy=delete retention.ms=$WEEK_MS
"$TOPICS" --bootstrap-server "$BOOTSTRAP" --list
