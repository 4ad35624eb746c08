use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_all(
            manager,
            [
                // Each event's place in its org's chain, the hash of the event before it, and its
                // own hash over its content and that predecessor. Events written before the chain
                // existed are chained once, at the first start (persistence's `Database::migrate`).
                "ALTER TABLE audit_events ADD COLUMN seq BIGINT NULL",
                "ALTER TABLE audit_events ADD COLUMN prev_hash VARCHAR(64) NULL",
                "ALTER TABLE audit_events ADD COLUMN hash VARCHAR(64) NULL",
                // Two events can never take the same place: concurrent writers cannot fork it.
                "CREATE UNIQUE INDEX uq_audit_events_org_seq ON audit_events (org_id, seq)",
                // The chain's head (the newest event) and anchor (the newest event deleted by
                // retention, which the oldest kept one follows).
                "ALTER TABLE orgs ADD COLUMN audit_seq BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE orgs ADD COLUMN audit_head VARCHAR(64) NULL",
                "ALTER TABLE orgs ADD COLUMN audit_anchor_seq BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE orgs ADD COLUMN audit_anchor_hash VARCHAR(64) NULL",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_all(
            manager,
            [
                "DROP INDEX uq_audit_events_org_seq",
                "ALTER TABLE audit_events DROP COLUMN hash",
                "ALTER TABLE audit_events DROP COLUMN prev_hash",
                "ALTER TABLE audit_events DROP COLUMN seq",
                "ALTER TABLE orgs DROP COLUMN audit_anchor_hash",
                "ALTER TABLE orgs DROP COLUMN audit_anchor_seq",
                "ALTER TABLE orgs DROP COLUMN audit_head",
                "ALTER TABLE orgs DROP COLUMN audit_seq",
            ],
        )
        .await
    }
}
