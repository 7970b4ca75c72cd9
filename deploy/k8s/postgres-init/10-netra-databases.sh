#!/bin/bash
# Run once by the postgres image (/docker-entrypoint-initdb.d), on an empty data
# directory: a role and a database per service, each role owning only its own
# database, its password the 5th field of the service's libpq password file
# (/etc/netra/postgres-users/<service>/passfile). Used by deploy/k8s/postgres.yaml
# (as the ConfigMap netra-postgres-init) and deploy/compose.postgresql.yaml.
set -euo pipefail
for svc in registry complaint sanction; do
  password=$(head -n 1 "/etc/netra/postgres-users/$svc/passfile" | cut -d: -f5-)
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -v role="netra_$svc" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'role', :'role')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'role')
\gexec
SQL
done
