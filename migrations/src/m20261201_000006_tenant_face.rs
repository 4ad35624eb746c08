use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let uuid = crate::uuid_type(manager);
        crate::execute_all(
            manager,
            [
                // An org's settings, as a JSON object.
                "ALTER TABLE orgs ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'".to_owned(),
                // The org `/api/org` works on for a session; forgotten when the org goes.
                format!(
                    "ALTER TABLE sessions ADD COLUMN active_org_id {uuid} NULL \
                 REFERENCES orgs (id) ON DELETE SET NULL"
                ),
                // A user's oldest membership, the default tenant; it serves every lookup by user
                // that the index it replaces did.
                "CREATE INDEX idx_memberships_user_joined ON memberships (user_id, joined_at_us)"
                    .to_owned(),
                "DROP INDEX idx_memberships_user".to_owned(),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_all(
            manager,
            [
                "CREATE INDEX idx_memberships_user ON memberships (user_id)",
                "DROP INDEX idx_memberships_user_joined",
                "ALTER TABLE sessions DROP COLUMN active_org_id",
                "ALTER TABLE orgs DROP COLUMN settings",
            ],
        )
        .await
    }
}
