#!/usr/bin/env bash
# Soak run (not CI): mixed traffic at a fixed rate against the release binary, on SQLite or on
# the PostgreSQL database in DATABASE_URL, with an enterprise org of 1,000 members. Samples the
# server's RSS and open file descriptors every 30 s, and counts answers by status.
# Usage: bench/soak.sh [minutes, 10] [requests per second, 200]
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
RATE=${2:-200}
PORT=${PORT:-18090}
CONNECTIONS=8
source bench/lib.sh
seed_org 1000 soak
export SOAK_DELAY_MS=$((CONNECTIONS * 1000 / RATE))

echo "soak: ${MINUTES} min at ${RATE} req/s ($CONNECTIONS connections, one request every ${SOAK_DELAY_MS} ms each)"
wrk -t2 -c"$CONNECTIONS" -d"${MINUTES}m" --timeout 10s -s bench/soak.lua "$api" >"$work/wrk.txt" 2>&1 &
load_pid=$!
start=$(date +%s)
echo "seconds rss_mib open_fds"
while kill -0 "$load_pid" 2>/dev/null; do
  echo "$(( $(date +%s) - start )) $(rss_mib "$server") $(ls /proc/"$server"/fd | wc -l)"
  sleep 30
done
wait "$load_pid"
cat "$work/wrk.txt"
