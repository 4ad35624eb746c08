# Sourced by the benchmarks: builds the release binary and starts it on a fresh database (a
# SQLite file in a temporary directory, or the empty PostgreSQL database in DATABASE_URL),
# with rate limits out of the way. Sets bin, work, api and server; stops the server on exit.
cargo build --release --quiet
work=$(mktemp -d)
export TENANTRY_DATABASE_URL="${DATABASE_URL:-sqlite://$work/bench.db}"
export TENANTRY_LISTEN="127.0.0.1:$PORT"
export TENANTRY_MAIL_OUTBOX="$work/mail"
# PostgreSQL needs a sealing key; a throwaway one will do for a benchmark.
export TENANTRY_SECRET_KEY="${TENANTRY_SECRET_KEY:-$(head -c 32 /dev/urandom | base64)}"
export TENANTRY_AUTH_ATTEMPTS_PER_MINUTE=1000000
export TENANTRY_INVITATION_ATTEMPTS_PER_MINUTE=1000000
export RUST_LOG=warn
bin=./target/release/tenantry
$bin serve &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
api="http://127.0.0.1:$PORT"
until curl -sf "$api/readyz" >/dev/null; do sleep 0.2; done

# One wrk run (CONNECTIONS, DURATION, WRK_TIMEOUT: 10s by default); prints "req/s p50 p99" in
# milliseconds, then "(N non-2xx!)" when some answers were not 2xx or 3xx.
load() {
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout "${WRK_TIMEOUT:-10s}" --latency "$@" 2>&1 | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                     if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    /Non-2xx/ { bad = $NF }
    END { printf "%.0f %.1f %.1f%s\n", rps, p50, p99, (bad ? " (" bad " non-2xx!)" : "") }'
}

rss_mib() { ps -o rss= -p "$1" | awk '{ printf "%.0f", $1 / 1024 }'; }

# An owner (token: signed up, so with a real password hash) and an enterprise org (org) of $1
# members in all; the others come through the operator import (`tenantry import-members`),
# which keeps the domain's rules (roles, seats, one audit event each) but hashes no password.
# $2 tells the accounts of one org from another's.
seed_org() {
  local tag=${2:-bench}
  token=$(curl -sf -X POST "$api/api/auth/signup" -H 'Content-Type: application/json' \
    -d "{\"email\":\"owner.$tag@bench.test\",\"password\":\"correct horse\",\"name\":\"Owner $tag\"}" \
    | jq -r .token)
  org=$(curl -sf -X POST "$api/api/orgs" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"name\":\"Bench $tag\"}" | jq -r ._id)
  $bin set-plan "$org" enterprise
  awk -v n=$(($1 - 1)) -v tag="$tag" 'BEGIN { print "email,name,role"
    for (i = 1; i <= n; i++) printf "m%d.%s@bench.test,Member %d of %s,member\n", i, tag, i, tag }' \
    >"$work/$tag.csv"
  $bin import-members "$org" "$work/$tag.csv"
  export TENANTRY_TOKEN=$token TENANTRY_ORG=$org
}
