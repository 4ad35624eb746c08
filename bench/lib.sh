# Sourced by the benchmarks: builds the release binary and starts it on a fresh database (a
# SQLite file in a temporary directory, or the empty PostgreSQL database in DATABASE_URL),
# with rate limits out of the way. Sets bin, work, api and server; stops the server on exit.
cargo build --release --quiet
work=$(mktemp -d)
export TENANTRY_DATABASE_URL="${DATABASE_URL:-sqlite://$work/bench.db}"
export TENANTRY_LISTEN="127.0.0.1:$PORT"
export TENANTRY_AUTH_ATTEMPTS_PER_MINUTE=1000000
export RUST_LOG=warn
bin=./target/release/tenantry
$bin serve &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
api="http://127.0.0.1:$PORT"
until curl -sf "$api/readyz" >/dev/null; do sleep 0.2; done
