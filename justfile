# Conveniences; the README's two commands need only cargo.

pg_url := "postgres://tenantry:tenantry@localhost:5432/postgres"

# List the recipes.
default:
    @just --list

# Run the service on the embedded SQLite default.
run:
    cargo run --release

# Every test (PostgreSQL ones say they are skipped unless TENANTRY_TEST_POSTGRES_URL is set).
test:
    cargo test --workspace

# Every test, PostgreSQL included, against a local server (`just dev-services` starts one).
test-pg:
    TENANTRY_TEST_POSTGRES_URL={{pg_url}} cargo test --workspace

# Tenantry beside the Better Auth peer and a bare actix ceiling; writes docs/performance.md.
bench:
    bash bench/compare.sh

# Format every crate.
fmt:
    cargo fmt --all

# Formatting and clippy, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# API documentation of the workspace's own crates, into target/doc.
docs:
    cargo doc --workspace --no-deps

# What CI runs, from installing PostgreSQL on.
ci:
    bash .ci/run

# The domain must not depend on a framework.
check-domain:
    ! cargo tree -p tenantry-domain -e normal | grep -E 'actix|sea-orm|sqlx|lettre|tokio'

# Local PostgreSQL (as .ci/run; role and database tenantry) and a mail catcher on 127.0.0.1:1025 (Mailpit, else aiosmtpd).
dev-services:
    #!/usr/bin/env bash
    set -euo pipefail
    as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
    as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
      echo "PostgreSQL is not installed: apt-get install postgresql (or run: just ci)" >&2
      exit 1
    fi
    version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
    if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
      as_root pg_createcluster "$version" main
    fi
    as_root pg_ctlcluster "$version" main start 2>/dev/null || true
    for _ in $(seq 1 30); do pg_isready -q -h localhost && break; sleep 1; done
    pg_isready -h localhost
    as_postgres psql -q -v ON_ERROR_STOP=1 <<'SQL'
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantry') THEN
        CREATE ROLE tenantry LOGIN PASSWORD 'tenantry' CREATEDB;
      END IF;
    END
    $$;
    SQL
    if ! as_postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'tenantry'" | grep -q 1; then
      as_postgres createdb -O tenantry tenantry
    fi
    mkdir -p target/dev-services
    pidfile=target/dev-services/mail.pid
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "mail catcher already running (pid $(cat "$pidfile"))"
    elif command -v mailpit >/dev/null; then
      nohup mailpit --smtp 127.0.0.1:1025 --listen 127.0.0.1:8025 >target/dev-services/mail.log 2>&1 &
      echo $! >"$pidfile"
      echo "Mailpit: SMTP 127.0.0.1:1025, messages at http://127.0.0.1:8025"
    else
      python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check aiosmtpd
      nohup python3 -m aiosmtpd -n -l 127.0.0.1:1025 >target/dev-services/mail.log 2>&1 &
      echo $! >"$pidfile"
      echo "aiosmtpd: SMTP 127.0.0.1:1025, messages printed to target/dev-services/mail.log"
    fi
    echo
    echo "Run against them with TENANTRY_DATABASE_URL=postgres://tenantry:tenantry@localhost:5432/tenantry"
    echo "TENANTRY_SMTP_URL='smtp://127.0.0.1:1025?tls=none' and a TENANTRY_SECRET_KEY kept between runs"
    echo "(openssl rand -base64 32 once); the tests use just test-pg."

# Stop the mail catcher that dev-services started (PostgreSQL keeps running).
dev-services-stop:
    #!/usr/bin/env bash
    pidfile=target/dev-services/mail.pid
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
