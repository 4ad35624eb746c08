#!/usr/bin/env bash
# Throughput and latency of authenticated reads, on the embedded SQLite default, with wrk.
# Needs: wrk, curl, jq. Usage: bench/run.sh   (MEMBERS, DURATION, CONNECTIONS to vary it;
# DATABASE_URL=postgres://... for PostgreSQL, an empty database)
set -euo pipefail
cd "$(dirname "$0")/.."
MEMBERS=${MEMBERS:-200}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}

source bench/lib.sh

seed_org "$((MEMBERS + 1))"

echo "== $(nproc) cores, $MEMBERS members, $CONNECTIONS connections, $DURATION per route"
for path in "/api/orgs/$org" "/api/orgs/$org/members" "/api/orgs/$org/members?limit=50"; do
  echo "-- GET $path"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $token" "$api$path" \
    | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
done
echo "-- server resident memory: $(ps -o rss= -p $server | awk '{printf "%.1f MiB", $1/1024}')"
