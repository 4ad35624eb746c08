#!/usr/bin/env bash
# Tenantry beside the Better Auth peer (../shared/peers/better-auth) and a bare actix-web
# ceiling, on the same machine in one run: the same org of MEMBERS members on both, the same
# wrk load on each scenario, alternating. Prints one table and writes it, with the machine and
# the command, into docs/performance.md (between the compare markers).
# Needs: wrk, curl, jq, node + npm (the peer's `npm ci` runs once, into target/bench-peer).
# Usage: bench/compare.sh   (MEMBERS=1000 DURATION=10s CONNECTIONS=32; DATABASE_URL=postgres://...
# for Tenantry on PostgreSQL, an empty database; the peer stays on its SQLite default)
set -euo pipefail
cd "$(dirname "$0")/.."
MEMBERS=${MEMBERS:-1000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}
PEER_PORT=${PEER_PORT:-18091}
CEILING_PORT=${CEILING_PORT:-18092}
PEER_SOURCE=${PEER_SOURCE:-../shared/peers/better-auth}

source bench/lib.sh
cargo build --release --quiet -p tenantry-bench-ceiling
trap 'kill $server $peer $ceiling $sampler 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
peer= ceiling= sampler=

# The peer, installed once outside the read-only shared folder.
peer_dir=target/bench-peer
if [ ! -d "$peer_dir/node_modules" ]; then
  mkdir -p "$peer_dir" && cp -r "$PEER_SOURCE"/. "$peer_dir"/ && chmod -R u+w "$peer_dir"
  (cd "$peer_dir" && npm ci --no-audit --no-fund >/dev/null)
fi
(cd "$peer_dir" && PORT=$PEER_PORT DB_PATH="$work/peer.db" exec node server.mjs >"$work/peer.log" 2>&1) &
peer=$!
./target/release/tenantry-bench-ceiling "$CEILING_PORT" "$MEMBERS" &
ceiling=$!
peer_api="http://127.0.0.1:$PEER_PORT"
until curl -sf "$peer_api/healthz" >/dev/null; do sleep 0.2; done
eval "$(cd "$peer_dir" && PORT=$PEER_PORT DB_PATH="$work/peer.db" node seed.mjs "$MEMBERS")"
peer_token=$TOKEN peer_org=$ORG_ID

# Tenantry: the owner signs up (a real password hash), the rest through the operator import.
seed_org "$MEMBERS"
idle_rss=$(rss_mib "$server")
( peak=0; while kill -0 "$server" 2>/dev/null; do
    now=$(ps -o rss= -p "$server" || echo 0); [ "${now:-0}" -gt "$peak" ] && peak=$now
    echo "$peak" >"$work/peak"; sleep 0.2; done ) &
sampler=$!

ours=(-H "Authorization: Bearer $token")
theirs=(-H "authorization: Bearer $peer_token")
peer_auth="$peer_api/api/auth"
rows=()
scenario() { # name, tenantry args..., --, peer args...
  local name=$1; shift
  local mine=() other=()
  while [ "$1" != -- ]; do mine+=("$1"); shift; done; shift
  other=("$@")
  # A p99 cell also says how many answers were not 2xx, if any were.
  read -r peer_rps peer_p50 peer_p99 < <(load "${other[@]}")
  read -r our_rps our_p50 our_p99 < <(load "${mine[@]}")
  rows+=("$(awk -v n="$name" -v a="$our_rps" -v b="$our_p50" -v c="$our_p99" \
    -v d="$peer_rps" -v e="$peer_p50" -v f="$peer_p99" \
    'BEGIN { printf "| %s | %s | %s | %s | %s | %s | %s | %.1fx |", n, a, b, c, d, e, f, (d > 0 ? a / d : 0) }')")
  echo "${rows[-1]}"
}
echo "== $(nproc) cores, $MEMBERS members, wrk -t2 -c$CONNECTIONS -d$DURATION"
scenario "list all members" "${ours[@]}" "$api/api/orgs/$org/members" -- \
  "${theirs[@]}" "$peer_auth/organization/list-members?organizationId=$peer_org&limit=$MEMBERS"
scenario "get org" "${ours[@]}" "$api/api/orgs/$org" -- \
  "${theirs[@]}" "$peer_auth/organization/get-full-organization?organizationId=$peer_org"
scenario "cheapest authenticated request" "${ours[@]}" "$api${CHEAP_PATH:-/api/auth/session}" -- \
  "${theirs[@]}" "$peer_auth/get-session"
scenario "create invitation" -s bench/invite.lua "$api" -- -s "$peer_dir/bench/invite.lua" "$peer_api"
read -r serialise_rps _ < <(load "http://127.0.0.1:$CEILING_PORT/members")
read -r bytes_rps _ < <(load "http://127.0.0.1:$CEILING_PORT/members/bytes")
peak_rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$work/peak")

table=$(cat <<TABLE
$(date -u +%F), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), \
Tenantry on ${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-SQLite}, Better Auth on SQLite, $MEMBERS members,
\`wrk -t2 -c$CONNECTIONS -d$DURATION --timeout 10s --latency\`, command \`${COMPARE_COMMAND:-bench/compare.sh}\`:

| scenario | Tenantry req/s | p50 ms | p99 ms | Better Auth req/s | p50 ms | p99 ms | ratio |
|---|---:|---:|---:|---:|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")

Ceiling (a bare actix-web server, \`bench/ceiling\`, same $MEMBERS members): serialising on every
request $serialise_rps req/s, pre-serialised bytes $bytes_rps req/s. Tenantry's resident memory:
$idle_rss MiB idle after seeding, $peak_rss MiB at peak under load.
TABLE
)
echo; echo "$table"
if [ -z "${DATABASE_URL:-}" ]; then
  awk -v table="$table" '
    /<!-- compare:start -->/ { print; print table; skip = 1; next }
    /<!-- compare:end -->/ { skip = 0 }
    !skip' docs/performance.md >"$work/performance.md" && cp "$work/performance.md" docs/performance.md
fi
