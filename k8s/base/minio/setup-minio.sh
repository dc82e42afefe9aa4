#!/bin/sh
# Creates the design's buckets, one S3 user per service with only its own policy, and subscribes
# ddpm-datasets to the Kafka notification target the MinIO server was started with. Idempotent: a
# re-run updates the policies and the users' secrets (how a secret is rotated). Run by the minio-init
# container (compose) and the minio-setup Job (k8s):
#   setup-minio.sh ENDPOINT POLICY_DIR
# with MINIO_ROOT_USER/PASSWORD (used here only) and, per service S in SERVICES,
# DDPM_<S>_S3_ACCESS_KEY/DDPM_<S>_S3_SECRET_KEY set; POLICY_DIR holds <s>.json per service
# (k8s/base/minio/policies, the one copy of the policies).
set -eu
ENDPOINT="$1"
POLICY_DIR="$2"
SERVICES="gateway sampler trainer"

fail() {
  echo "setup-minio: $*" >&2
  exit 1
}

# The variables' prefix of a service (no tr: the mc image is minimal).
prefix() {
  case "$1" in
    gateway) echo DDPM_GATEWAY ;;
    sampler) echo DDPM_SAMPLER ;;
    trainer) echo DDPM_TRAINER ;;
  esac
}

# Every service's credentials first, so that nothing is half set up when one is missing.
seen=" $MINIO_ROOT_USER "
for service in $SERVICES; do
  var=$(prefix "$service")
  eval "access=\${${var}_S3_ACCESS_KEY:-}"
  eval "secret=\${${var}_S3_SECRET_KEY:-}"
  [ -n "$access" ] || fail "${var}_S3_ACCESS_KEY is not set"
  [ ${#secret} -ge 8 ] || fail "${var}_S3_SECRET_KEY must have at least 8 characters (MinIO's minimum)"
  [ -f "$POLICY_DIR/$service.json" ] || fail "no policy $POLICY_DIR/$service.json"
  # A user shared by two services (or the root user) would hold both sets of rights.
  case "$seen" in
    *" $access "*) fail "${var}_S3_ACCESS_KEY must differ from the root user's and every other service's" ;;
  esac
  seen="$seen$access "
done

mc alias set ddpm "$ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
for bucket in ddpm-datasets ddpm-checkpoints ddpm-models ddpm-samples; do
  mc mb --ignore-existing "ddpm/$bucket"
done

for service in $SERVICES; do
  var=$(prefix "$service")
  eval "access=\${${var}_S3_ACCESS_KEY}"
  eval "secret=\${${var}_S3_SECRET_KEY}"
  # create replaces a policy of the same name, so a changed file takes effect on the next run.
  mc admin policy create ddpm "ddpm-$service" "$POLICY_DIR/$service.json"
  mc admin user add ddpm "$access" "$secret"
  if ! out=$(mc admin policy attach ddpm "ddpm-$service" --user "$access" 2>&1); then
    case "$out" in
      *already*) ;; # attached by an earlier run
      *) fail "attaching ddpm-$service to $access failed: $out" ;;
    esac
  fi
  echo "S3 user $access: policy ddpm-$service"
done

# Uploads and deletions under ddpm-datasets reach ddpm.datasets as S3 event records.
mc event add ddpm/ddpm-datasets arn:minio:sqs::PRIMARY:kafka --event put,delete --ignore-existing
mc event ls ddpm/ddpm-datasets
