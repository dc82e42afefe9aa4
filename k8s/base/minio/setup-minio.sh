#!/bin/sh
# Creates the design's buckets, the services' own S3 user (read/write on the ddpm-* buckets only)
# and subscribes ddpm-datasets to the Kafka notification target the MinIO server was started with.
# Idempotent. Run by the minio-init container (compose) and the minio-setup Job (k8s):
#   setup-minio.sh ENDPOINT   with MINIO_ROOT_USER/PASSWORD and DDPM_S3_ACCESS_KEY/SECRET_KEY set.
set -eu
ENDPOINT="$1"
mc alias set ddpm "$ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
for bucket in ddpm-datasets ddpm-checkpoints ddpm-models ddpm-samples; do
  mc mb --ignore-existing "ddpm/$bucket"
done
cat > /tmp/ddpm-services.json <<'POLICY'
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:*"],
   "Resource": ["arn:aws:s3:::ddpm-*", "arn:aws:s3:::ddpm-*/*"]}]}
POLICY
mc admin policy create ddpm ddpm-services /tmp/ddpm-services.json
mc admin user add ddpm "$DDPM_S3_ACCESS_KEY" "$DDPM_S3_SECRET_KEY"
mc admin policy attach ddpm ddpm-services --user "$DDPM_S3_ACCESS_KEY" 2>/dev/null || true
# Uploads and deletions under ddpm-datasets reach ddpm.datasets as S3 event records.
mc event add ddpm/ddpm-datasets arn:minio:sqs::PRIMARY:kafka --event put,delete --ignore-existing
mc event ls ddpm/ddpm-datasets
