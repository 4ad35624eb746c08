use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Verified domains and e-mail verification links. An org's claim on a domain goes with the
/// org; a verification link goes with its account.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("org_domains")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    .col(string_len("domain", 253))
                    // The TXT value the org publishes; random, public once published.
                    .col(string("challenge"))
                    .col(timestamp_with_time_zone_null("verified_at"))
                    .col(boolean("auto_join").default(false))
                    // A built-in role name or a custom role's id, as in memberships.
                    .col(string("default_role"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(big_integer("created_at_us"))
                    // When the periodic check last looked it up (microseconds, 0: never), so
                    // each round takes the pending domains checked least recently.
                    .col(big_integer("checked_at_us").default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_domains_org")
                            .from("org_domains", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("email_verifications")
                    // One live link per account: a new one replaces the old.
                    .col(pk_uuid("user_id"))
                    // SHA-256 of the token; the token itself is only in the e-mail.
                    .col(string("token_hash").unique_key())
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_email_verifications_user")
                            .from("email_verifications", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        crate::execute_all(
            manager,
            [
                // An org claims a domain once.
                "CREATE UNIQUE INDEX uq_org_domains_org_domain ON org_domains (org_id, domain)",
                // A verified domain belongs to one org at a time: of two orgs verifying the
                // same domain at once, the second write fails here.
                "CREATE UNIQUE INDEX uq_org_domains_verified ON org_domains (domain) \
                 WHERE verified_at IS NOT NULL",
                "CREATE INDEX idx_org_domains_pending ON org_domains (checked_at_us) \
                 WHERE verified_at IS NULL",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["email_verifications", "org_domains"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
