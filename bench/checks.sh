#!/usr/bin/env bash
# Permission checks per second: over HTTP with keep-alive (one question per request, and
# batches of 100), asked with an owner's service token about members of an org of $MEMBERS;
# and in-process, through the domain crate over the SQLite adapter, without HTTP.
# Needs: wrk, curl, jq. Usage: bench/checks.sh   (MEMBERS, DURATION, CONNECTIONS to vary it;
# DATABASE_URL=postgres://... for PostgreSQL, an empty database)
set -euo pipefail
cd "$(dirname "$0")/.."
MEMBERS=${MEMBERS:-1000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18081}

source bench/lib.sh
seed_org "$MEMBERS"

service=$(curl -sf -X POST "$api/api/me/tokens" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"orgId\":\"$org\",\"service\":true}" | jq -r .token)
members=$(curl -sf "$api/api/orgs/$org/members?limit=100" -H "Authorization: Bearer $token" \
  | jq -c '[.members[].userId]')
one=$(jq -r '.[50]' <<<"$members")
export TENANTRY_TOKEN=$service
export CHECK_PATH="/api/orgs/$org/permissions/check"
export CHECK_BODY="{\"userId\":\"$one\",\"permissions\":[\"scans:write\"]}"
read -r single_rps single_p50 single_p99 _ < <(load -s bench/checks.lua "$api")
export CHECK_PATH="/api/orgs/$org/permissions/check-batch"
export CHECK_BODY=$(jq -c '{checks: [.[] | {userId: ., permission: "scans:write"}]}' <<<"$members")
read -r batch_rps batch_p50 batch_p99 _ < <(load -s bench/checks.lua "$api")
kill "$server"; wait "$server" 2>/dev/null || true

in_process=$(cargo run --release --quiet -p tenantry-server --example library -- --bench 200000)

echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $MEMBERS members, $CONNECTIONS connections, $DURATION"
printf '| %-34s | %12s | %8s | %8s |\n' "how" "checks/s" "p50 ms" "p99 ms"
printf '| %-34s | %12s | %8s | %8s |\n' "HTTP, one question per request" "$single_rps" "$single_p50" "$single_p99"
printf '| %-34s | %12s | %8s | %8s |\n' "HTTP, batches of 100" "$((batch_rps * 100))" "$batch_p50" "$batch_p99"
printf '| %-34s | %12s | %8s | %8s |\n' "in-process (domain + SQLite)" "$in_process" "-" "-"
