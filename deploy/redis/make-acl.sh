#!/usr/bin/env bash
# Makes the aclfile of one deployment's Redis from deploy/redis/users.acl.in:
#
#   deploy/redis/make-acl.sh DEPLOYMENT PASSWORD_DIR OUT
#
# PASSWORD_DIR holds one file per user, named after it (netra-registry,
# netra-complaint, netra-sanction), with that user's password: the same file
# the service reads with --redis-password-file. OUT gets the rules with the
# deployment's key and channel patterns and each password's SHA-256 (Redis's
# "#<hash>" form; the password itself is not written). Used by ./dev stack,
# the tests (tests/support/test_support.cc) and to fill the Kubernetes and
# compose Secrets (docs/operations.md, "Redis users").
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: deploy/redis/make-acl.sh DEPLOYMENT PASSWORD_DIR OUT" >&2
  exit 2
fi
deployment=$1 passwords=$2 out=$3
template="$(dirname "$0")/users.acl.in"
# The name lands in key patterns: a glob character would widen them.
if ! [[ "$deployment" =~ ^[A-Za-z0-9_.-]+$ ]]; then
  echo "make-acl.sh: deployment must be letters, digits, '.', '-' or '_'" >&2
  exit 2
fi

rules=$(grep -v -e '^#' -e '^[[:space:]]*$' "$template" | sed "s/@DEPLOYMENT@/$deployment/g")
for user in $(grep -o '@PASSWORD:[a-z-]*@' <<<"$rules" | sed 's/@PASSWORD:\(.*\)@/\1/' | sort -u); do
  file="$passwords/$user"
  if [ ! -r "$file" ]; then
    echo "make-acl.sh: no password for $user ($file)" >&2
    exit 1
  fi
  # As the services read it (common/redis.h, ReadRedisPassword): trailing newlines,
  # carriage returns and spaces are not part of it.
  password=$(cat "$file")
  while [[ "$password" == *[$'\r\n '] ]]; do password=${password%?}; done
  if [ -z "$password" ]; then
    echo "make-acl.sh: $file is empty" >&2
    exit 1
  fi
  hash=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
  rules=$(sed "s/@PASSWORD:$user@/#$hash/" <<<"$rules")
done
(umask 077 && printf '%s\n' "$rules" >"$out")
