use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let uuid = crate::uuid_type(manager);
        let db = manager.get_connection();
        for statement in [
            // An API token is a session with a name; sign-in sessions have none.
            "ALTER TABLE sessions ADD COLUMN name VARCHAR NULL".to_owned(),
            // The only org a pinned API token works in; it goes with the org.
            format!(
                "ALTER TABLE sessions ADD COLUMN pinned_org_id {uuid} NULL \
                 REFERENCES orgs (id) ON DELETE CASCADE"
            ),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "ALTER TABLE sessions DROP COLUMN pinned_org_id",
            "ALTER TABLE sessions DROP COLUMN name",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
