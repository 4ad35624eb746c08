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
                // An API token is a session with a name; sign-in sessions have none.
                "ALTER TABLE sessions ADD COLUMN name VARCHAR NULL".to_owned(),
                // The only org a pinned API token works in; it goes with the org.
                format!(
                    "ALTER TABLE sessions ADD COLUMN pinned_org_id {uuid} NULL \
                 REFERENCES orgs (id) ON DELETE CASCADE"
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_all(
            manager,
            [
                "ALTER TABLE sessions DROP COLUMN pinned_org_id",
                "ALTER TABLE sessions DROP COLUMN name",
            ],
        )
        .await
    }
}
