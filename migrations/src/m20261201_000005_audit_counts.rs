use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // How many events each org has per hour, action and actor, kept in the appending
        // transaction: a list's `total` sums these instead of counting up to millions of rows.
        // `actor_id` is the nil id for events without an actor, so that it can be in the key.
        manager
            .create_table(
                Table::create()
                    .table("audit_counts")
                    .col(uuid("org_id"))
                    .col(string("action"))
                    .col(uuid("actor_id"))
                    .col(big_integer("hour"))
                    .col(big_integer("n"))
                    .primary_key(
                        Index::create()
                            .col("org_id")
                            .col("action")
                            .col("actor_id")
                            .col("hour"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_counts_org")
                            .from("audit_counts", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX idx_audit_counts_org_actor ON audit_counts (org_id, actor_id, hour)",
        )
        .await?;
        let nil = match manager.get_database_backend() {
            DbBackend::Postgres => "'00000000-0000-0000-0000-000000000000'::uuid",
            _ => "x'00000000000000000000000000000000'",
        };
        db.execute_unprepared(&format!(
            "INSERT INTO audit_counts (org_id, action, actor_id, hour, n) \
             SELECT org_id, action, COALESCE(actor_id, {nil}), created_at_us / 3600000000, COUNT(*) \
             FROM audit_events GROUP BY org_id, action, COALESCE(actor_id, {nil}), \
             created_at_us / 3600000000"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_counts").to_owned())
            .await
    }
}
