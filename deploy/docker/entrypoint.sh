#!/bin/sh
# Starts the service (no arguments) or, for the trainer image, its command line
# (`entrypoint.sh cli request-training --data mnist ...`, used by the scheduled-retraining CronJob).
set -e
cd /deployments
# The trainer image (it carries libtorch) keeps freed native memory in the process (every command),
# and checks libtorch's CPU convolution gradients before training.
if ls lib/main/ai.djl.pytorch.pytorch-engine-*.jar >/dev/null 2>&1; then
  . /deployments/native-malloc.sh
  keep_native_heap
  if [ "$1" != "cli" ] || [ "$2" = "train" ]; then
    . /deployments/onednn-isa.sh
    cap_onednn_isa "app/*:lib/main/*:lib/boot/*"
  fi
fi
if [ "$1" = "cli" ]; then
  shift
  exec java $JAVA_OPTS $JAVA_OPTS_APPEND -cp "app/*:lib/main/*:lib/boot/*" dev.ddpm.trainer.cli.TrainerCli "$@"
fi
exec java $JAVA_OPTS $JAVA_OPTS_APPEND -jar quarkus-run.jar "$@"
