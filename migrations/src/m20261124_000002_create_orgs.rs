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
                    .table("orgs")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string("plan"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("custom_roles")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    .col(string("name"))
                    // The name lower-cased by the domain (Unicode-aware, unlike SQLite's lower()),
                    // so uniqueness ignores case the same way on both databases.
                    .col(string("name_key"))
                    .col(text_null("description"))
                    // Comma-separated permission slugs; the domain owns the catalogue.
                    .col(text("permissions"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_custom_roles_org")
                            .from("custom_roles", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("memberships")
                    .col(uuid("org_id"))
                    .col(uuid("user_id"))
                    // A built-in role name, or 'custom' with custom_role_id set.
                    .col(string("role"))
                    .col(uuid_null("custom_role_id"))
                    .col(timestamp_with_time_zone("joined_at"))
                    // joined_at in microseconds since 1970: the member list's sort key. SQLite
                    // stores times as RFC 3339 text of varying width, which does not sort as time.
                    .col(big_integer("joined_at_us"))
                    .primary_key(Index::create().col("org_id").col("user_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_memberships_org")
                            .from("memberships", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_memberships_user")
                            .from("memberships", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_memberships_custom_role")
                            .from("memberships", "custom_role_id")
                            .to("custom_roles", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        crate::execute_all(manager, [
            // The database itself refuses a second owner, whatever the application does.
            "CREATE UNIQUE INDEX uq_memberships_one_owner ON memberships (org_id) WHERE role = 'owner'",
            "CREATE INDEX idx_memberships_user ON memberships (user_id)",
            "CREATE INDEX idx_memberships_org_joined ON memberships (org_id, joined_at_us, user_id)",
            "CREATE INDEX idx_memberships_custom_role ON memberships (custom_role_id)",
            "CREATE UNIQUE INDEX uq_custom_roles_org_name ON custom_roles (org_id, name_key)",
        ])
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["memberships", "custom_roles", "orgs"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
