use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade_to_org(name: &str, from: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, "org_id")
        .to("orgs", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A key of two columns, `(org_id, user_id)`, that goes with the row it names.
fn cascade_to_member(
    name: &str,
    from: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(from)
        .from_col("org_id")
        .from_col("user_id")
        .to_tbl(to)
        .to_col("org_id")
        .to_col("user_id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// SCIM provisioning: an org's directory tokens, its settings, and what its identity provider
/// says about the members and groups it manages. A SCIM user is a membership plus the
/// directory's record of it, so the record goes when the membership does, however it goes.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A suspended member keeps their seat and their role but can act in the org no more.
        manager
            .alter_table(
                Table::alter()
                    .table("memberships")
                    .add_column(timestamp_with_time_zone_null("suspended_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scim_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    .col(string("name"))
                    // SHA-256 of the token; the token itself is shown once and never stored.
                    .col(string("token_hash").unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut cascade_to_org("fk_scim_tokens_org", "scim_tokens"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_tokens_org")
                    .table("scim_tokens")
                    .col("org_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scim_settings")
                    .col(pk_uuid("org_id"))
                    // JSON: the default role and the group-to-role mappings.
                    .col(text("settings"))
                    .foreign_key(&mut cascade_to_org("fk_scim_settings_org", "scim_settings"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scim_users")
                    .col(uuid("org_id"))
                    .col(uuid("user_id"))
                    .col(text("user_name"))
                    // userName is unique per org without regard to case (RFC 7643 §4.1.1).
                    .col(text("user_name_key"))
                    .col(text_null("external_id"))
                    .col(boolean("active"))
                    // The rest of the resource as the SCIM adapter renders it (JSON).
                    .col(text("attributes"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(big_integer("version"))
                    .primary_key(Index::create().col("org_id").col("user_id"))
                    .foreign_key(&mut cascade_to_member(
                        "fk_scim_users_membership",
                        "scim_users",
                        "memberships",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scim_groups")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    .col(text("display_name"))
                    .col(text("display_name_key"))
                    .col(text_null("external_id"))
                    .col(text("attributes"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(big_integer("version"))
                    .foreign_key(&mut cascade_to_org("fk_scim_groups_org", "scim_groups"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scim_group_members")
                    .col(uuid("group_id"))
                    .col(uuid("org_id"))
                    .col(uuid("user_id"))
                    .primary_key(Index::create().col("group_id").col("user_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_group_members_group")
                            .from("scim_group_members", "group_id")
                            .to("scim_groups", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut cascade_to_member(
                        "fk_scim_group_members_user",
                        "scim_group_members",
                        "scim_users",
                    ))
                    .to_owned(),
            )
            .await?;
        crate::execute_all(
            manager,
            [
                "CREATE UNIQUE INDEX uq_scim_users_user_name ON scim_users (org_id, user_name_key)",
                "CREATE INDEX idx_scim_users_external_id ON scim_users (org_id, external_id)",
                "CREATE UNIQUE INDEX uq_scim_groups_display_name \
                 ON scim_groups (org_id, display_name_key)",
                "CREATE INDEX idx_scim_group_members_user ON scim_group_members (org_id, user_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "scim_group_members",
            "scim_groups",
            "scim_users",
            "scim_settings",
            "scim_tokens",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("memberships")
                    .drop_column("suspended_at")
                    .to_owned(),
            )
            .await
    }
}
