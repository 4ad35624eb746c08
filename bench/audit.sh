#!/usr/bin/env bash
# The audit log at 1,000,000 events in one org: a filtered list page under load (wrk) and a full
# CSV export (rows per second, the server's peak resident memory during it).
# Needs: wrk, curl, jq, and sqlite3 (SQLite) or psql (PostgreSQL).
# Usage: bench/audit.sh   (EVENTS, DURATION, CONNECTIONS to vary it; DATABASE_URL=postgres://...
# for PostgreSQL, an empty database)
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1000000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18081}

source bench/lib.sh

token=$(curl -sf -X POST "$api/api/auth/signup" -H 'Content-Type: application/json' \
  -d '{"email":"owner@bench.test","password":"correct horse","name":"Owner"}' | jq -r .token)
org=$(curl -sf -X POST "$api/api/orgs" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"name":"Bench"}' | jq -r ._id)
$bin set-plan "$org" enterprise

# Seeded in one statement, straight into the table: four actions, half by the owner, one second
# apart. (They are not chained: the benchmark reads, it does not verify.)
# On SQLite the insert's trigger keeps the counts, as for any append.
start=$(date +%s.%N)
case "$TENANTRY_DATABASE_URL" in
  postgres*)
    psql -q -v ON_ERROR_STOP=1 "$TENANTRY_DATABASE_URL" <<SQL
-- The append trigger counts each event in its hour and in its actor's and action's all-time
-- total. In one statement of a million rows, PostgreSQL would keep every version of those few
-- total rows until it commits and walk them on each update; appends one by one never build
-- such chains. So the seed goes in with the trigger off and the counts are made in bulk, as
-- the trigger would have left them.
ALTER TABLE audit_events DISABLE TRIGGER audit_events_appended;
INSERT INTO audit_events (id, org_id, actor_id, action, target, metadata, ip, created_at, created_at_us)
SELECT gen_random_uuid(), '$org',
       CASE WHEN i % 2 = 0 THEN (SELECT id FROM users LIMIT 1) END,
       (ARRAY['member.invited','member.role_updated','role.created','org.updated'])[i % 4 + 1],
       '{"email":"user' || i || '@bench.test"}', '{"role":"member"}', '127.0.0.1',
       to_timestamp(1700000000 + i), (1700000000::bigint + i) * 1000000
FROM generate_series(1, $EVENTS) AS i;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_appended;
DELETE FROM audit_counts;
INSERT INTO audit_counts (org_id, action, actor_id, hour, n)
SELECT org_id, action, COALESCE(actor_id, '00000000-0000-0000-0000-000000000000'::uuid),
       created_at_us / 3600000000, COUNT(*)
FROM audit_events GROUP BY 1, 2, 3, 4;
DELETE FROM audit_totals;
INSERT INTO audit_totals (org_id, actor_id, action, n)
SELECT org_id, actor_id, action, SUM(n) FROM audit_counts GROUP BY 1, 2, 3;
-- Autovacuum visits a table after a million inserts anyway; until it has, every index-only
-- scan (the ids of a later page) also reads the table to learn which rows are visible.
VACUUM ANALYZE audit_events;
ANALYZE audit_counts;
ANALYZE audit_totals;
SQL
    ;;
  *)
    sqlite3 "${TENANTRY_DATABASE_URL#sqlite://}" <<SQL
PRAGMA busy_timeout = 10000;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $EVENTS)
INSERT INTO audit_events (id, org_id, actor_id, action, target, metadata, ip, created_at, created_at_us)
SELECT randomblob(16), (SELECT id FROM orgs WHERE name = 'Bench'),
       CASE WHEN i % 2 = 0 THEN (SELECT id FROM users LIMIT 1) END,
       CASE i % 4 WHEN 0 THEN 'member.invited' WHEN 1 THEN 'member.role_updated'
                  WHEN 2 THEN 'role.created' ELSE 'org.updated' END,
       '{"email":"user' || i || '@bench.test"}', '{"role":"member"}', '127.0.0.1',
       strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + i, 'unixepoch'), (1700000000 + i) * 1000000
FROM n;
ANALYZE;
SQL
    ;;
esac
echo "== seeded $EVENTS events in $(echo "$(date +%s.%N) - $start" | bc) s"

auth="Authorization: Bearer $token"
for query in "action=member.invited&limit=50" "actorId=$(curl -sf "$api/api/me" -H "$auth" | jq -r .user._id)&limit=50&page=20" "limit=50"; do
  echo "-- GET /api/orgs/:org/audit-logs?$query ($(nproc) cores, $CONNECTIONS connections, $DURATION)"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "$auth" "$api/api/orgs/$org/audit-logs?$query" \
    | grep -E 'Requests/sec|50%|99%|Non-2xx'
done

rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
before=$(rss)
peak=$before
(while kill -0 $server 2>/dev/null; do r=$(rss); [ "$r" -gt "$(cat "$work/peak" 2>/dev/null || echo 0)" ] && echo "$r" > "$work/peak"; sleep 0.05; done) &
sampler=$!
seconds=$(curl -sf -o "$work/export.csv" -w '%{time_total}' -H "$auth" "$api/api/orgs/$org/audit-logs/export")
kill $sampler 2>/dev/null || true
peak=$(cat "$work/peak" 2>/dev/null || echo "$before")
rows=$(( $(wc -l < "$work/export.csv") - 1 ))
echo "-- export: $rows rows in $seconds s = $(echo "$rows / $seconds" | bc) rows/s;" \
  "server RSS $((before / 1024)) MiB before, peak $((peak / 1024)) MiB during"
