use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // created_at in microseconds since 1970: the key the log is sorted and filtered on.
        // SQLite stores times as text of varying width, which neither sorts nor compares as time.
        db.execute_unprepared(
            "ALTER TABLE audit_events ADD COLUMN created_at_us BIGINT NOT NULL DEFAULT 0",
        )
        .await?;
        let backfill = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "UPDATE audit_events \
                 SET created_at_us = CAST(EXTRACT(EPOCH FROM created_at) * 1000000 AS BIGINT)"
            }
            // unixepoch(..., 'subsec') keeps milliseconds: enough to order events written
            // before this column existed (ties fall back to the time-ordered id).
            _ => {
                "UPDATE audit_events \
                 SET created_at_us = CAST(unixepoch(created_at, 'subsec') * 1000000 AS INTEGER)"
            }
        };
        db.execute_unprepared(backfill).await?;
        crate::execute_all(manager, [
            "DROP INDEX idx_audit_events_org_time",
            // The list's three shapes: everything, by action, by actor; each newest first.
            "CREATE INDEX idx_audit_events_org_time_us ON audit_events (org_id, created_at_us, id)",
            "CREATE INDEX idx_audit_events_org_action ON audit_events (org_id, action, created_at_us, id)",
            "CREATE INDEX idx_audit_events_org_actor ON audit_events (org_id, actor_id, created_at_us, id)",
        ])
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_all(
            manager,
            [
                "DROP INDEX idx_audit_events_org_actor",
                "DROP INDEX idx_audit_events_org_time_us",
                "DROP INDEX idx_audit_events_org_action",
                "ALTER TABLE audit_events DROP COLUMN created_at_us",
                "CREATE INDEX idx_audit_events_org_time ON audit_events (org_id, created_at)",
            ],
        )
        .await
    }
}
