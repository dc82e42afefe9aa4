#!/usr/bin/env bash
# The trainer's command line (train, sample-grid, upload-dataset, request-training, models, trainings,
# datasets) against the local stack's S3 and Kafka, or wherever S3_ENDPOINT / KAFKA_BOOTSTRAP_SERVERS point.
#   scripts/ddpm.sh help
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP="$REPO/trainer-service/target/quarkus-app"
if [[ ! -d "$APP/lib/main" ]]; then
  echo "[ddpm] building trainer-service first (./mvnw package -DskipTests -pl trainer-service -am)" >&2
  (cd "$REPO" && ./mvnw -B -q -DskipTests -pl trainer-service -am package)
fi
CLASSPATH_APP="$APP/app/*:$APP/lib/main/*:$APP/lib/boot/*"
# Subcommands that publish (export, train) sign manifests as the trainer does; without a key of their
# own they use the local stack's (deploy/local/stack.sh makes the pair in its run folder), which its
# samplers trust.
LOCAL_SIGNING_KEY="${DDPM_RUN_DIR:-$REPO/.run}/signing/trainer-signing.key.pem"
if [[ -z "${TRAINER_SIGNING_PRIVATE_KEY_FILE:-}" && -z "${TRAINER_SIGNING_PRIVATE_KEY:-}" && -f "$LOCAL_SIGNING_KEY" ]]; then
  export TRAINER_SIGNING_PRIVATE_KEY_FILE="$LOCAL_SIGNING_KEY"
fi
. "$REPO/deploy/docker/native-malloc.sh"
keep_native_heap
if [[ "${1:-}" == train ]]; then
  . "$REPO/deploy/docker/onednn-isa.sh"
  cap_onednn_isa "$CLASSPATH_APP"
fi
exec java -Djava.awt.headless=true -Djava.util.logging.SimpleFormatter.format='%1$tT %4$s %5$s%6$s%n' -Xmx4g -cp "$CLASSPATH_APP" dev.ddpm.trainer.cli.TrainerCli "$@"
