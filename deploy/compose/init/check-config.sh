#!/bin/sh
# Runs before anything else in the compose stack (every service depends on it): refuses to start
# with the example's placeholders, empty values or short secrets, naming each variable (never its
# value). Secrets need 12 characters or more: `openssl rand -hex 24` makes a good one.
set -u
problems=0

bad() {
  echo "config-check: $1 $2 (deploy/compose/.env)" >&2
  problems=$((problems + 1))
}

placeholder() {
  case "$1" in
    *[Cc][Hh][Aa][Nn][Gg][Ee]-[Mm][Ee]* | *[Cc][Hh][Aa][Nn][Gg][Ee][Mm][Ee]* | minioadmin) return 0 ;;
  esac
  return 1
}

value() {
  eval "printf '%s' \"\${$1:-}\""
}

secret() {
  v=$(value "$1")
  if [ -z "$v" ]; then
    bad "$1" "is empty"
  elif placeholder "$v"; then
    bad "$1" "is still the example's placeholder"
  elif [ ${#v} -lt 12 ]; then
    bad "$1" "has ${#v} characters; a secret needs at least 12"
  fi
}

name() {
  v=$(value "$1")
  if [ -z "$v" ]; then
    bad "$1" "is empty"
  elif placeholder "$v"; then
    bad "$1" "is still the example's placeholder"
  fi
}

for var in MINIO_ROOT_PASSWORD DDPM_GATEWAY_S3_SECRET_KEY DDPM_SAMPLER_S3_SECRET_KEY \
  DDPM_TRAINER_S3_SECRET_KEY DDPM_OPERATOR_KEY; do
  secret "$var"
done
# The manifest signing key pair: the sampler loads only what the private key signed.
for var in DDPM_SIGNING_PRIVATE_KEY DDPM_SIGNING_PUBLIC_KEY; do
  secret "$var"
done
for var in MINIO_ROOT_USER DDPM_GATEWAY_S3_ACCESS_KEY DDPM_SAMPLER_S3_ACCESS_KEY DDPM_TRAINER_S3_ACCESS_KEY; do
  name "$var"
done

# One S3 user per service, none of them the root user: a shared user would hold both sets of rights.
seen=" "
for var in MINIO_ROOT_USER DDPM_GATEWAY_S3_ACCESS_KEY DDPM_SAMPLER_S3_ACCESS_KEY DDPM_TRAINER_S3_ACCESS_KEY; do
  v=$(value "$var")
  [ -n "$v" ] || continue
  case "$seen" in
    *" $v "*) bad "$var" "is the same user as another of the S3 users; each service needs its own" ;;
  esac
  seen="$seen$v "
done

sha=$(value GATEWAY_API_KEY_SHA256)
case "$sha" in
  *[!0-9a-f]*) bad GATEWAY_API_KEY_SHA256 "is not a lowercase hex sha256 (printf '%s' \"\$KEY\" | sha256sum | cut -c1-64)" ;;
  *) [ ${#sha} -eq 64 ] || bad GATEWAY_API_KEY_SHA256 "has ${#sha} hex digits, not 64" ;;
esac

if [ "$problems" -gt 0 ]; then
  echo "config-check: $problems setting(s) refused; nothing was started" >&2
  exit 1
fi
echo "config-check: settings accepted"
