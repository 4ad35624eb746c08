use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Appending an audit event moves the org's chain head and its hourly count in a trigger of
/// the insert, not in statements of their own: every write use case appends an event, and on
/// a single writer each statement saved is throughput (see docs/performance.md).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        crate::execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &[
                "DROP TRIGGER audit_events_appended ON audit_events",
                "DROP FUNCTION audit_event_appended()",
            ],
            _ => &["DROP TRIGGER audit_events_appended"],
        };
        crate::execute_all(manager, statements).await
    }
}

// Events without an actor are counted under the nil id, which no account has.
pub(crate) const SQLITE: &[&str] = &[
    "CREATE TRIGGER audit_events_appended AFTER INSERT ON audit_events BEGIN \
     UPDATE orgs SET audit_seq = NEW.seq, audit_head = NEW.hash \
     WHERE id = NEW.org_id AND NEW.seq IS NOT NULL; \
     INSERT INTO audit_counts (org_id, action, actor_id, hour, n) \
     VALUES (NEW.org_id, NEW.action, \
       COALESCE(NEW.actor_id, x'00000000000000000000000000000000'), \
       NEW.created_at_us / 3600000000, 1) \
     ON CONFLICT (org_id, action, actor_id, hour) DO UPDATE SET n = n + 1; \
     END",
];

pub(crate) const POSTGRES: &[&str] = &[
    "CREATE FUNCTION audit_event_appended() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF NEW.seq IS NOT NULL THEN \
         UPDATE orgs SET audit_seq = NEW.seq, audit_head = NEW.hash WHERE id = NEW.org_id; \
       END IF; \
       INSERT INTO audit_counts (org_id, action, actor_id, hour, n) \
       VALUES (NEW.org_id, NEW.action, \
         COALESCE(NEW.actor_id, '00000000-0000-0000-0000-000000000000'::uuid), \
         NEW.created_at_us / 3600000000, 1) \
       ON CONFLICT (org_id, action, actor_id, hour) DO UPDATE SET n = audit_counts.n + 1; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER audit_events_appended AFTER INSERT ON audit_events \
     FOR EACH ROW EXECUTE FUNCTION audit_event_appended()",
];
