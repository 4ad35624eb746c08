use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    // No foreign key: the log outlives the accounts it mentions.
                    .col(uuid_null("actor_id"))
                    .col(string("action"))
                    .col(text("target"))
                    .col(text("metadata"))
                    .col(string_null("ip"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_events_org")
                            .from("audit_events", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_org_time")
                    .table("audit_events")
                    .col("org_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_events").to_owned())
            .await
    }
}
