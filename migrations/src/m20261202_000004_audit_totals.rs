use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261201_000011_audit_append_triggers as hourly;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each org's events per actor and action of all time, kept by the append trigger beside the
/// hourly counts: a list without a time filter reads its `total` from a few of these rows
/// instead of summing an hourly count for every hour the log spans.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_totals")
                    .col(uuid("org_id"))
                    .col(uuid("actor_id"))
                    .col(string("action"))
                    .col(big_integer("n"))
                    // Actor first: the actor filter then reads a range, and an action-only
                    // filter reads the org's rows, one per actor and action.
                    .primary_key(Index::create().col("org_id").col("actor_id").col("action"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_totals_org")
                            .from("audit_totals", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        crate::execute_all(manager, [BACKFILL]).await?;
        crate::execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                crate::execute_all(
                    manager,
                    [
                        "DROP TRIGGER audit_events_appended ON audit_events",
                        "DROP FUNCTION audit_event_appended()",
                    ],
                )
                .await?;
                crate::execute_all(manager, hourly::POSTGRES).await?;
            }
            _ => {
                let replace = format!("DROP TRIGGER audit_events_appended; {}", hourly::SQLITE[0]);
                crate::execute_all(manager, [replace]).await?;
            }
        }
        manager
            .drop_table(Table::drop().table("audit_totals").to_owned())
            .await
    }
}

const BACKFILL: &str = "INSERT INTO audit_totals (org_id, actor_id, action, n) \
     SELECT org_id, actor_id, action, SUM(n) FROM audit_counts \
     GROUP BY org_id, actor_id, action";

// As in m20261201_000011, plus the all-time total; events without an actor count under the
// nil id, which no account has. On SQLite, the drop and the new trigger go in one call, so on
// one connection: another of the pool may still hold the schema from before the drop, and
// would refuse the trigger as existing.
const SQLITE: &[&str] = &["DROP TRIGGER audit_events_appended; \
     CREATE TRIGGER audit_events_appended AFTER INSERT ON audit_events BEGIN \
     UPDATE orgs SET audit_seq = NEW.seq, audit_head = NEW.hash \
     WHERE id = NEW.org_id AND NEW.seq IS NOT NULL; \
     INSERT INTO audit_counts (org_id, action, actor_id, hour, n) \
     VALUES (NEW.org_id, NEW.action, \
       COALESCE(NEW.actor_id, x'00000000000000000000000000000000'), \
       NEW.created_at_us / 3600000000, 1) \
     ON CONFLICT (org_id, action, actor_id, hour) DO UPDATE SET n = n + 1; \
     INSERT INTO audit_totals (org_id, actor_id, action, n) \
     VALUES (NEW.org_id, COALESCE(NEW.actor_id, x'00000000000000000000000000000000'), \
       NEW.action, 1) \
     ON CONFLICT (org_id, actor_id, action) DO UPDATE SET n = n + 1; \
     END"];

const POSTGRES: &[&str] = &["CREATE OR REPLACE FUNCTION audit_event_appended() \
     RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF NEW.seq IS NOT NULL THEN \
         UPDATE orgs SET audit_seq = NEW.seq, audit_head = NEW.hash WHERE id = NEW.org_id; \
       END IF; \
       INSERT INTO audit_counts (org_id, action, actor_id, hour, n) \
       VALUES (NEW.org_id, NEW.action, \
         COALESCE(NEW.actor_id, '00000000-0000-0000-0000-000000000000'::uuid), \
         NEW.created_at_us / 3600000000, 1) \
       ON CONFLICT (org_id, action, actor_id, hour) DO UPDATE SET n = audit_counts.n + 1; \
       INSERT INTO audit_totals (org_id, actor_id, action, n) \
       VALUES (NEW.org_id, \
         COALESCE(NEW.actor_id, '00000000-0000-0000-0000-000000000000'::uuid), NEW.action, 1) \
       ON CONFLICT (org_id, actor_id, action) DO UPDATE SET n = audit_totals.n + 1; \
       RETURN NULL; \
     END $$"];
