use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_all(
            manager,
            [
                // The TOTP secrets, sealed like integration credentials: the one in use, and one
                // being enrolled until a first code proves the app has it.
                "ALTER TABLE users ADD COLUMN totp_secret TEXT NULL",
                "ALTER TABLE users ADD COLUMN totp_pending TEXT NULL",
                "ALTER TABLE users ADD COLUMN mfa_enabled_at TIMESTAMP WITH TIME ZONE NULL",
                // The last time step whose code was accepted: no code is accepted twice.
                "ALTER TABLE users ADD COLUMN totp_last_step BIGINT NULL",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            "totp_last_step",
            "mfa_enabled_at",
            "totp_pending",
            "totp_secret",
        ];
        crate::execute_all(
            manager,
            columns.map(|column| format!("ALTER TABLE users DROP COLUMN {column}")),
        )
        .await
    }
}
