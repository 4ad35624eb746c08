#!/usr/bin/env bash
# Cost against org size: the member list in full and as a 50-member page at 10, 1,000, 10,000
# and 100,000 members, then creating invitations with 0 and with 10,000 pending. Prints a
# Markdown table. The first request after a change is timed alone ("cold": members read and
# serialised); wrk then measures repeats ("warm": the page as this instance last served it).
# Needs: wrk, curl, jq, and sqlite3 (SQLite) or psql (PostgreSQL). Usage: bench/scale.sh   (SIZES="10 1000 10000 100000" DURATION=5s
# CONNECTIONS=32; DATABASE_URL=postgres://... for PostgreSQL, an empty database)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-10 1000 10000 100000}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18083}
# A whole list of 100,000 members is 20 MB: give each answer time.
WRK_TIMEOUT=${WRK_TIMEOUT:-30s}

source bench/lib.sh

cold_ms() { curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "$1" | awk '{ printf "%.1f", $1 * 1000 }'; }

db=${DATABASE_URL:+PostgreSQL}
echo "== ${db:-SQLite}, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION"
echo "| members | request | cold ms | warm req/s | p50 ms | p99 ms | bytes |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for size in $SIZES; do
  start=$(date +%s.%N)
  seed_org "$size" "s$size" >/dev/null
  seeded=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  echo "<!-- $size members seeded in $seeded s -->"
  second=$(curl -sf -H "Authorization: Bearer $token" "$api/api/orgs/$org/members?limit=2" \
    | jq -r '.members[1].userId')
  for path in "/api/orgs/$org/members" "/api/orgs/$org/members?limit=50"; do
    # A role change moves the list's version: the next read is cold.
    role=$([ "${role:-member}" = member ] && echo viewer || echo member)
    curl -sf -o /dev/null -X PUT "$api/api/orgs/$org/members/$second" -d "{\"role\":\"$role\"}" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json'
    cold=$(cold_ms "$api$path")
    bytes=$(curl -sf -H "Authorization: Bearer $token" "$api$path" | wc -c)
    read -r rps p50 p99 rest < <(load -H "Authorization: Bearer $token" "$api$path")
    echo "| $size | GET ${path#/api/orgs/$org} | $cold | $rps | $p50 | $p99 | $bytes ${rest:-}|"
  done
done

# Invitations: unique addresses from bench/invite.lua, first into an empty list, then with
# 10,000 pending.
seed_org 1000 inv >/dev/null
read -r rps p50 p99 rest < <(load -s bench/invite.lua "$api")
echo "| 1000 | POST /invitations/email, 0 pending at start | | $rps | $p50 | $p99 | ${rest:-}|"
pending() {
  local count="SELECT COUNT(*) FROM invitations WHERE status = 'pending'"
  case "$TENANTRY_DATABASE_URL" in
    postgres*) psql -Atq "$TENANTRY_DATABASE_URL" -c "$count" ;;
    *) sqlite3 "${TENANTRY_DATABASE_URL#sqlite://}" "$count" ;;
  esac
}
until [ "$(pending)" -ge 10000 ] 2>/dev/null; do load -s bench/invite.lua "$api" >/dev/null; done
read -r rps p50 p99 rest < <(load -s bench/invite.lua "$api")
echo "| 1000 | POST /invitations/email, $(pending) pending after | | $rps | $p50 | $p99 | ${rest:-}|"
