use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(
    name: &str,
    from: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Times the worker compares are microseconds since 1970 on both databases. A webhook
        // is its own delivery queue: `failures` and `retry_at_us` pace the event at its head,
        // `lease_until_us` hides it from other workers while one posts.
        manager
            .create_table(
                Table::create()
                    .table("webhooks")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    .col(text("url"))
                    // A JSON array of the action names, for reading back; the queueing joins
                    // `webhook_subscriptions` instead.
                    .col(text("events"))
                    // Sealed (AES-256-GCM) by the application.
                    .col(text("secret"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(big_integer("created_at_us"))
                    .col(integer("failures").default(0))
                    .col(big_integer("retry_at_us").default(0))
                    .col(big_integer("lease_until_us").default(0))
                    .foreign_key(&mut cascade(
                        "fk_webhooks_org",
                        "webhooks",
                        "org_id",
                        "orgs",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhooks_org")
                    .table("webhooks")
                    .col("org_id")
                    .col("created_at_us")
                    .to_owned(),
            )
            .await?;
        // What each audit append looks up: the webhooks of its org that want its action.
        manager
            .create_table(
                Table::create()
                    .table("webhook_subscriptions")
                    .col(uuid("webhook_id"))
                    .col(uuid("org_id"))
                    .col(string_len("action", 64))
                    .primary_key(Index::create().col("webhook_id").col("action"))
                    .foreign_key(&mut cascade(
                        "fk_webhook_subscriptions_webhook",
                        "webhook_subscriptions",
                        "webhook_id",
                        "webhooks",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_subscriptions_org_action")
                    .table("webhook_subscriptions")
                    .col("org_id")
                    .col("action")
                    .to_owned(),
            )
            .await?;
        // The outbox: one row per (webhook, event) not yet delivered, in the org's audit
        // order. No key to audit_events: an event that retention deleted is skipped.
        manager
            .create_table(
                Table::create()
                    .table("webhook_queue")
                    .col(uuid("webhook_id"))
                    .col(big_integer("seq"))
                    .col(uuid("event_id"))
                    .primary_key(Index::create().col("webhook_id").col("seq"))
                    .foreign_key(&mut cascade(
                        "fk_webhook_queue_webhook",
                        "webhook_queue",
                        "webhook_id",
                        "webhooks",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_attempts")
                    .col(pk_uuid("id"))
                    .col(uuid("webhook_id"))
                    .col(uuid("event_id"))
                    .col(string_len("action", 64))
                    .col(integer("attempt"))
                    .col(integer_null("status"))
                    .col(text_null("error"))
                    .col(timestamp_with_time_zone("attempted_at"))
                    .col(big_integer("attempted_at_us"))
                    .col(integer("duration_ms"))
                    .foreign_key(&mut cascade(
                        "fk_webhook_attempts_webhook",
                        "webhook_attempts",
                        "webhook_id",
                        "webhooks",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempts_webhook")
                    .table("webhook_attempts")
                    .col("webhook_id")
                    .col("attempted_at_us")
                    .to_owned(),
            )
            .await?;
        let queueing: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        crate::execute_all(manager, queueing).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &[
                "DROP TRIGGER audit_events_queue_webhooks ON audit_events",
                "DROP FUNCTION audit_event_queue_webhooks()",
            ],
            _ => &["DROP TRIGGER audit_events_queue_webhooks"],
        };
        crate::execute_all(manager, statements).await?;
        for table in [
            "webhook_attempts",
            "webhook_queue",
            "webhook_subscriptions",
            "webhooks",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

// An appended event is queued for the webhooks of its org that subscribe to its action by a
// trigger of the insert, in the same transaction: the outbox costs no statement of its own on
// the single writer (see docs/performance.md). Events outside the chain (no `seq`) are never
// appended by Tenantry and are not queued.
const SQLITE: &[&str] = &[
    "CREATE TRIGGER audit_events_queue_webhooks AFTER INSERT ON audit_events \
     WHEN NEW.seq IS NOT NULL BEGIN \
     INSERT INTO webhook_queue (webhook_id, seq, event_id) \
     SELECT webhook_id, NEW.seq, NEW.id FROM webhook_subscriptions \
     WHERE org_id = NEW.org_id AND action = NEW.action; \
     END",
];

const POSTGRES: &[&str] = &[
    "CREATE FUNCTION audit_event_queue_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF NEW.seq IS NOT NULL THEN \
         INSERT INTO webhook_queue (webhook_id, seq, event_id) \
         SELECT webhook_id, NEW.seq, NEW.id FROM webhook_subscriptions \
         WHERE org_id = NEW.org_id AND action = NEW.action; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER audit_events_queue_webhooks AFTER INSERT ON audit_events \
     FOR EACH ROW EXECUTE FUNCTION audit_event_queue_webhooks()",
];
