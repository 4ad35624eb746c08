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
                    .table("integrations")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    .col(string("type"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone_null("last_scan"))
                    // A JSON object of the settings that are not secret.
                    .col(text("config"))
                    // A JSON array of the credentials' names; their values are only in
                    // `credentials`, sealed (AES-256-GCM) by the application.
                    .col(text("credential_names"))
                    .col(text("credentials"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(big_integer("created_at_us"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_integrations_org")
                            .from("integrations", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_integrations_org")
                    .table("integrations")
                    .col("org_id")
                    .col("created_at_us")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("integrations").to_owned())
            .await
    }
}
