#!/usr/bin/env bash
# The département load test: 20 stations append at once into one PostgreSQL register over TLS
# (verify-full) for 10 minutes (SECONDS_TO_RUN), then every chain is verified. Prints appends/s and
# latency percentiles. Starts its own throwaway PostgreSQL 15 on a free loopback port.
#   crates/register/scripts/load-test.sh [SECONDS_TO_RUN] [STATIONS]
set -euo pipefail
SECONDS_TO_RUN="${1:-600}"
STATIONS="${2:-20}"
PG=/usr/lib/postgresql/15/bin
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
WORK="$(mktemp -d)"
chmod 755 "$WORK"
cleanup() { runuser -u postgres -- "$PG/pg_ctl" stop -m immediate -D "$WORK/data" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=vigie load CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt 2>/dev/null
chmod 600 server.key
chown -R postgres:postgres "$WORK"
runuser -u postgres -- "$PG/initdb" -A trust -U postgres --no-sync -E UTF8 -D "$WORK/data" >/dev/null
printf 'local all all trust\nhostssl all all 127.0.0.0/8 trust\n' > "$WORK/data/pg_hba.conf"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
runuser -u postgres -- "$PG/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w -o "-p $PORT -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=$WORK/server.crt -c ssl_key_file=$WORK/server.key -c max_connections=100 -k $WORK" start >/dev/null
runuser -u postgres -- psql -h "$WORK" -p "$PORT" -U postgres -qc "CREATE DATABASE load" postgres
cd "$ROOT"
# The dev profile (hashing and signatures are optimised even there, see the workspace Cargo.toml);
# PROFILE=release for release figures (a cold release build of the register takes ~20 min).
PROFILE="${PROFILE:-dev}"
cargo build -q --profile "$PROFILE" -p vigie_register --bin vigie-register-load
DIR=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
"${CARGO_TARGET_DIR:-$ROOT/target}/$DIR/vigie-register-load" \
  --postgres "host=localhost port=$PORT user=postgres dbname=load sslmode=verify-full sslrootcert=$WORK/ca.pem" \
  --stations "$STATIONS" --seconds "$SECONDS_TO_RUN"
