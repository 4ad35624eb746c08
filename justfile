# Conveniences; the README's two commands need only cargo.

pg_url := "postgres://tenantry:tenantry@localhost:5432/postgres"

# Run the service on the embedded SQLite default.
run:
    cargo run --release

# Every test (PostgreSQL ones say they are skipped unless TENANTRY_TEST_POSTGRES_URL is set).
test:
    cargo test --workspace

# Every test, PostgreSQL included, against a local server (see .ci/run for the setup).
test-pg:
    TENANTRY_TEST_POSTGRES_URL={{pg_url}} cargo test --workspace

# What CI runs, from installing PostgreSQL on.
ci:
    bash .ci/run

lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# The domain must not depend on a framework.
check-domain:
    ! cargo tree -p tenantry-domain -e normal | grep -E 'actix|sea-orm|sqlx|lettre|tokio'
