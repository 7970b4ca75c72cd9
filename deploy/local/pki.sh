#!/usr/bin/env bash
# The local stack's certificates, made with the openssl command line: a CA of
# its own, one certificate per service and one per demo identity, each naming
# its SPIFFE ID (docs/security.md) as its only URI SAN. Made once under DIR
# (default .local/pki); a certificate that expires within a day is made again.
#
#   deploy/local/pki.sh [DIR]                 the CA and the standing identities
#   deploy/local/pki.sh DIR NAME SPIFFE-PATH  one more, e.g. a case's PPK: pki.sh DIR ppk-x ppk/walikota:33.74
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/.local/pki}
trust_domain=${NETRA_TRUST_DOMAIN:-netra.local}
mkdir -p "$dir"
umask 077

fresh() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend 86400 >/dev/null 2>&1; }

if ! fresh "$dir/ca.pem"; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/O=Netra local/CN=Netra local CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  rm -f "$dir"/*.csr
  find "$dir" -name '*.pem' ! -name ca.pem -delete  # signed by the old CA
fi

issue() {  # file-name spiffe-path [extra SANs]
  sign "$1" "URI:spiffe://$trust_domain/$2${3:-}"
}

sign() {  # file-name subjectAltName
  local name=$1 san=$2
  if fresh "$dir/$name.pem"; then return; fi
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/O=Netra local/CN=$name" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
    -out "$dir/$name.pem" -extfile <(printf '%s\n' \
      "subjectAltName=$san" \
      "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth,clientAuth") 2>/dev/null
  rm -f "$dir/$name.csr"
}

if [ $# -ge 3 ]; then
  issue "$2" "$3"
  chmod 644 "$dir/$2.pem"
  exit 0
fi

# The services, as servers and as each other's clients. Netra's own clients
# check a server's SPIFFE ID; the host names are for grpcurl-style tools.
issue svc-registry svc/registry ",DNS:localhost,IP:127.0.0.1"
issue svc-complaint svc/complaint ",DNS:localhost,IP:127.0.0.1"
issue svc-sanction svc/sanction ",DNS:localhost,IP:127.0.0.1"
# The complaint service's public listener: a certificate for the host name the
# public calls (a web PKI one in production), no SPIFFE ID.
sign public-localhost "DNS:localhost,IP:127.0.0.1"
# The demo's identities: netractl --identity NAME.
issue bawaslu-jateng bawaslu/33
issue bawaslu-purworejo bawaslu/33.06
issue bawaslu-semarang bawaslu/33.74
issue bkn authority/bkn
issue bupati-purworejo ppk/bupati:33.06
issue walikota-semarang ppk/walikota:33.74
issue bkd-purworejo bkd/33.06
issue kpu-jateng kpu/33
issue kemenpanrb ministry/kemenpanrb
issue admin admin
issue ops ops
chmod 644 "$dir"/*.pem
