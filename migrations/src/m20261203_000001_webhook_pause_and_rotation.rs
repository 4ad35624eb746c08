use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A webhook can be paused (its events wait in its queue) and its secret rotated: the secret
/// it replaces keeps signing beside the new one until `previous_secret_until_us`
/// (microseconds since 1970, as the worker's other times).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            boolean("active").default(true).to_owned(),
            // Sealed (AES-256-GCM) by the application, like `secret`.
            text_null("previous_secret"),
            big_integer_null("previous_secret_until_us"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("webhooks")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["previous_secret_until_us", "previous_secret", "active"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("webhooks")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
