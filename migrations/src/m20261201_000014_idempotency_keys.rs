use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per (caller, key): the primary key is what makes two concurrent claims of
        // one key end as one winner. Times are microseconds since 1970, compared as numbers
        // on both databases.
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(ColumnDef::new("scope").string_len(80).not_null())
                    .col(ColumnDef::new("key").string_len(255).not_null())
                    .col(ColumnDef::new("fingerprint").string_len(64).not_null())
                    .col(ColumnDef::new("status").integer().null())
                    .col(ColumnDef::new("content_type").string_len(255).null())
                    .col(ColumnDef::new("body").binary().null())
                    .col(ColumnDef::new("expires_at").big_integer().not_null())
                    .primary_key(Index::create().col("scope").col("key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_idempotency_keys_expires_at")
                    .table("idempotency_keys")
                    .col("expires_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("idempotency_keys").to_owned())
            .await
    }
}
