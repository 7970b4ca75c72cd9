#!/usr/bin/env bash
# The demo: what the running stack can do today, through netractl.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ctl=${NETRACTL:-$root/build/netractl}
gen=${NETRA_GEN:-$root/build/netra-gen-employees}
DEMO_PROVINCE=${DEMO_PROVINCE:-33}     # Jawa Tengah
DEMO_EMPLOYEES=${DEMO_EMPLOYEES:-20000}

echo "== health"
"$ctl" health

echo "== provinces (first 5 of 38)"
"$ctl" regions list --page-size 5

echo "== kabupaten/kota of Jawa Tengah (33), first 5"
"$ctl" regions list --parent 33 --page-size 5

echo "== the violation catalog: the first discipline item, as it applies to a PPPK"
"$ctl" violations list --category discipline --employee-type pppk --page-size 1

echo "== elections: Pemilu 2024 and Pilkada 2024 with their deadline rules and holidays"
for election in "$root"/deploy/local/elections/*.json; do
  "$ctl" elections upsert "$election" | grep -E '^  "(election_id|name|version)"' || true
done

echo "== employees: a synthetic Jawa Tengah (province $DEMO_PROVINCE), $DEMO_EMPLOYEES rows, imported through netractl"
csv="$root/.local/demo-employees-$DEMO_PROVINCE.csv"
[ -f "$csv" ] || "$gen" --province "$DEMO_PROVINCE" --count "$DEMO_EMPLOYEES" --seed 1 --out "$csv"
"$ctl" import employees "$csv"

echo "== search: employees named 'siti' in Kabupaten Cilacap (33.01), first 2"
"$ctl" employees search --name siti --region 33.01 --page-size 2

echo "== public status of an unknown tracking code (expect NOT_FOUND)"
if "$ctl" complaint status 23456789AB; then echo "unexpected: found"; exit 1; fi

echo "== gRPC reflection"
"$ctl" reflect

# /metrics without curl (not on a fresh Debian): HTTP/1.0 over bash's /dev/tcp.
scrape() {
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  cat <&3
  exec 3<&-
}
echo "== calls counted on /metrics"
for port in ${METRICS_PORTS:-9451 9452 9453}; do
  scrape "$port" | grep '^grpc_server_handled_total' || true
done
