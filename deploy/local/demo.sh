#!/usr/bin/env bash
# The demo: what the running stack can do today, through netractl.
set -euo pipefail
ctl=${NETRACTL:-build/netractl}

echo "== health"
"$ctl" health

echo "== provinces (first 5 of 38)"
"$ctl" regions list --page-size 5

echo "== kabupaten/kota of Jawa Tengah (33), first 5"
"$ctl" regions list --parent 33 --page-size 5

echo "== the violation catalog, discipline items, as they apply to PPPK (first item)"
"$ctl" violations list --category discipline --employee-type pppk | head -40

echo "== public status of an unknown tracking code (expect NOT_FOUND)"
if "$ctl" complaint status 23456789AB; then echo "unexpected: found"; exit 1; fi

echo "== gRPC reflection"
"$ctl" reflect
